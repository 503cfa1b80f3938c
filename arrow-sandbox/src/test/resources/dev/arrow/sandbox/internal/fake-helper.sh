#!/bin/bash
# Stands in for arrow-sandbox-helper in ProcessSandboxTest: logs each call to ./calls beside itself,
# runs the command without any isolation and writes a result line. Commands starting with "fake:"
# make it misbehave the way a broken helper would.
here=$(dirname "$0")
echo "$*" >> "$here/calls"
result=
while (($#)); do
  case $1 in
    --cleanup) exit 0 ;;
    --result-file) result=$2; shift 2 ;;
    --) shift; break ;;
    *) shift ;;
  esac
done

case $1 in
  fake:die) kill -KILL $$ ;;
  fake:garbage) echo "not json" > "$result"; exit 0 ;;
esac

"$@" <&0 &  # a background job would otherwise read /dev/null
child=$!
trap 'kill -KILL $child; wait $child; echo "{\"outcome\":\"signaled\",\"signal\":9}" > "$result"; exit 137' TERM
touch "$here/started"
wait $child
status=$?
echo "{\"outcome\":\"exited\",\"exitCode\":$status,\"wallNanos\":1000,\"peakMemoryBytes\":4096}" > "$result"
exit $status
