package dev.arrow.server;

import java.time.Duration;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;

/**
 * The node connector's first factory: every connection starts as a {@link GatewayConnection},
 * which hands anything but the gateway's requests to {@code fallback}. Until {@link #serve} is
 * called, connections are {@code fallback}'s from the start.
 */
final class GatewayConnectionFactory extends AbstractConnectionFactory {

    private final HttpConnectionFactory fallback;
    private volatile Gateway gateway;
    private volatile long headDeadlineNanos;
    private volatile ConnectionLimit limit;

    GatewayConnectionFactory(HttpConnectionFactory fallback) {
        super("arrow-gateway");
        this.fallback = fallback;
    }

    /** From now on, new connections start on the gateway's lean path, their heads due within {@code headDeadline}. */
    void serve(Gateway served, Duration headDeadline) {
        headDeadlineNanos = headDeadline.toNanos();
        gateway = served;
    }

    void limitedBy(ConnectionLimit connectionLimit) {
        limit = connectionLimit;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        ConnectionLimit connections = limit;
        if (connections != null) {
            connections.opened(endPoint);
        }
        Gateway current = gateway;
        if (current == null) {
            return fallback.newConnection(connector, endPoint);
        }
        return configure(new GatewayConnection(current, fallback, connector, endPoint, headDeadlineNanos), connector, endPoint);
    }
}
