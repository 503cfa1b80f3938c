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
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A closed-loop load on the node's service routes, the same code on either door: run inside a
 * sandbox (an exec arrow whose bundle is this class alone, so it needs nothing but the JDK) it
 * talks to the node's Unix socket with the arrow's token; run on the host it talks to the TCP API
 * with the operator's token. Each client is a thread with one kept-alive connection doing one
 * operation after another; the answer is one line of JSON: operations, seconds, errors.
 *
 * <p>Arguments (or, when there are none, the first line of stdin, as an invocation's body):
 * {@code [tcp:HOST:PORT] OP CLIENTS PER_CLIENT}, OP one of {@code kv_get} (keys {@code k0..k999}
 * of store {@code bench}, written before), {@code kv_put}, {@code queue_cycle} (send, receive,
 * delete on queue {@code bench}). Without {@code tcp:}, the socket named by {@code ARROW_API_SOCKET}.
 */
public final class ServiceLoad {

    static final String STORE = "bench";
    static final String QUEUE = "bench";
    static final int KEYS = 1000;
    static final int VALUE_BYTES = 100;

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
            throw new IllegalArgumentException("usage: [tcp:HOST:PORT] kv_get|kv_put|queue_cycle CLIENTS PER_CLIENT");
        }
        String token = System.getenv("ARROW_TOKEN");
        Op op = Op.valueOf(rest.get(0).toUpperCase(Locale.ROOT));
        int clients = Integer.parseInt(rest.get(1));
        int perClient = Integer.parseInt(rest.get(2));
        System.out.println(run(address, token, op, clients, perClient));
    }

    enum Op {
        KV_GET, KV_PUT, QUEUE_CYCLE
    }

    /** Operations of each client before the timing starts: the JIT's work, on both sides, done. */
    static final int WARM_UP = 200;

    /** Runs the load; its result as one JSON object. */
    static String run(SocketAddress address, String token, Op op, int clients, int perClient) throws Exception {
        var errors = new AtomicLong();
        var firstError = new AtomicReference<String>();
        var warm = new CyclicBarrier(clients + 1);
        var threads = new ArrayList<Thread>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().name("arrow-bench-load-" + c).start(() -> {
                try (var connection = new Connection(address, token)) {
                    for (int i = 0; i < WARM_UP; i++) {
                        once(connection, op, client, i);
                    }
                    warm.await();
                    for (int i = 0; i < perClient; i++) {
                        String failure = once(connection, op, client, i);
                        if (failure != null) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, failure);
                        }
                    }
                } catch (IOException | InterruptedException | BrokenBarrierException e) {
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, e.toString());
                    warm.reset(); // the others are not held waiting for a client that is gone
                }
            }));
        }
        try {
            warm.await();
        } catch (BrokenBarrierException e) {
            // a client failed before the timing: its error is in the answer
        }
        long start = System.nanoTime();
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long ops = (long) clients * perClient;
        return String.format(Locale.ROOT, "{\"op\":\"%s\",\"ops\":%d,\"seconds\":%.3f,\"perSecond\":%.1f,\"errors\":%d%s}",
                op.name().toLowerCase(Locale.ROOT), ops, seconds, ops / seconds, errors.get(),
                firstError.get() == null ? "" : ",\"firstError\":\"" + firstError.get().replace("\\", "/").replace("\"", "'") + "\"");
    }

    /** One operation; null when it went as it should, else what went wrong. */
    private static String once(Connection connection, Op op, int client, int i) throws IOException {
        return switch (op) {
            case KV_GET -> expect(connection.exchange("GET", "/v1/kv/" + STORE + "/keys/k" + ((client * 7919 + i) % KEYS), null), 200);
            case KV_PUT -> expect(connection.exchange("PUT", "/v1/kv/" + STORE + "/keys/p" + client + "-" + (i % KEYS), value(i)), 201);
            case QUEUE_CYCLE -> {
                String sent = expect(connection.exchange("POST", "/v1/queues/" + QUEUE + "/messages", value(i)), 201);
                if (sent != null) {
                    yield sent;
                }
                Answer received = connection.exchange("POST", "/v1/queues/" + QUEUE + "/receive?waitTime=1", null);
                Matcher handle = RECEIPT.matcher(new String(received.body(), StandardCharsets.UTF_8));
                if (received.status() != 200 || !handle.find()) {
                    yield "receive answered " + received.status() + " " + new String(received.body(), StandardCharsets.UTF_8);
                }
                byte[] delete = ("{\"receiptHandle\":\"" + handle.group(1) + "\"}").getBytes(StandardCharsets.UTF_8);
                yield expect(connection.exchange("POST", "/v1/queues/" + QUEUE + "/delete", delete), 204);
            }
        };
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
