package dev.arrow.bench;

import dev.arrow.runtime.bundle.BundleUnpacker;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * nginx as a plain reverse proxy in front of the benchmark's app, when the host has it: what a
 * proxy written in C, doing no more than forwarding, keeps of the app's throughput on this machine
 * that day. It sets the headers the gateway sets, keeps its upstream connections alive, and runs
 * one worker (a single event loop, as the node's gateway path is). Listens on loopback only and
 * is stopped by {@link #close}.
 */
final class ReferenceProxy implements AutoCloseable {

    private static final List<Path> BINARIES = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx"),
            Path.of("/usr/local/sbin/nginx"));

    private final Path dir;
    private final Process process;
    final URI uri;

    private ReferenceProxy(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.uri = URI.create("http://127.0.0.1:" + port + "/");
    }

    /** nginx proxying to 127.0.0.1:{@code appPort}, once it accepts; empty when nginx is not installed. */
    static Optional<ReferenceProxy> start(int appPort) throws IOException, InterruptedException {
        Optional<Path> nginx = BINARIES.stream().filter(Files::isExecutable).findFirst();
        if (nginx.isEmpty()) {
            return Optional.empty();
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createTempDirectory("arrow-bench-nginx");
        Files.writeString(dir.resolve("nginx.conf"), """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    upstream app { server 127.0.0.1:%2$d; keepalive 64; }
                    server {
                        listen 127.0.0.1:%3$d;
                        location / {
                            proxy_pass http://app;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header X-Forwarded-For $remote_addr;
                            proxy_set_header X-Forwarded-Proto $scheme;
                            proxy_set_header X-Forwarded-Host $host;
                            proxy_set_header X-Forwarded-Prefix /a/bench;
                            proxy_set_header Arrow-Invocation-Id $request_id;
                        }
                    }
                }
                """.formatted(dir, appPort, port));
        Process process = new ProcessBuilder(nginx.get().toString(), "-p", dir.toString(), "-c",
                dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var proxy = new ReferenceProxy(dir, process, port);
        try {
            HttpBenchmark.awaitPort(port);
        } catch (IOException e) {
            Path log = dir.resolve("error.log");
            String said = Files.exists(log) ? Files.readString(log).strip() : "";
            proxy.close();
            throw new IOException("nginx did not start" + (said.isEmpty() ? "" : ": " + said), e);
        }
        return Optional.of(proxy);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy(); // SIGTERM: the master stops its worker
        process.waitFor();
        BundleUnpacker.deleteTree(dir);
    }
}
