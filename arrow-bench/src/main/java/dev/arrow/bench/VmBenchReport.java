package dev.arrow.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code arrow bench spawn --isolation vm} measured, as a table or JSON: each way's times per
 * round (all ways ran in every round, in turns), the ratios taken within each round, and the
 * memory an idle VM costs beyond its guest's RAM.
 */
record VmBenchReport(int rounds, int warmup, List<Row> rows, Optional<Memory> memory, List<String> skipped) {

    static final String COLD = "VM cold boot, to first output";
    static final String RESTORE = "VM restore, to first output";
    static final String POOLED = "VM from the pool (restored ahead), to output";
    static final String PREWARMED = "process tier prewarmed, to first output";
    static final String PLAIN_QEMU = "plain qemu, same kernel+initramfs, to init";
    /** Restore must be at least this many times faster than a cold boot (under TCG). */
    static final double RESTORE_GOAL = 5;

    /** One way's times in milliseconds, round by round; accel is {@code tcg}, {@code kvm} or {@code none}. */
    record Row(String way, String accel, double[] millis) {
        Timings timings() {
            long[] nanos = new long[millis.length];
            for (int i = 0; i < millis.length; i++) {
                nanos[i] = Math.round(millis[i] * 1e6);
            }
            return new Timings(nanos);
        }
    }

    /**
     * An idle VM's memory, in MiB (medians of the rounds): qemu's resident set without its shared
     * memory (the guest's RAM is a memfd, so RssShmem is the guest's touched pages), and every
     * virtiofsd process of the VM, whole.
     */
    record Memory(String accel, String guestRam, double qemuMiB, double guestTouchedMiB, double virtiofsdMiB,
            int virtiofsdProcesses) {
        double overheadMiB() {
            return qemuMiB + virtiofsdMiB;
        }
    }

    Optional<Row> row(String way) {
        return rows.stream().filter(row -> row.way().equals(way)).findFirst();
    }

    /** The median of each round's {@code part / whole}. */
    Optional<Double> ratio(String part, String whole) {
        return row(part).flatMap(p -> row(whole).map(w -> Timings.medianRatio(p.millis(), w.millis())));
    }

    String table() {
        var text = new StringBuilder(String.format(Locale.ROOT, "%-44s %-5s %3s %11s %10s%n",
                "way", "accel", "n", "median ms", "p99 ms"));
        for (Row row : rows) {
            Timings timings = row.timings();
            text.append(String.format(Locale.ROOT, "%-44s %-5s %3d %11.1f %10.1f%n",
                    row.way(), row.accel(), timings.count(), timings.medianMillis(), timings.p99Millis()));
        }
        ratio(RESTORE, COLD).ifPresent(ratio -> text.append(String.format(Locale.ROOT,
                "restore / cold (%s): %.2fx, a restore %.1fx faster than a cold boot (goal: at least %.0fx under TCG)%s%n",
                row(RESTORE).orElseThrow().accel(), ratio, 1 / ratio, RESTORE_GOAL,
                Timings.eachRound(row(RESTORE).orElseThrow().millis(), row(COLD).orElseThrow().millis()))));
        ratio(POOLED, COLD).ifPresent(ratio -> text.append(String.format(Locale.ROOT,
                "pooled / cold (%s): %.2fx, a start from the pool %.1fx faster than a cold boot%n",
                row(POOLED).orElseThrow().accel(), ratio, 1 / ratio)));
        ratio(COLD, PLAIN_QEMU).ifPresent(ratio -> text.append(String.format(Locale.ROOT,
                "cold / plain qemu (%s): %.2fx%n", row(COLD).orElseThrow().accel(), ratio)));
        memory.ifPresent(m -> text.append(String.format(Locale.ROOT,
                "idle VM memory (%s): qemu %.1f MiB resident beyond the guest's RAM (%s, of which the guest touched"
                        + " %.1f MiB), %d virtiofsd processes %.1f MiB: %.1f MiB overhead per VM (anchor on KVM:"
                        + " Firecracker's under 5 MiB)%n",
                m.accel(), m.qemuMiB(), m.guestRam(), m.guestTouchedMiB(), m.virtiofsdProcesses(), m.virtiofsdMiB(),
                m.overheadMiB())));
        for (String skip : skipped) {
            text.append(skip).append('\n');
        }
        return text.toString();
    }

    String json() throws JsonProcessingException {
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode().put("isolation", "vm").put("runs", rounds).put("warmup", warmup);
        ArrayNode results = root.putArray("results");
        for (Row row : rows) {
            Timings timings = row.timings();
            results.addObject().put("way", row.way()).put("accel", row.accel()).put("n", timings.count())
                    .put("medianMs", decimals(timings.medianMillis(), 1)).put("p99Ms", decimals(timings.p99Millis(), 1));
        }
        ratio(RESTORE, COLD).ifPresent(ratio -> root.put("restoreOverCold", decimals(ratio, 3)));
        ratio(POOLED, COLD).ifPresent(ratio -> root.put("pooledOverCold", decimals(ratio, 3)));
        ratio(COLD, PLAIN_QEMU).ifPresent(ratio -> root.put("coldOverPlainQemu", decimals(ratio, 3)));
        memory.ifPresent(m -> root.putObject("idleVmMemory").put("accel", m.accel()).put("guestRam", m.guestRam())
                .put("qemuMiB", decimals(m.qemuMiB(), 1)).put("guestTouchedMiB", decimals(m.guestTouchedMiB(), 1))
                .put("virtiofsdMiB", decimals(m.virtiofsdMiB(), 1)).put("virtiofsdProcesses", m.virtiofsdProcesses())
                .put("overheadMiB", decimals(m.overheadMiB(), 1)));
        ArrayNode notMeasured = root.putArray("skipped");
        skipped.forEach(notMeasured::add);
        return mapper.writeValueAsString(root) + "\n";
    }

    private static BigDecimal decimals(double value, int places) {
        return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP);
    }
}
