package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node's connector and threads with real sockets: a client whose connections are registered
 * with the connector's selector runs its callbacks on the thread that runs the server's handler,
 * and a connection whose response completes on another thread is resumed correctly.
 */
class NodeConnectorTest {

    private Server server;
    private NodeConnector connector;
    private HttpClient client;
    private HttpServer backend;
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws Exception {
        later.shutdownNow();
        if (client != null) {
            client.stop();
        }
        if (server != null) {
            server.stop();
        }
        if (backend != null) {
            backend.stop(0);
        }
    }

    private void startServer(Handler handler) throws Exception {
        server = new Server(new ServerThreads());
        connector = new NodeConnector(server, new HttpConnectionFactory(new HttpConfiguration()));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(handler);
        server.start();
    }

    /** Jetty's client with its connections made on the node connector's selector, as the instance client's are. */
    private void startClient() throws Exception {
        var transport = new HttpClientTransportOverHTTP(new ClientConnector());
        transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
        client = new HttpClient(transport);
        client.start();
    }

    private ContentResponse get(int port, Transport transport) throws Exception {
        var request = client.newRequest("http://127.0.0.1:" + port + "/").transport(transport).timeout(5, TimeUnit.SECONDS);
        return new CompletableResponseListener(request).send().get(10, TimeUnit.SECONDS);
    }

