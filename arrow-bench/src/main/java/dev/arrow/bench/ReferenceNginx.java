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
 * nginx, when the host has it, as a benchmark's reference: a plain reverse proxy in front of the
 * benchmark's app (what a proxy written in C, doing no more than forwarding, keeps of the app's
 * throughput on this machine that day: it sets the headers the gateway sets and keeps its upstream
 * connections alive), or a static file server (what the S3 listener's GET is compared with). One
 * worker (a single event loop, as the node's gateway path is), on loopback only, stopped by
 * {@link #close}.
 */
final class ReferenceNginx implements AutoCloseable {

    private static final List<Path> BINARIES = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx"),
            Path.of("/usr/local/sbin/nginx"));

    private final Path dir;
    private final Process process;
    final URI uri;

    private ReferenceNginx(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.uri = URI.create("http://127.0.0.1:" + port + "/");
    }

    /** nginx proxying to 127.0.0.1:{@code appPort}, once it accepts; empty when nginx is not installed. */
    static Optional<ReferenceNginx> proxy(int appPort) throws IOException, InterruptedException {
        return start("""
                upstream app { server 127.0.0.1:%d; keepalive 64; }
                server {
                    listen 127.0.0.1:%%PORT%%;
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
                """.formatted(appPort));
    }

    /** nginx serving the files under {@code root} as they are, once it accepts; empty when nginx is not installed. */
    static Optional<ReferenceNginx> files(Path root) throws IOException, InterruptedException {
        return start("""
                sendfile on;
                server {
                    listen 127.0.0.1:%%PORT%%;
                    root %s;
                }
                """.formatted(root));
    }

    private static Optional<ReferenceNginx> start(String server) throws IOException, InterruptedException {
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
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                %2$s
                }
                """.formatted(dir, server.replace("%PORT%", Integer.toString(port)).indent(4)));
        Process process = new ProcessBuilder(nginx.get().toString(), "-p", dir.toString(), "-c",
                dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        var started = new ReferenceNginx(dir, process, port);
        try {
            HttpBenchmark.awaitPort(port);
        } catch (IOException e) {
            Path log = dir.resolve("error.log");
            String said = Files.exists(log) ? Files.readString(log).strip() : "";
            started.close();
            throw new IOException("nginx did not start" + (said.isEmpty() ? "" : ": " + said), e);
        }
        return Optional.of(started);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy(); // SIGTERM: the master stops its worker
        process.waitFor();
        BundleUnpacker.deleteTree(dir);
    }
}
