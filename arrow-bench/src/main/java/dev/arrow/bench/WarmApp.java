package dev.arrow.bench;

import java.nio.file.Path;
import java.util.Optional;

/** The app the benches keep warm behind the gateway: node.js's bare HTTP server where installed, else python's. */
final class WarmApp {

    private static final String NODE_APP =
            "require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('ok'))}).listen(+process.env.PORT)";

    private WarmApp() {
    }

    /** The {@code command} of an http-mode arrow spec, as JSON. */
    static String commandJson() {
        Optional<Path> node = Processes.onPath("node");
        return node.isPresent()
                ? "[\"" + node.get() + "\",\"-e\",\"" + NODE_APP.replace("\"", "\\\"") + "\"]"
                : "[\"/usr/bin/python3\",\"-m\",\"http.server\",\"8080\"]";
    }
}
