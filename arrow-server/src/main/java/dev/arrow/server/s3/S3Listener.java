package dev.arrow.server.s3;

import dev.arrow.services.objects.AccessKeys;
import dev.arrow.services.objects.ObjectService;
import dev.arrow.services.objects.SignatureV4;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.logging.Logger;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The node's S3-compatible listener: its own Jetty server on its own address, path-style
 * addressing ({@code http://host:port/BUCKET/KEY}), every request checked with AWS Signature
 * Version 4 against the node's access keys. See docs/api.md, "Object store (S3)".
 */
public final class S3Listener implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(S3Listener.class.getName());

    private final Server server;
    private final ServerConnector connector;
    private final String host;

    private S3Listener(Server server, ServerConnector connector, String host) {
        this.server = server;
        this.connector = connector;
        this.host = host;
    }

    /** Starts listening on {@code host:port} (0: a free port). */
    public static S3Listener start(String host, int port, ObjectService objects, AccessKeys keys, Clock clock)
            throws IOException {
        var threads = new QueuedThreadPool(16, 2);
        threads.setName("arrow-s3");
        var server = new Server(threads);
        var http = new HttpConfiguration();
        // Keys are read from the path as sent: '%2F', '//' and '..' are a key's characters (the
        // store refuses '..' segments with S3's own error), not Jetty's to refuse.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        var connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new S3Handler(objects, new SignatureV4(keys::secretOf, clock)));
        server.setStopTimeout(5_000);
        try {
            server.start();
        } catch (IOException e) {
            stopQuietly(server);
            throw new IOException("cannot listen for S3 on " + host + ":" + port + ": " + e.getMessage(), e);
        } catch (Exception e) {
            stopQuietly(server);
            throw new IOException("cannot start the S3 listener: " + e.getMessage(), e);
        }
        var listener = new S3Listener(server, connector, host);
        LOG.info(() -> "S3 listening on " + listener.uri());
        return listener;
    }

    private static void stopQuietly(Server server) {
        try {
            server.stop();
        } catch (Exception ignored) {
            // it did not start
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    public URI uri() {
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port());
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warning("stopping the S3 listener: " + e.getMessage());
        }
    }
}
