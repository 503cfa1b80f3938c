package dev.arrow.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LogCaptureTest {

    private static LogCapture capture(String text, int max, int tail) {
        var log = new LogCapture(max, tail);
        log.drain(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        return log;
    }

    @Test
    void keepsAShortLogWhole() {
        LogCapture log = capture("hello\nworld\n", 64, 8);
        assertThat(log.text()).isEqualTo("hello\nworld\n");
        assertThat(log.truncated()).isFalse();
        assertThat(log.total()).isEqualTo(12);
        assertThat(log.tail()).isEqualTo("o\nworld\n");
    }

    @Test
    void keepsALogThatJustFitsHeadAndTailWhole() {
        LogCapture log = capture("0123456789", 10, 4);
        assertThat(log.text()).isEqualTo("0123456789");
        assertThat(log.truncated()).isFalse();
    }

    @Test
    void dropsTheMiddleOfALongLogWithAMarker() {
        LogCapture log = capture("HEAD" + "x".repeat(1000) + "TAIL", 8, 4);
        assertThat(log.truncated()).isTrue();
        assertThat(log.text()).isEqualTo("HEAD\n[arrow: log truncated: 1000 bytes dropped]\nTAIL");
        assertThat(log.tail()).isEqualTo("TAIL");
        assertThat(log.total()).isEqualTo(1008);
    }
}
