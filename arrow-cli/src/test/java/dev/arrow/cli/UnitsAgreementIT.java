package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.sandbox.Units;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code arrow run} reads sizes, durations and CPU amounts in the native helper, {@code arrow
 * deploy} with {@link Units}: both must take the same inputs, to the same values, with the same
 * messages. The helper's {@code --parse KIND} reads values as its run mode does.
 */
class UnitsAgreementIT {

    private static final Path HELPER = Path.of(System.getProperty("arrow.helper",
            Path.of("..", "native", "target", "arrow-sandbox-helper").toString())).toAbsolutePath();

    private static final List<String> NUMBERS = List.of(
            "0", "1", "00", "007", "10", "128", "1.5", ".5", "5.", "1.", ".", "0.001", "0.0001", "0.0010", "1.500",
            "0.5", "2.25", "123456789", "9223372036854775807", "9223372036854775808", "99999999999999999999",
            "000000000000000000000000001", "-1", "+1", "1e3", "", "1_000", "0x10", "1,5", "1 5",
            "\u0661", "\uff11");

    private static final List<String> UNITS = List.of(
            "", "k", "K", "m", "M", "g", "G", "t", "T", "b", "kb", "mb", "ms", "MS", "Ms", "mS", "s", "S", "h", "H",
            "d", "us", "ns", "\u212a", " k", ".", "Mi", "MiB", "mib", "KiB", "\u212aiB", "Ti", "i", "ib", "B", "bb",
            "mi b", "\tm", "  ms", " \t s", "kk", "\u0130");

    /** Java's String.strip() trims these (Character.isWhitespace); not the no-break spaces. */
    private static final List<String> SPACES = List.of(
            " ", "\t", "\n", "\u000b", "\f", "\r", "\u001c", "\u001f", "\u1680", "\u2003", "\u200a", "\u2028",
            "\u2029", "\u205f", "\u3000", "\u00a0", "\u2007", "\u202f", "\u0085", "\u200b");

    private static final List<String> EDGES = List.of(
            // sizes at the edge of 63 bits
            "8589934591g", "8589934592g", "8796093022207m", "8796093022208m", "9007199254740991k",
            "9007199254740992k", "9223372036854775807", "9223372036854775806k",
            // durations at the edge of 63 bits of nanoseconds, and exactly as precise as a unit allows
            "9223372036.854775807s", "9223372036.854775808s", "9223372036854ms", "9223372036855ms",
            "153722867.28m", "2562047.788015215h", "2562047.8h", "0.000001ms", "0.0000001ms",
            "0.0000000000025h", "0.00000000000250h", "0.00000000000125h", "0.00000000001m", "0.000000000001m",
            "1.0000000000001h", "1.00000000000000000000000000001s", "0.000000001", "0.0000000001",
            "1.000000000000000000000", "000.5s", "0.5ms", "1ms", "0.999ms",
            // CPUs at the edge of 31 bits of thousandths
            "2147483.647", "2147483.648", "2147483647", "0.0", "00.5", "0.00", "1.0001", "1.0010",
            // neither
            "\u00a01m", "1m\u00a0", "\u20071", "1\u202f", "1\u0085", "\u0085", "\u20281\u2029");

    @Test
    void sizesAgree() throws Exception {
        assertAgree("size", text -> Long.toString(Units.parseSize(text)));
    }

    @Test
    void durationsAgree() throws Exception {
        assertAgree("duration", text -> Long.toString(Units.parseDuration(text).toNanos()));
    }

    @Test
    void cpusAgree() throws Exception {
        assertAgree("cpus", text -> Integer.toString(Units.parseCpus(text)));
    }

    private static List<String> inputs() {
        Set<String> inputs = new LinkedHashSet<>(EDGES);
        for (String number : NUMBERS) {
            for (String unit : UNITS) {
                inputs.add(number + unit);
            }
        }
        for (String space : SPACES) {
            for (String value : List.of("1m", "1.5s", "0.5", "7", "")) {
                inputs.add(space + value);
                inputs.add(value + space);
                inputs.add(space + space + value + space + space);
            }
        }
        return List.copyOf(inputs);
    }

    private static void assertAgree(String kind, Function<String, String> java) throws Exception {
        List<String> inputs = inputs();
        List<String> expected = new ArrayList<>();
        for (String input : inputs) {
            String answer;
            try {
                answer = "ok " + java.apply(input);
            } catch (IllegalArgumentException e) {
                answer = "error " + escape(e.getMessage());
            }
            expected.add(answer);
        }
        List<String> actual = helperParse(kind, inputs);
        assertThat(actual).hasSameSizeAs(inputs);
        for (int i = 0; i < inputs.size(); i++) {
            assertThat(actual.get(i)).as("%s %s", kind, visible(inputs.get(i))).isEqualTo(expected.get(i));
        }
    }

    /** What the helper prints for each value: one line, "ok N" or "error MESSAGE". */
    private static List<String> helperParse(String kind, List<String> inputs) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(HELPER.toString(), "--parse", kind)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (OutputStream in = process.getOutputStream()) {
            for (String input : inputs) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
                in.write(0);
            }
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        return out.lines().toList();
    }

    /** As the helper escapes its messages: one line each. */
    private static String escape(String message) {
        return message.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
    }

    private static String visible(String input) {
        var out = new StringBuilder("'");
        input.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : "\\u%04x".formatted(c)));
        return out.append("'").toString();
    }
}
