package dev.arrow.server;

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

    GatewayConnectionFactory(HttpConnectionFactory fallback) {
        super("arrow-gateway");
        this.fallback = fallback;
    }

    void serve(Gateway served) {
        gateway = served;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        Gateway current = gateway;
        if (current == null) {
            return fallback.newConnection(connector, endPoint);
        }
        return configure(new GatewayConnection(current, fallback, connector, endPoint), connector, endPoint);
    }
}
