package dev.arrow.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the CLI's HTTP/1.1 transport reads an answer: framing, 1xx, and answers it must refuse. */
class HttpTransportTest {

    private static HttpTransport.Response read(String wire) throws IOException {
        return HttpTransport.read(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)), "GET");
    }

    @Test
    void readsABodyByItsContentLengthAndHeadersWithoutCase() throws IOException {
        var response = read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Arrow-Cold: true\r\n\r\nhelloEXTRA");
        assertThat(response.status()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(response.headers().firstValue("x-arrow-cold")).hasValue("true");
    }

    @Test
    void joinsChunksAndSkipsExtensionsAndTrailers() throws IOException {
        var response = read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n");
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("abc0123456789abcdef");
    }

    @Test
    void aBodyWithoutLengthEndsWithTheConnection() throws IOException {
        assertThat(read("HTTP/1.1 500 Oops\nContent-Type: text/plain\n\nall of it").body())
                .asString(StandardCharsets.UTF_8).isEqualTo("all of it");
    }

    @Test
    void skipsInterimAnswers() throws IOException {
        var response = read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}");
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.body()).asString(StandardCharsets.UTF_8).isEqualTo("{}");
    }

    @Test
    void noBodyFor204() throws IOException {
        assertThat(read("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n").body()).isEmpty();
    }

    @Test
    void refusesWhatIsNotAnHttpAnswer() {
        assertThatThrownBy(() -> read("SSH-2.0-OpenSSH\r\n\r\n")).isInstanceOf(IOException.class)
                .hasMessageContaining("malformed answer");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")).hasMessageContaining("malformed header");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")).hasMessageContaining("Content-Length");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
                .hasMessageContaining("chunk size");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nX: " + "a".repeat(70_000) + "\r\n\r\n"))
                .hasMessageContaining("over 65536 bytes");
    }

    @Test
    void aCutAnswerIsAnError() {
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))
                .isInstanceOf(EOFException.class).hasMessageContaining("5 of its 10 bytes");
        assertThatThrownBy(() -> read("HTTP/1.1 200 OK\r\nContent-Le")).isInstanceOf(EOFException.class);
    }
}
