package dev.arrow.sandbox.vm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client of qemu's machine protocol (QMP) on a Unix socket: one command at a time, each answer
 * read past the asynchronous events qemu interleaves. Arguments and answers are plain maps, lists
 * and scalars (the module has Jackson's streaming core only). Its owner closes it with the VM.
 */
final class Qmp implements AutoCloseable {

    private static final JsonFactory JSON = new JsonFactory();

    private final SocketChannel channel;
    private final BufferedReader lines;

    private Qmp(SocketChannel channel) {
        this.channel = channel;
        this.lines = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /** Connects once qemu has made the socket (it does so at its start), and negotiates. */
    static Qmp connect(Path socket, java.util.function.BooleanSupplier qemuAlive, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (Files.exists(socket)) {
                SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                    var qmp = new Qmp(channel);
                    if (qmp.lines.readLine() == null) {
                        throw new IOException("qemu closed its control socket");
                    }
                    qmp.execute("qmp_capabilities", Map.of());
                    return qmp;
                } catch (IOException e) {
                    channel.close();
                    if (!qemuAlive.getAsBoolean() || System.nanoTime() > deadline) {
                        throw e;
                    }
                }
            }
            if (!qemuAlive.getAsBoolean()) {
                throw new IOException("qemu ended before its control socket answered");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("qemu's control socket did not appear within " + limit.toMillis() + " ms");
            }
            Thread.sleep(1);
        }
    }

    /** Runs one command; its {@code return} value (a map for most), or an IOException with qemu's error. */
    Object execute(String command, Map<String, ?> arguments) throws IOException {
        var text = new StringWriter();
        try (JsonGenerator out = JSON.createGenerator(text)) {
            out.writeStartObject();
            out.writeStringField("execute", command);
            if (!arguments.isEmpty()) {
                out.writeFieldName("arguments");
                write(out, arguments);
            }
            out.writeEndObject();
        }
        ByteBuffer bytes = ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
        while (true) {
            String line = lines.readLine();
            if (line == null) {
                throw new IOException("qemu closed its control socket during " + command);
            }
            Object answer;
            try (JsonParser in = JSON.createParser(line)) {
                in.nextToken();
                answer = read(in);
            }
            if (answer instanceof Map<?, ?> map) {
                if (map.containsKey("return")) {
                    return map.get("return");
                }
                if (map.get("error") instanceof Map<?, ?> error) {
                    throw new IOException(command + ": " + error.get("desc"));
                }
            }
            // an event
        }
    }

    /** A field of a map answer as text, "" when absent. */
    static String text(Object answer, String field) {
        return answer instanceof Map<?, ?> map && map.get(field) != null ? map.get(field).toString() : "";
    }

    private static void write(JsonGenerator out, Object value) throws IOException {
        switch (value) {
            case Map<?, ?> map -> {
                out.writeStartObject();
                for (var entry : map.entrySet()) {
                    out.writeFieldName(entry.getKey().toString());
                    write(out, entry.getValue());
                }
                out.writeEndObject();
            }
            case List<?> list -> {
                out.writeStartArray();
                for (Object item : list) {
                    write(out, item);
                }
                out.writeEndArray();
            }
            case Boolean bool -> out.writeBoolean(bool);
            case Long number -> out.writeNumber(number);
            case Integer number -> out.writeNumber(number);
            default -> out.writeString(value.toString());
        }
    }

    private static Object read(JsonParser in) throws IOException {
        JsonToken token = in.currentToken();
        switch (token) {
            case START_OBJECT -> {
                var map = new LinkedHashMap<String, Object>();
                while (in.nextToken() == JsonToken.FIELD_NAME) {
                    String name = in.currentName();
                    in.nextToken();
                    map.put(name, read(in));
                }
                return map;
            }
            case START_ARRAY -> {
                var list = new ArrayList<>();
                while (in.nextToken() != JsonToken.END_ARRAY) {
                    list.add(read(in));
                }
                return list;
            }
            case VALUE_STRING -> {
                return in.getText();
            }
            case VALUE_NUMBER_INT -> {
                return in.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return in.getDoubleValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return in.getBooleanValue();
            }
            default -> {
                return null;
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
