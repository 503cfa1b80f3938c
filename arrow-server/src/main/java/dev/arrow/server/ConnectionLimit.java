package dev.arrow.server;

import java.time.Duration;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;

/**
 * Jetty's connection limit, which also gives the short idle timeout to connections opened while
 * the limit holds: Jetty's sets it only on those open when the limit is reached, and connections
 * accepted in the same instant, not yet open then, would keep the usual timeout.
 */
final class ConnectionLimit extends NetworkConnectionLimit {

    private volatile boolean limiting;

    ConnectionLimit(int maxConnections, Duration crowdedIdleTimeout, Connector connector) {
        super(maxConnections, connector);
        setEndPointIdleTimeout(crowdedIdleTimeout.toMillis());
    }

    @Override
    protected void limit() {
        limiting = true;
        super.limit();
    }

    @Override
    protected void unlimit() {
        limiting = false;
        super.unlimit();
    }

    /** A connection just opened: while the limit holds, it gets the crowded idle timeout. */
    void opened(EndPoint endPoint) {
        if (limiting) {
            endPoint.setIdleTimeout(getEndPointIdleTimeout());
        }
    }
}
