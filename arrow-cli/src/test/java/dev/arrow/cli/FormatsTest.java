package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FormatsTest {

    @Test
    void sizes() {
        assertThat(Formats.size(0)).isEqualTo("0B");
        assertThat(Formats.size(1023)).isEqualTo("1023B");
        assertThat(Formats.size(1024)).isEqualTo("1KiB");
        assertThat(Formats.size(3481)).isEqualTo("3.4KiB");
        assertThat(Formats.size(3_391_488)).isEqualTo("3.2MiB");
        assertThat(Formats.size(134_217_728)).isEqualTo("128MiB");
        assertThat(Formats.size(5L << 30)).isEqualTo("5GiB");
    }

    @Test
    void durations() {
        assertThat(Formats.duration(0.42)).isEqualTo("0.4ms");
        assertThat(Formats.duration(12.4)).isEqualTo("12.4ms");
        assertThat(Formats.duration(13)).isEqualTo("13ms");
        assertThat(Formats.duration(1250)).isEqualTo("1.25s");
        assertThat(Formats.duration(30_000)).isEqualTo("30s");
        assertThat(Formats.duration(125_000)).isEqualTo("2m5s");
        assertThat(Formats.duration(300_000)).isEqualTo("5m");
        assertThat(Formats.duration(5_400_000)).isEqualTo("1h30m");
    }

    @Test
    void relativeTimes() {
        Instant now = Instant.parse("2026-01-02T00:00:00Z");
        assertThat(Formats.ago(now.plusSeconds(3), now)).isEqualTo("just now");
        assertThat(Formats.ago(now.minusSeconds(5), now)).isEqualTo("5s ago");
        assertThat(Formats.ago(now.minusSeconds(180), now)).isEqualTo("3m ago");
        assertThat(Formats.ago(now.minusSeconds(7200), now)).isEqualTo("2h ago");
        assertThat(Formats.ago(now.minusSeconds(4 * 86_400), now)).isEqualTo("4d ago");
    }

    @Test
    void commandsAreQuotedOnlyWhenNeeded() throws Exception {
        var argv = new ObjectMapper().readTree("[\"python3\", \"-c\", \"print('hi there')\", \"/code/x.py\"]");
        assertThat(Formats.command(argv)).isEqualTo("python3 -c 'print('\\''hi there'\\'')' /code/x.py");
    }

    @Test
    void digestsAreShortened() {
        assertThat(Formats.shortDigest("sha256:" + "0123456789abcdef".repeat(4))).isEqualTo("sha256:0123456789ab…");
        assertThat(Formats.shortDigest("sha256:abc")).isEqualTo("sha256:abc");
    }
}
