package dev.arrow.runtime.instances;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * HTTP/1.1 to instances, with kept-alive connections pooled per instance. One per node: the
 * gateway proxies through {@link #http()}, invocations of the API use {@link #invoke}.
 */
public final class InstanceClient implements AutoCloseable {

    private final HttpClient http;
    private final Connector connector;
    private final Map<Instance, InstanceLink.Pool> links = new ConcurrentHashMap<>();

    /** A client with a selector of its own. */
    public InstanceClient() {
        this(null);
    }

    /**
     * A client whose connections are registered with {@code selectors} (null: its own), so that
     * one thread reads and writes both sides of a proxied request. The manager must make them from
     * Jetty's client context, as {@link ClientConnector}'s own does.
     */
    public InstanceClient(SelectorManager selectors) {
        connector = new Connector(selectors);
        var transport = new HttpClientTransportOverHTTP(connector);
        // Its callbacks never block: they run on the selector thread that read the answer.
        transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
        http = new HttpClient(transport);
        var threads = new VirtualThreadPool();
        threads.setName("arrow-instance-client");
        http.setExecutor(threads);
        http.setMaxConnectionsPerDestination(1024);
        http.setMaxRequestsQueuedPerDestination(4096);
        http.setFollowRedirects(false);
        http.setUserAgentField(null);
        http.setConnectTimeout(5_000);
        http.setIdleTimeout(60_000);
        http.setDestinationIdleTimeout(60_000);
        // A proxy passes bodies as they are: no decoding of gzip, no Accept-Encoding added.
        http.getContentDecoderFactories().clear();
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the instance HTTP client", e);
        }
    }

    /** Where an instance's new connection is registered. */
    static final class Connector extends ClientConnector {
        private final SelectorManager shared;

        Connector(SelectorManager shared) {
            this.shared = shared;
        }

        SelectorManager selectorsFor() {
            return shared != null ? shared : getSelectorManager();
        }
    }

    /** The client behind; its requests must be made with {@link #newRequest}. */
    public HttpClient http() {
        return http;
    }

    /**
     * An idle link to the instance from its pool, or a new one, connected and registered with this
     * client's selectors; {@code promise} completes on the selector thread or at once.
     */
    public void link(Instance instance, Promise<InstanceLink> promise) {
        InstanceLink.Pool pool = links.computeIfAbsent(instance, made -> new InstanceLink.Pool(made, links));
        InstanceLink idle = pool.take();
        if (idle != null) {
            promise.succeeded(idle);
            return;
        }
        Map<String, Object> context = new HashMap<>();
        context.put(ClientConnector.CONTEXT_KEY, connector);
        context.put(Transport.CONTEXT_KEY, instance.transport());
        context.put(ClientConnectionFactory.CONTEXT_KEY,
                (ClientConnectionFactory) (endPoint, ignored) -> new InstanceLink(endPoint, http.getExecutor(), pool));
        context.put(ClientConnector.CONNECTION_PROMISE_CONTEXT_KEY,
                Promise.<Connection>from(connection -> promise.succeeded((InstanceLink) connection), promise::failed));
        instance.transport().connect(instance.address(), context);
    }

    /** A request to {@code pathAndQuery} of this instance. */
    public Request newRequest(Instance instance, String pathAndQuery) {
        return http.newRequest("http://127.0.0.1:" + instance.address().getPort() + pathAndQuery)
                .transport(instance.transport());
    }

    /**
     * Makes, while an instance's app starts, what the first request to it needs: Jetty's
     * destination for the instance, with its connection pool. Made by that request instead, it
     * lengthens the cold start with code that runs too rarely to be compiled ({@code arrow bench http}).
     */
    void prepare(Instance instance) {
        http.resolveDestination(newRequest(instance, "/"));
    }

    /**
     * POSTs {@code body} to / and waits for the whole answer.
     *
     * @throws TimeoutException no answer within {@code timeout}
     * @throws ResponseTooLargeException the answer is larger than {@code maxBytes}
     * @throws IOException      the connection failed or broke (the instance may have crashed)
     */
    public InstanceResponse invoke(Instance instance, byte[] body, String contentType, Map<String, String> headers,
            Duration timeout, int maxBytes) throws IOException, TimeoutException, InterruptedException {
        Request request = newRequest(instance, "/")
                .method(HttpMethod.POST)
                .body(new BytesRequestContent(contentType, body))
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        request.headers(fields -> headers.forEach(fields::put));
        ContentResponse response;
        try {
            response = new CompletableResponseListener(request, maxBytes).send().get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException timeoutException) {
                throw timeoutException;
            }
            // Jetty's listener says its buffer is full only in this exception's message.
            if (cause instanceof IllegalArgumentException tooLarge && String.valueOf(tooLarge.getMessage()).contains("Buffering capacity")) {
                throw new ResponseTooLargeException(maxBytes, cause);
            }
            throw new IOException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
        }
        var answered = new java.util.HashMap<String, String>();
        response.getHeaders().forEach(field -> answered.putIfAbsent(field.getLowerCaseName(), field.getValue()));
        return new InstanceResponse(response.getStatus(), response.getHeaders().get("Content-Type"),
                response.getHeaders().get("Arrow-Error"), response.getContent(), answered);
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // stopping: nothing left to do with it
        }
    }
}
