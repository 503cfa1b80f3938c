package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrontDoorFuzzTest {

    private final FrontDoorFuzz fuzz = new FrontDoorFuzz(URI.create("http://127.0.0.1:1"), "t0ken");

    @Test
    void theSameSeedSendsTheSameRequests() {
        List<FrontDoorFuzz.Raw> first = fuzz.requests(7, 200);
        List<FrontDoorFuzz.Raw> again = fuzz.requests(7, 200);
        assertThat(again).hasSize(200);
        for (int i = 0; i < first.size(); i++) {
            assertThat(again.get(i).bytes()).isEqualTo(first.get(i).bytes());
        }
        assertThat(first).extracting(FrontDoorFuzz.Raw::kind).containsAll(List.of(FrontDoorFuzz.Kind.values()));
    }

    @Test
    void aStackTraceCountsOnceAndASevereRecordWithItsTraceOnce() {
        List<String> log = List.of(
                "2026-12-07T04:00:00.000+0000 INFO dev.arrow.server.Node: node listening on http://127.0.0.1:1",
                "2026-12-07T04:00:01.000+0000 WARNING dev.arrow.server.X: failed",
                "java.io.IOException: boom",
                "\tat dev.arrow.server.X.run(X.java:1)",
                "\tat java.base/java.lang.Thread.run(Thread.java:1)",
                "Caused by: java.lang.IllegalStateException: inner",
                "\tat dev.arrow.server.Y.run(Y.java:2)",
                "\t... 1 more",
                "2026-12-07T04:00:02.000+0000 SEVERE dev.arrow.server.Z: broken",
                "java.lang.NullPointerException",
                "\tat dev.arrow.server.Z.run(Z.java:3)",
                "2026-12-07T04:00:03.000+0000 SEVERE dev.arrow.server.Z: no trace");
        List<String> found = FrontDoorFuzz.stackTraces(log);
        assertThat(found).hasSize(3);
        assertThat(found.get(0)).startsWith("java.io.IOException: boom | \\tat dev.arrow.server.X.run");
        assertThat(found.get(1)).contains("SEVERE dev.arrow.server.Z: broken");
        assertThat(found.get(2)).contains("no trace");
        assertThat(FrontDoorFuzz.stackTraces(log.subList(0, 1))).isEmpty();
    }

    @Test
    void abbreviatedTextIsOneLineOfPrintableCharacters() {
        assertThat(FrontDoorFuzz.abbreviate("GET / HTTP/1.1\r\n\u0000\u00e9\ud800")).isEqualTo("GET / HTTP/1.1\\r\\n\\x00\\xe9\\ud800");
        assertThat(FrontDoorFuzz.abbreviate("a".repeat(300))).isEqualTo("a".repeat(200) + "...");
        assertThat(FrontDoorFuzz.abbreviate("a".repeat(200))).isEqualTo("a".repeat(200));
    }
}
