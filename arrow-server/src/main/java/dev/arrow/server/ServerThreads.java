package dev.arrow.server;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty's threads: the selector, which also runs the gateway's requests and the instances'
 * answers, the acceptor, and Jetty's rare tasks. Routes that block run on virtual threads of
 * their own ({@link ApiHandler}).
 *
 * <p>A connection whose response completed outside Jetty's read of its request (every gateway
 * response: it completes when the instance's answer is out) is resumed, to read the next
 * request, on the thread that completed it instead of another one. Jetty hands it to a pool
 * thread, which on 2 cores costs a wake-up and a hand-off every request. Resuming never blocks:
 * the node's handler does not.
 */
final class ServerThreads extends QueuedThreadPool {

    ServerThreads() {
        super(32, 4);
        setName("arrow-http");
    }

    @Override
    public void execute(Runnable job) {
        // Jetty's HTTP/1.1 connection, told by the public types it has (its class is internal).
        if (job instanceof Connection && job instanceof ConnectionMetaData) {
            job.run();
        } else {
            super.execute(job);
        }
    }
}
