package dev.arrow.server;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The node's connector, whose selector also serves the gateway's connections to instances. A
 * request and its answer are then read and written by one thread, as in an event-loop proxy:
 * with a selector of its own, Jetty's client hands every answer from its thread to the server's,
 * which on 2 cores cost half the gateway's throughput.
 *
 * <p>A client connection is registered here with Jetty's client context (a map naming its
 * {@link ClientConnector} and {@link Transport}), and made the way the client's own selector
 * would make it. Such connections are not the server's: a graceful stop does not wait for them.
 */
final class NodeConnector extends ServerConnector {

    NodeConnector(Server server, ConnectionFactory... factories) {
        super(server, 1, 1, factories);
    }

    @Override
    protected SelectorManager newSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
        return new SharedSelectorManager(executor, scheduler, selectors);
    }

    /**
     * Runs tasks on the selector thread, which serves every connection of this connector (it has
     * one): a connection's state is then only ever touched by that thread. For work that must not
     * wait, e.g. a request's continuation after a virtual thread waited for its instance.
     */
    Executor selectorThread() {
        return task -> ((SharedSelectorManager) getSelectorManager()).theSelector().submit(selector -> task.run());
    }

    private final class SharedSelectorManager extends ServerConnectorManager {

        private final Set<EndPoint> clientEndPoints = ConcurrentHashMap.newKeySet();

        SharedSelectorManager(Executor executor, Scheduler scheduler, int selectors) {
            super(executor, scheduler, selectors);
        }

        ManagedSelector theSelector() {
            return chooseSelector();
        }

        @Override
        protected SocketChannelEndPoint newEndPoint(SelectableChannel channel, ManagedSelector selector,
                SelectionKey key) throws IOException {
            if (!(key.attachment() instanceof Map<?, ?> context)) {
                return super.newEndPoint(channel, selector, key);
            }
            var client = (ClientConnector) context.get(ClientConnector.CONTEXT_KEY);
            var transport = (Transport) context.get(Transport.CONTEXT_KEY);
            // Transport.TCPIP makes socket channel end points; an instance's transport is one.
            var endPoint = (SocketChannelEndPoint) transport.newEndPoint(getScheduler(), selector, channel, key);
            endPoint.setIdleTimeout(client.getIdleTimeout().toMillis());
            clientEndPoints.add(endPoint);
            return endPoint;
        }

        @Override
        public Connection newConnection(SelectableChannel channel, EndPoint endPoint, Object attachment)
                throws IOException {
            if (attachment instanceof Map<?, ?> context) {
                return ((Transport) context.get(Transport.CONTEXT_KEY)).newConnection(endPoint, clientContext(context));
            }
            return super.newConnection(channel, endPoint, attachment);
        }

        @Override
        public void connectionOpened(Connection connection, Object attachment) {
            if (!(attachment instanceof Map<?, ?> context)) {
                super.connectionOpened(connection, attachment);
                return;
            }
            Promise<Connection> promise = promise(context);
            try {
                super.connectionOpened(connection, attachment);
            } catch (Throwable failure) {
                onSelector(() -> promise.failed(failure));
                return;
            }
            onSelector(() -> promise.succeeded(connection));
        }

        @Override
        protected void connectionFailed(SelectableChannel channel, Throwable failure, Object attachment) {
            super.connectionFailed(channel, failure, attachment);
            if (attachment instanceof Map<?, ?> context) {
                Promise<Connection> promise = promise(context);
                onSelector(() -> promise.failed(failure));
            }
        }

        @Override
        protected void onAcceptFailed(SelectableChannel channel, Throwable failure, Object attachment) {
            super.onAcceptFailed(channel, failure, attachment);
            if (attachment instanceof Map<?, ?> context) {
                Promise<Connection> promise = promise(context);
                onSelector(() -> promise.failed(failure));
            }
        }

        /**
         * Jetty makes a new connection, and opens it, on a pool thread (its Accept and
         * CreateEndPoint tasks), not on the selector thread. The gateway's lean path goes on from
         * the promise (the request's head is written, its connection read on) and touches its
         * client connection's state, which only the selector thread may touch: run there, the
         * instance's answer, read by the selector thread meanwhile, cannot overtake it.
         */
        private void onSelector(Runnable task) {
            theSelector().submit(selector -> task.run());
        }

        @Override
        protected void endPointOpened(EndPoint endPoint) {
            if (!clientEndPoints.contains(endPoint)) {
                super.endPointOpened(endPoint);
            }
        }

        @Override
        protected void endPointClosed(EndPoint endPoint) {
            if (!clientEndPoints.remove(endPoint)) {
                super.endPointClosed(endPoint);
            }
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> clientContext(Map<?, ?> context) {
            return (Map<String, Object>) context;
        }

        @SuppressWarnings("unchecked")
        private static Promise<Connection> promise(Map<?, ?> context) {
            return (Promise<Connection>) context.get(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY);
        }
    }
}
