package dev.arrow.runtime.instances;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Map;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * TCP to one instance: sockets are made inside its network namespace. Jetty keys connection pools
 * by transport, so each instance gets its own pool, and no connection can reach another instance.
 *
 * <p>The address is the instance's own, so nothing is resolved (Jetty's resolver hands each new
 * connection to another thread), and the instance makes the socket ({@link Instance#connect()}):
 * the first one is connected by the time the request that waited for the instance is sent.
 */
final class InstanceTransport extends Transport.TCPIP {

    private final Instance instance;

    InstanceTransport(Instance instance) {
        this.instance = instance;
    }

    @Override
    public boolean requiresDomainNameResolution() {
        return false;
    }

    @Override
    public SocketAddress getSocketAddress() {
        return instance.address();
    }

    @Override
    public void connect(SocketAddress address, Map<String, Object> context) {
        ClientConnector connector = (ClientConnector) context.get(ClientConnector.CONTEXT_KEY);
        context.put(ClientConnector.REMOTE_SOCKET_ADDRESS_CONTEXT_KEY, address);
        SocketChannel channel;
        try {
            channel = instance.connect();
        } catch (IOException | RuntimeException e) {
            var promise = (Promise<?>) context.get(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY);
            promise.failed(e);
            return;
        }
        // Only the instance client's connections come here (InstanceClient puts its connector in the context).
        SelectorManager selectors = ((InstanceClient.Connector) connector).selectorsFor();
        if (channel.isConnected()) {
            selectors.accept(channel, context);
        } else {
            selectors.connect(channel, context);
        }
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
