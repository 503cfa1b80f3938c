package dev.arrow.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The app the benches keep warm behind the gateway: node.js's bare HTTP server where installed, else python's. */
final class WarmApp {

    private static final String NODE_APP =
            "require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('ok'))}).listen(+process.env.PORT)";

    /** Answers its JSON object input with {@code n} one higher: a chain of calls can be checked by its count. */
    private static final String NODE_COUNTER = "require('http').createServer((q,s)=>{const b=[];q.on('data',c=>b.push(c));"
            + "q.on('end',()=>{let d={};try{d=JSON.parse(Buffer.concat(b))||{}}catch(e){}d.n=(d.n|0)+1;"
            + "s.setHeader('Content-Type','application/json');s.end(JSON.stringify(d))})}).listen(+process.env.PORT)";
    private static final String PYTHON_COUNTER = """
            import http.server, json, os
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                disable_nagle_algorithm = True
                def log_message(self, *a): pass
                def do_POST(self):
                    d = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    d["n"] = d.get("n", 0) + 1
                    b = json.dumps(d).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(b)))
                    self.end_headers()
                    self.wfile.write(b)
            http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
            """;

    private WarmApp() {
    }

    /** The {@code command} of an http-mode arrow spec, as JSON. */
    static String commandJson() {
        Optional<Path> node = Processes.onPath("node");
        return node.isPresent()
                ? "[\"" + node.get() + "\",\"-e\",\"" + NODE_APP.replace("\"", "\\\"") + "\"]"
                : "[\"/usr/bin/python3\",\"-m\",\"http.server\",\"8080\"]";
    }

    /** The {@code command} of an http-mode arrow that answers a JSON object with its {@code n} plus one. */
    static List<String> counterCommand() {
        Optional<Path> node = Processes.onPath("node");
        return node.isPresent()
                ? List.of(node.get().toString(), "-e", NODE_COUNTER)
                : List.of("/usr/bin/python3", "-c", PYTHON_COUNTER);
    }
}