    private int startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            byte[] body = "from the backend".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        backend.start();
        return backend.getAddress().getPort();
    }

    @Test
    void aClientConnectionRegisteredWithTheConnectorRunsItsCallbacksOnTheServersSelectorThread() throws Exception {
        int backendPort = startBackend();
        List<Thread> handlers = new CopyOnWriteArrayList<>();
        List<Thread> answers = new CopyOnWriteArrayList<>();
        Transport toBackend = new OnTheConnector();
        startServer(new Handler.Abstract(Invocable.InvocationType.NON_BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                handlers.add(Thread.currentThread());
                client.newRequest("http://127.0.0.1:" + backendPort + "/").transport(toBackend)
                        .send(result -> {
                            answers.add(Thread.currentThread());
                            response.setStatus(result.isSucceeded() ? 200 : 502);
                            response.write(true, null, callback);
                        });
                return true;
            }
        });
        startClient();

        for (int i = 0; i < 3; i++) {
            assertThat(get(connector.getLocalPort(), Transport.TCP_IP).getStatus()).isEqualTo(200);
        }

        assertThat(handlers).hasSize(3);
        Thread selector = handlers.getFirst();
        assertThat(handlers).allMatch(thread -> thread == selector);
        assertThat(selector.getName()).startsWith("arrow-http");
        assertThat(selector.isVirtual()).isFalse();
        assertThat(answers).as("the backend's answers are read by the thread that handled the requests").isNotEmpty()
                .allMatch(thread -> thread == selector);
        assertThat(connector.getConnectedEndPoints())
                .as("a graceful stop waits for the server's connections only, not for kept-alive client ones")
                .allMatch(endPoint -> endPoint.getConnection() instanceof org.eclipse.jetty.server.ConnectionMetaData);
    }

    @Test
    void aClientConnectionIsHandedOnOnTheSelectorThreadThoughJettyOpensItOnAnother() throws Exception {
        startServer(new Handler.Abstract(Invocable.InvocationType.NON_BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                return false;
            }
        });
        var selector = new java.util.concurrent.CompletableFuture<Thread>();
        connector.selectorThread().execute(() -> selector.complete(Thread.currentThread()));
        try (var peer = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            // connected already (registered as accepted), and still connecting (finished by the selector)
            for (boolean connected : new boolean[] {true, false}) {
                var opened = new java.util.concurrent.CompletableFuture<org.eclipse.jetty.io.Connection>();
                var on = new java.util.concurrent.CompletableFuture<Thread>();
                Map<String, Object> context = new java.util.HashMap<>();
                context.put(ClientConnector.CONTEXT_KEY, new ClientConnector());
                context.put(Transport.CONTEXT_KEY, Transport.TCP_IP);
                context.put(ClientConnector.REMOTE_SOCKET_ADDRESS_CONTEXT_KEY, peer.getLocalSocketAddress());
                context.put(org.eclipse.jetty.io.ClientConnectionFactory.CONTEXT_KEY,
                        (org.eclipse.jetty.io.ClientConnectionFactory) (endPoint, ignored) ->
                                new org.eclipse.jetty.io.AbstractConnection(endPoint, Runnable::run) {
                                    @Override
                                    public void onFillable() {
                                    }
                                });
                context.put(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY,
                        org.eclipse.jetty.util.Promise.<org.eclipse.jetty.io.Connection>from(connection -> {
                            on.complete(Thread.currentThread());
                            opened.complete(connection);
                        }, opened::completeExceptionally));
                SocketChannel channel = SocketChannel.open();
                if (connected) {
                    channel.connect(peer.getLocalSocketAddress());
                    channel.configureBlocking(false);
                    connector.getSelectorManager().accept(channel, context);
                } else {
                    channel.configureBlocking(false);
                    if (channel.connect(peer.getLocalSocketAddress())) {
                        connector.getSelectorManager().accept(channel, context);
                    } else {
                        connector.getSelectorManager().connect(channel, context);
                    }
                }
                org.eclipse.jetty.io.Connection connection = opened.get(5, TimeUnit.SECONDS);
                // The gateway's lean path goes on from here and touches its client connection's state,
                // which the selector thread alone may touch while it reads the instance's answer.
                assertThat(on.get()).as("connected: " + connected).isSameAs(selector.get(5, TimeUnit.SECONDS));
                connection.close();
            }
        }
    }

    @Test
    void aConnectThatIsRefusedFailsTheRequestInsteadOfLeavingItWaiting() throws Exception {
        startServer(new Handler.Abstract(Invocable.InvocationType.NON_BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                return false;
            }
        });
        startClient();
        int closed;
        try (var socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        assertThatThrownBy(() -> get(closed, new OnTheConnector())).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(java.net.ConnectException.class);
    }

    @Test
    void aConnectionWhoseResponseCompletesOnAnotherThreadServesItsNextAndPipelinedRequests() throws Exception {
        startServer(new Handler.Abstract(Invocable.InvocationType.NON_BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = request.getHttpURI().getPath();
                later.schedule(() -> {
                    response.getHeaders().put("Content-Length", path.length());
                    response.write(true, java.nio.ByteBuffer.wrap(path.getBytes(StandardCharsets.UTF_8)), callback);
                }, 5, TimeUnit.MILLISECONDS);
                return true;
            }
        });
        try (var socket = new Socket("127.0.0.1", connector.getLocalPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 0; i < 20; i++) {
                out.write(("GET /one" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readResponse(in)).isEqualTo("/one" + i);
            }
            // two in one write: the second waits in Jetty's buffer while the first is answered
            out.write("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertThat(readResponse(in)).isEqualTo("/a");
            assertThat(readResponse(in)).isEqualTo("/b");
        }
    }

    /** The body of one response with a Content-Length. */
    private static String readResponse(InputStream in) throws IOException {
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.append((char) b);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 200");
        int length = Integer.parseInt(head.toString().lines()
                .filter(line -> line.toLowerCase().startsWith("content-length:")).findFirst().orElseThrow()
                .substring(15).trim());
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** TCP whose connections the node connector's selector makes, from Jetty's client context. */
    private final class OnTheConnector extends Transport.TCPIP {
        @Override
        public void connect(SocketAddress address, Map<String, Object> context) {
            try {
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                context.put(ClientConnector.REMOTE_SOCKET_ADDRESS_CONTEXT_KEY, address);
                SelectorManager selectors = connector.getSelectorManager();
                if (channel.connect(address)) {
                    selectors.accept(channel, context);
                } else {
                    selectors.connect(channel, context);
                }
            } catch (IOException e) {
                ((org.eclipse.jetty.util.Promise<?>) context.get(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY)).failed(e);
            }
        }
    }
}
