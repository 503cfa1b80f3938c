#!/usr/bin/env bash
# What a request costs on this machine, by process, under the same load direct to a node.js app,
# through nginx (upstream over TCP and over a Unix socket) and through an Arrow node's gateway.
# It shows how much CPU a proxy may spend and still keep 60% of direct throughput.
#
#   scripts/proxy-budget.sh [ROUNDS]      (needs wrk and nginx: apt-get install wrk nginx-light)
#
# Each line: requests/s of `wrk -t2 -c4 -d4s`, then CPU µs per request of each process
# (utime + stime from /proc), of wrk, and the machine's softirq and idle time (/proc/stat).
# Everything listens on 127.0.0.1 and is stopped at the end, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
for tool in wrk nginx node curl; do
  command -v $tool > /dev/null || { echo "proxy-budget: $tool is not installed" >&2; exit 2; }
done

work=$(mktemp -d /tmp/arrow-proxy-budget.XXXXXX)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait || true
  rm -rf "$work"
}
trap stop EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
app="require('http').createServer((q,s)=>{s.end('hello')}).listen(process.env.PORT||process.argv[1])"
direct_port=$(free_port) nginx_port=$(free_port) node_port=$(free_port)

PORT=$direct_port timeout 900 node -e "$app" > /dev/null 2>&1 & pids+=($!)
timeout 900 node -e "$app" "$work/app.sock" > /dev/null 2>&1 & pids+=($!)
cat > "$work/nginx.conf" << EOF
user root;
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream tcp { server 127.0.0.1:$direct_port; keepalive 16; }
  upstream uds { server unix:$work/app.sock; keepalive 16; }
  server {
    listen 127.0.0.1:$nginx_port;
    location /tcp/ { proxy_pass http://tcp/; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /uds/ { proxy_pass http://uds/; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
timeout 900 nginx -c "$work/nginx.conf" > /dev/null 2>&1 & pids+=($!)

export ARROW_HOME=$work/home
timeout 900 ./arrow serve --listen 127.0.0.1:$node_port > "$work/serve.log" 2>&1 < /dev/null & pids+=($!)
for _ in $(seq 300); do
  [[ -f $ARROW_HOME/token ]] && curl -s -o /dev/null "http://127.0.0.1:$node_port/healthz" && break
  sleep 0.2
done
curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$ARROW_HOME/token")" -H 'Content-Type: application/json' \
  --data "{\"name\":\"budget\",\"mode\":\"http\",\"command\":[\"node\",\"-e\",\"$app\"],
           \"scaling\":{\"concurrency\":4,\"minInstances\":1,\"maxInstances\":1}}" \
  "http://127.0.0.1:$node_port/v1/arrows"

declare -A url=([direct]=http://127.0.0.1:$direct_port/ [nginx-tcp]=http://127.0.0.1:$nginx_port/tcp/
  [nginx-uds]=http://127.0.0.1:$nginx_port/uds/ [gateway]=http://127.0.0.1:$node_port/a/budget/)
for _ in $(seq 100); do
  [[ $(curl -s "${url[gateway]}") == hello && $(curl -s "${url[nginx-uds]}") == hello ]] && break
  sleep 0.2
done

listener() { ss -Hltnp "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
host_net=$(readlink /proc/self/ns/net)
uds_app='' sandboxed_app=''
for pid in $(pgrep -x node); do
  if grep -qs "$work/app.sock" "/proc/$pid/cmdline"; then uds_app=$pid
  elif [[ $(readlink "/proc/$pid/ns/net") != "$host_net" ]]; then sandboxed_app=$pid; fi
done
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")")
declare -A watch=([direct]="$(listener "$direct_port")" [nginx-tcp]="$nginx_worker $(listener "$direct_port")"
  [nginx-uds]="$nginx_worker $uds_app" [gateway]="$(listener "$node_port") $sandboxed_app")

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # name
  local name=$1 pid n line
  declare -A before
  for pid in ${watch[$name]}; do before[$pid]=$(cpu "$pid"); done
  read -ra s0 < <(grep '^cpu ' /proc/stat)
  /usr/bin/time -f "%U %S" -o "$work/wrk.time" wrk -t2 -c4 -d4s "${url[$name]}" > "$work/wrk.out"
  read -ra s1 < <(grep '^cpu ' /proc/stat)
  n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  line=$(printf '%-10s %6d req/s ' "$name" $((n / 4)))
  for pid in ${watch[$name]}; do
    line+=$(awk -v c="$(cat "/proc/$pid/comm")" -v d=$(($(cpu "$pid") - before[$pid])) -v n="$n" \
      'BEGIN {printf "  %s %.1f", c, d * 1e4 / n}')
  done
  line+=$(awk -v t="$(cat "$work/wrk.time")" -v n="$n" -v sq=$((s1[7] - s0[7])) -v idle=$((s1[4] - s0[4])) \
    'BEGIN {split(t, w, " "); printf "  wrk %.1f  softirq %.1f  idle %.1f  (µs a request)", (w[1] + w[2]) * 1e6 / n, sq * 1e4 / n, idle * 1e4 / n}')
  echo "$line"
}

for name in direct nginx-tcp nginx-uds gateway; do wrk -t2 -c4 -d4s "${url[$name]}" > /dev/null; done
for round in $(seq "$rounds"); do
  for name in direct nginx-tcp nginx-uds gateway; do measure "$name"; done
done
