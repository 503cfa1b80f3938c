package dev.arrow.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OutputCaptureTest {

    @Test
    void keepsOutputUpToTheCap() {
        var stops = new AtomicInteger();
        var output = new OutputCapture(5, stops::incrementAndGet);
        output.drain(new ByteArrayInputStream("12345".getBytes()));
        assertThat(output.bytes()).isEqualTo("12345".getBytes());
        assertThat(output.overflowed()).isFalse();
        assertThat(stops).hasValue(0);
    }

    @Test
    void passingTheCapStopsTheSandboxOnceAndKeepsNothing() {
        var stops = new AtomicInteger();
        var output = new OutputCapture(5, stops::incrementAndGet);
        output.drain(new ByteArrayInputStream(new byte[100_000]));
        assertThat(output.overflowed()).isTrue();
        assertThat(output.bytes()).isEmpty();
        assertThat(output.total()).isEqualTo(100_000);
        assertThat(stops).hasValue(1);
    }
}
