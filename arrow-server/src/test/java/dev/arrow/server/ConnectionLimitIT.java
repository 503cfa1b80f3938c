package dev.arrow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.platform.invocations.DispatchSettings;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At its connection limit the node accepts no more and closes idle connections after the crowded
 * idle timeout, so clients that connect and say nothing cannot keep others out for long.
 */
class ConnectionLimitIT {

    @TempDir
    Path home;

    private Node node;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        node = Node.start(new NodeConfig("127.0.0.1", 0, home, DispatchSettings.DEFAULT).withMaxConnections(2));
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void silentClientsAtTheLimitAreClosedSoonAndTheNextClientIsServed() throws Exception {
        Socket silent1 = connect();
        Socket silent2 = connect();
        Thread.sleep(300); // both accepted: the node is at its limit
        Socket next = connect();
        next.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        long start = System.nanoTime();
        String answer = new String(next.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(answer).startsWith("HTTP/1.1 200 ");
        assertThat(waitedMillis).as("it waited for a slot, not for the usual 30 s idle timeout")
                .isBetween(NodeConfig.CROWDED_IDLE_TIMEOUT.toMillis() / 2, 20_000L);
        assertThat(closedByNode(silent1)).isTrue();
        assertThat(closedByNode(silent2)).isTrue();
    }

    private Socket connect() throws Exception {
        var socket = new Socket();
        sockets.add(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", node.uri().getPort()), 5_000);
        socket.setSoTimeout(25_000);
        return socket;
    }

    private static boolean closedByNode(Socket socket) throws Exception {
        InputStream in = socket.getInputStream();
        return in.read() == -1;
    }
}
