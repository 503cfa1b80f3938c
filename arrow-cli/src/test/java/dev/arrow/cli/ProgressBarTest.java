package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    private static final long MIB = 1024 * 1024;
    private static final long MS = 1_000_000;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    /** The bar's clock, in nanoseconds; tests move it. */
    private long now;

    private ProgressBar bar(long total) {
        return new ProgressBar(terminal, "uploading x", total, () -> now);
    }

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** What a terminal shows after the output: "\r" moves back to the start of the line, characters overwrite. */
    static List<String> screen(String output) {
        var lines = new ArrayList<StringBuilder>();
        lines.add(new StringBuilder());
        int column = 0;
        for (char c : output.toCharArray()) {
            StringBuilder line = lines.getLast();
            switch (c) {
                case '\r' -> column = 0;
                case '\n' -> {
                    lines.add(new StringBuilder());
                    column = 0;
                }
                default -> {
                    if (column < line.length()) {
                        line.setCharAt(column, c);
                    } else {
                        line.append(c);
                    }
                    column++;
                }
            }
        }
        return lines.stream().map(StringBuilder::toString).toList();
    }

    private long draws() {
        return written().chars().filter(c -> c == '\r').count();
    }

    /** The line shown, trailing blanks aside. */
    private String shown() {
        return screen(written()).getFirst().stripTrailing();
    }

    @Test
    void zeroPercentIsAnEmptyBar() {
        bar(2 * MIB).update(0);

        assertThat(written()).isEqualTo("\ruploading x [" + " ".repeat(30) + "]   0% 0B/2MiB");
    }

    @Test
    void partialFillsInProportion() {
        bar(2 * MIB).update(MIB);

        assertThat(shown()).isEqualTo("uploading x [" + "#".repeat(15) + " ".repeat(15) + "]  50% 1MiB/2MiB");
    }

    @Test
    void barAndPercentRoundDownSoOnlyTheEndIsFull() {
        bar(3).update(1);
        assertThat(shown()).isEqualTo("uploading x [" + "#".repeat(10) + " ".repeat(20) + "]  33% 1B/3B");

        bytes.reset();
        bar(100).update(99);
        assertThat(shown()).isEqualTo("uploading x [" + "#".repeat(29) + " ]  99% 99B/100B");
    }

    @Test
    void completeIsAFullBar() {
        bar(1536 * 1024).update(1536 * 1024);

        assertThat(shown()).isEqualTo("uploading x [" + "#".repeat(30) + "] 100% 1.5MiB/1.5MiB");
    }

    @Test
    void moreThanTheTotalShowsAsComplete() {
        // A body publisher may count what it hands on past the size the bar was told.
        bar(10 * MIB).update(11 * MIB);

        assertThat(shown()).isEqualTo("uploading x [" + "#".repeat(30) + "] 100% 10MiB/10MiB");
    }

    @Test
    void aShorterLineLeavesNothingOfTheLongerOneBefore() {
        var bar = bar(20 * MIB);
        bar.update(MIB * 199 / 10);
        assertThat(shown()).endsWith(" 99% 19.9MiB/20MiB");

        bar.update(20 * MIB);

        assertThat(shown()).isEqualTo("uploading x [" + "#".repeat(30) + "] 100% 20MiB/20MiB");
        assertThat(screen(written())).hasSize(1);
    }

    @Test
    void redrawsAtMostTenTimesASecondButAlwaysAtTheEnd() {
        var bar = bar(100);
        bar.update(1);
        assertThat(draws()).isEqualTo(1);

        now += 99 * MS;
        bar.update(2);
        assertThat(draws()).isEqualTo(1);
        assertThat(shown()).endsWith("  1% 1B/100B");

        now += MS;
        bar.update(3);
        assertThat(draws()).isEqualTo(2);
        assertThat(shown()).endsWith("  3% 3B/100B");

        // Within 100 ms of the last draw, but the last bytes: the bar must not stop short of 100%.
        now += MS;
        bar.update(100);
        assertThat(draws()).isEqualTo(3);
        assertThat(shown()).endsWith("100% 100B/100B");
    }

    @Test
    void closeEndsTheLineOfADrawnBar() {
        try (var bar = bar(4 * MIB)) {
            bar.update(MIB);
        }

        assertThat(written()).endsWith("1MiB/4MiB\n");
        assertThat(screen(written())).hasSize(2).last().isEqualTo("");
    }

    @Test
    void closeOfABarNeverDrawnPrintsNothing() {
        bar(4 * MIB).close();

        assertThat(written()).isEmpty();
    }
}
