package dev.arrow.runtime.instances;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * TCP to one instance: sockets are made inside its network namespace. Jetty keys connection pools
 * by transport, so each instance gets its own pool, and no connection can reach another instance.
 */
final class InstanceTransport extends Transport.TCPIP {

    private final Instance instance;

    InstanceTransport(Instance instance) {
        this.instance = instance;
    }

    @Override
    public SelectableChannel newSelectableChannel() throws IOException {
        return instance.newSocket();
    }

    /** Called once the connect has completed: the place to check it reached this instance. */
    @Override
    public EndPoint newEndPoint(Scheduler scheduler, ManagedSelector selector, SelectableChannel channel,
            SelectionKey key) {
        try {
            instance.confirmConnected((SocketChannel) channel);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.newEndPoint(scheduler, selector, channel, key);
    }

    @Override
    public String toString() {
        return "tcp-in-" + instance.id();
    }
}
