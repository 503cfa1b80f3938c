package dev.arrow.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A closed-loop load on the node's service routes, the same code on either door: run inside a
 * sandbox (an exec arrow whose bundle is this class alone, so it needs nothing but the JDK) it
 * talks to the node's Unix socket with the arrow's token; run on the host it talks to the TCP API
 * with the operator's token. Each client is a kept-alive connection doing one operation after
 * another, all of them driven by one thread; the answer is one line of JSON: operations, seconds,
 * errors.
 *
 * <p>Arguments (or, when there are none, the first line of stdin, as an invocation's body):
 * {@code [tcp:HOST:PORT] OP CLIENTS PER_CLIENT}, OP one of {@code kv_get} (keys {@code k0..k999}
 * of store {@code bench}, written before), {@code kv_put}, {@code queue_cycle} (send, receive,
 * delete on queue {@code bench}), {@code event_post} (a CloudEvent in structured mode). Without {@code tcp:}, the socket named by {@code ARROW_API_SOCKET}.
 */
public final class ServiceLoad {

    static final String STORE = "bench";
    static final String QUEUE = "bench";
    static final int KEYS = 1000;
    static final int VALUE_BYTES = 100;
    /** The type of the events the load posts: no arrow listens, so each costs its storing alone. */
    static final String EVENT_TYPE = "dev.arrow.bench.accepted";

    private static final Pattern RECEIPT = Pattern.compile("\"receiptHandle\"\\s*:\\s*\"([^\"]+)\"");

    private ServiceLoad() {
    }

    public static void main(String[] args) throws Exception {
        String[] words = args.length > 0 ? args
                : new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip().split("\\s+");
        List<String> rest = new ArrayList<>(List.of(words));
        SocketAddress address;
        if (!rest.isEmpty() && rest.getFirst().startsWith("tcp:")) {
            String hostPort = rest.removeFirst().substring(4);
            int colon = hostPort.lastIndexOf(':');
            address = new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        } else {
            String socket = System.getenv("ARROW_API_SOCKET");
            if (socket == null) {
                throw new IllegalArgumentException("no tcp:HOST:PORT given and no ARROW_API_SOCKET");
            }
            address = UnixDomainSocketAddress.of(socket);
        }
        if (rest.size() != 3) {
            throw new IllegalArgumentException("usage: [tcp:HOST:PORT] kv_get|kv_put|queue_cycle|event_post CLIENTS PER_CLIENT");
        }
        String token = System.getenv("ARROW_TOKEN");
        Op op = Op.valueOf(rest.get(0).toUpperCase(Locale.ROOT));
        int clients = Integer.parseInt(rest.get(1));
        int perClient = Integer.parseInt(rest.get(2));
        System.out.println(run(address, token, op, clients, perClient));
    }

    enum Op {
        KV_GET, KV_PUT, QUEUE_CYCLE, EVENT_POST
    }

    /** Operations of each client before the timing starts: the JIT's work, on both sides, done. */
    static final int WARM_UP = 200;

    /**
     * Runs the load as redis-benchmark does, with event loops rather than a thread per connection
     * (which would spend, on 2 cores, more of the CPU on its own wake-ups than on what it
     * measures): {@code clients} connections, each with one request in flight, the next sent when
     * its answer is in, shared by one loop per core. The result is one JSON object.
     */
    static String run(SocketAddress address, String token, Op op, int clients, int perClient) throws Exception {
        int threads = Math.max(1, Math.min(clients, Runtime.getRuntime().availableProcessors()));
        var loops = new ArrayList<EventLoop>();
        for (int t = 0; t < threads; t++) {
            int first = clients * t / threads;
            int last = clients * (t + 1) / threads;
            loops.add(new EventLoop(address, token, op, first, last - first, perClient));
        }
        var warm = new CyclicBarrier(threads + 1);
        var failure = new AtomicReference<Exception>();
        var running = new ArrayList<Thread>();
        for (EventLoop loop : loops) {
            running.add(Thread.ofPlatform().name("arrow-bench-load").start(() -> {
                try {
                    loop.warmUp();
                    warm.await();
                    loop.timed();
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    warm.reset();
                } finally {
                    loop.close();
                }
            }));
        }
        try {
            warm.await();
        } catch (BrokenBarrierException e) {
            // a loop failed: its failure is thrown below
        }
        long start = System.nanoTime();
        for (Thread thread : running) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw failure.get();
        }
        long ops = (long) clients * perClient;
        long errors = loops.stream().mapToLong(loop -> loop.errors).sum();
        String firstError = loops.stream().map(loop -> loop.firstError).filter(e -> e != null).findFirst().orElse(null);
        return String.format(Locale.ROOT, "{\"op\":\"%s\",\"ops\":%d,\"seconds\":%.3f,\"perSecond\":%.1f,\"errors\":%d%s}",
                op.name().toLowerCase(Locale.ROOT), ops, seconds, ops / seconds, errors,
                firstError == null ? "" : ",\"firstError\":\"" + firstError.replace("\\", "/").replace("\"", "'") + "\"");
    }

    /** One connection of the load and where it is: which operation, which request of it. */
    private static final class Client {
        final int index;
        final SocketChannel channel;
        final SelectionKey key;
        ByteBuffer out;
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        int done;
        int sent;
        int step;
        boolean failed;

        Client(int index, SocketChannel channel, SelectionKey key) {
            this.index = index;
            this.channel = channel;
            this.key = key;
        }
    }

    private static final class EventLoop {
        private final Op op;
        private final int clients;
        private final int perClient;
        private final String head;
        private final Selector selector;
        private final List<Client> all = new ArrayList<>();
        long errors;
        String firstError;
        private int finished;
        /** Makes the events' ids of this run its own: the node stores an id once. */
        private final long nonce = System.nanoTime();

        EventLoop(SocketAddress address, String token, Op op, int firstIndex, int clients, int perClient) throws IOException {
            this.op = op;
            this.clients = clients;
            this.perClient = perClient;
            this.head = " HTTP/1.1\r\nHost: arrow\r\n" + (token == null ? "" : "Authorization: Bearer " + token + "\r\n");
            this.selector = Selector.open();
            for (int i = 0; i < clients; i++) {
                SocketChannel channel = SocketChannel.open(address);
                if (address instanceof InetSocketAddress) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                channel.configureBlocking(false);
                all.add(new Client(firstIndex + i, channel, channel.register(selector, 0)));
            }
            all.forEach(client -> client.key.attach(client));
        }

        /** WARM_UP operations on every connection: the JIT's work done, on both sides. */
        void warmUp() throws IOException {
            for (Client client : all) {
                begin(client);
            }
            loop(WARM_UP);
            finished = 0;
            errors = 0;
            firstError = null;
        }

        void timed() throws IOException {
            for (Client client : all) {
                client.done = 0;
                begin(client);
            }
            loop(perClient);
        }

        void close() {
            try {
                selector.close();
                for (Client client : all) {
                    client.channel.close();
                }
            } catch (IOException ignored) {
                // the load is over
            }
        }

        private void loop(int target) throws IOException {
            while (finished < clients) {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    Client client = (Client) key.attachment();
                    if (key.isWritable()) {
                        flush(client);
                    }
                    if (key.isReadable()) {
                        readAnswers(client, target);
                    }
                }
                selector.selectedKeys().clear();
            }
        }

        private void begin(Client client) throws IOException {
            client.step = 0;
            send(client, firstRequest(client));
        }

        private byte[] firstRequest(Client client) {
            int i = client.done;
            return switch (op) {
                case KV_GET -> request("GET", "/v1/kv/" + STORE + "/keys/k" + ((client.index * 7919 + i) % KEYS), null);
                case KV_PUT -> request("PUT", "/v1/kv/" + STORE + "/keys/p" + client.index + "-" + (i % KEYS), value(i));
                case QUEUE_CYCLE -> request("POST", "/v1/queues/" + QUEUE + "/messages", value(i));
                case EVENT_POST -> request("POST", "/v1/events", ("{\"specversion\":\"1.0\",\"id\":\"" + nonce + "-"
                        + client.index + "-" + client.sent++ + "\",\"source\":\"/bench/load\",\"type\":\"" + EVENT_TYPE
                        + "\",\"datacontenttype\":\"application/json\",\"data\":{\"n\":" + i + "}}")
                        .getBytes(StandardCharsets.UTF_8), "application/cloudevents+json");
            };
        }

        private byte[] request(String method, String target, byte[] body) {
            return request(method, target, body, null);
        }

        private byte[] request(String method, String target, byte[] body, String contentType) {
            byte[] bytes = body == null ? new byte[0] : body;
            byte[] line = (method + " " + target + head + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                    + "Content-Length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            byte[] whole = java.util.Arrays.copyOf(line, line.length + bytes.length);
            System.arraycopy(bytes, 0, whole, line.length, bytes.length);
            return whole;
        }

        private void send(Client client, byte[] request) throws IOException {
            client.out = ByteBuffer.wrap(request);
            flush(client);
        }

        private void flush(Client client) throws IOException {
            client.channel.write(client.out);
            client.key.interestOps(client.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        private void readAnswers(Client client, int target) throws IOException {
            if (client.in.remaining() == 0) {
                client.in = ByteBuffer.allocate(client.in.capacity() * 2).put(client.in.flip());
            }
            if (client.channel.read(client.in) < 0) {
                throw new IOException("the node closed a connection of the load");
            }
            Answer answer = parse(client);
            if (answer != null) {
                answered(client, answer, target);
            }
        }

        /** The answer complete in the client's buffer, taken out of it; null while it is not all in. */
        private static Answer parse(Client client) throws IOException {
            ByteBuffer in = client.in;
            byte[] bytes = in.array();
            int end = in.position();
            int headEnd = -1;
            for (int i = 3; i < end; i++) {
                if (bytes[i] == '\n' && bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r') {
                    headEnd = i + 1;
                    break;
                }
            }
            if (headEnd < 0) {
                return null;
            }
            String head = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.1 ") || head.length() < 12) {
                throw new IOException("not an HTTP/1.1 answer: " + head.lines().findFirst().orElse(""));
            }
            int status = Integer.parseInt(head.substring(9, 12));
            String lower = head.toLowerCase(Locale.ROOT);
            int at = lower.indexOf("\r\ncontent-length:");
            byte[] body;
            int consumed;
            if (at >= 0) {
                int eol = lower.indexOf("\r\n", at + 2);
                int length = Integer.parseInt(lower.substring(at + 17, eol).strip());
                if (end - headEnd < length) {
                    return null;
                }
                body = java.util.Arrays.copyOfRange(bytes, headEnd, headEnd + length);
                consumed = headEnd + length;
            } else if (lower.contains("\r\ntransfer-encoding: chunked")) {
                var content = new java.io.ByteArrayOutputStream();
                int i = headEnd;
                while (true) {
                    int eol = indexOf(bytes, end, i);
                    if (eol < 0) {
                        return null;
                    }
                    int size = Integer.parseInt(new String(bytes, i, eol - i, StandardCharsets.ISO_8859_1).split(";")[0].strip(), 16);
                    i = eol + 2;
                    if (size == 0) {
                        if (end - i < 2) {
                            return null;
                        }
                        consumed = i + 2; // no trailers from the node
                        break;
                    }
                    if (end - i < size + 2) {
                        return null;
                    }
                    content.write(bytes, i, size);
                    i += size + 2;
                }
                body = content.toByteArray();
            } else {
                body = new byte[0];
                consumed = headEnd;
            }
            in.flip().position(consumed);
            in.compact();
            return new Answer(status, body);
        }

        private static int indexOf(byte[] bytes, int end, int from) {
            for (int i = from; i + 1 < end; i++) {
                if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private void answered(Client client, Answer answer, int target) throws IOException {
            String failure = null;
            byte[] next = null;
            switch (op) {
                case KV_GET -> failure = expect(answer, 200);
                case KV_PUT -> failure = expect(answer, 201);
                case EVENT_POST -> failure = expect(answer, 202);
                case QUEUE_CYCLE -> {
                    if (client.step == 0) {
                        failure = expect(answer, 201);
                        if (failure == null) {
                            client.step = 1;
                            next = request("POST", "/v1/queues/" + QUEUE + "/receive?waitTime=1", null);
                        }
                    } else if (client.step == 1) {
                        Matcher handle = RECEIPT.matcher(new String(answer.body(), StandardCharsets.UTF_8));
                        if (answer.status() != 200 || !handle.find()) {
                            failure = "receive answered " + answer.status() + " " + new String(answer.body(), StandardCharsets.UTF_8);
                        } else {
                            client.step = 2;
                            next = request("POST", "/v1/queues/" + QUEUE + "/delete",
                                    ("{\"receiptHandle\":\"" + handle.group(1) + "\"}").getBytes(StandardCharsets.UTF_8));
                        }
                    } else {
                        failure = expect(answer, 204);
                    }
                }
            }
            if (next != null) {
                send(client, next);
                return;
            }
            if (failure != null) {
                errors++;
                if (firstError == null) {
                    firstError = failure;
                }
            }
            client.done++;
            if (client.done >= target) {
                client.key.interestOps(0);
                finished++;
            } else {
                begin(client);
            }
        }
    }

    static byte[] value(int i) {
        byte[] value = new byte[VALUE_BYTES];
        java.util.Arrays.fill(value, (byte) ('a' + i % 26));
        return value;
    }

    private static String expect(Answer answer, int status) {
        return answer.status() == status ? null
                : "answered " + answer.status() + " " + new String(answer.body(), StandardCharsets.UTF_8);
    }

    record Answer(int status, byte[] body) {
    }

    /** One kept-alive HTTP/1.1 connection over TCP or a Unix socket; answers read by Content-Length or chunks. */
    static final class Connection implements AutoCloseable {
        private final SocketChannel channel;
        private final InputStream in;
        private final OutputStream out;
        private final String head;

        Connection(SocketAddress address, String token) throws IOException {
            channel = SocketChannel.open(address);
            if (address instanceof InetSocketAddress) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            in = new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024);
            out = Channels.newOutputStream(channel);
            head = " HTTP/1.1\r\nHost: arrow\r\n" + (token == null ? "" : "Authorization: Bearer " + token + "\r\n");
        }

        Answer exchange(String method, String target, byte[] body) throws IOException {
            byte[] bytes = body == null ? new byte[0] : body;
            String request = method + " " + target + head + "Content-Length: " + bytes.length + "\r\n\r\n";
            var whole = new ByteArrayOutputStream(request.length() + bytes.length);
            whole.writeBytes(request.getBytes(StandardCharsets.ISO_8859_1));
            whole.writeBytes(bytes);
            out.write(whole.toByteArray());
            out.flush();
            String status = line();
            if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
                throw new IOException("not an HTTP/1.1 answer: " + status);
            }
            long length = -1;
            boolean chunked = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring("content-length:".length()).strip());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            int code = Integer.parseInt(status.substring(9, 12));
            if (chunked) {
                var content = new ByteArrayOutputStream();
                for (int size = Integer.parseInt(line().split(";")[0].strip(), 16); size > 0;
                        size = Integer.parseInt(line().split(";")[0].strip(), 16)) {
                    content.writeBytes(in.readNBytes(size));
                    line();
                }
                for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
                    // trailers are not used here
                }
                return new Answer(code, content.toByteArray());
            }
            return new Answer(code, length <= 0 ? new byte[0] : in.readNBytes((int) length));
        }

        private String line() throws IOException {
            var line = new ByteArrayOutputStream(64);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("the connection closed mid-answer");
                }
                if (c != '\r') {
                    line.write(c);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
