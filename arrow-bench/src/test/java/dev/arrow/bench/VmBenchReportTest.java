package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VmBenchReportTest {

    private static VmBenchReport report(Optional<VmBenchReport.Memory> memory) {
        return new VmBenchReport(3, 1, List.of(
                new VmBenchReport.Row(VmBenchReport.COLD, "tcg", new double[] {3000, 2000, 2500}),
                new VmBenchReport.Row(VmBenchReport.RESTORE, "tcg", new double[] {600, 500, 250}),
                new VmBenchReport.Row(VmBenchReport.PREWARMED, "none", new double[] {2, 3, 4}),
                new VmBenchReport.Row(VmBenchReport.PLAIN_QEMU, "tcg", new double[] {1500, 1000, 2500})),
                memory, List.of());
    }

    @Test
    void ratiosAreTakenWithinEachRound() {
        VmBenchReport report = report(Optional.empty());

        // each round: 0.2, 0.25, 0.1; their median
        assertThat(report.ratio(VmBenchReport.RESTORE, VmBenchReport.COLD)).hasValueSatisfying(
                ratio -> assertThat(ratio).isCloseTo(0.2, within(1e-9)));
        assertThat(report.ratio(VmBenchReport.COLD, VmBenchReport.PLAIN_QEMU)).hasValueSatisfying(
                ratio -> assertThat(ratio).isCloseTo(2.0, within(1e-9)));
        assertThat(report.ratio(VmBenchReport.COLD, "no such way")).isEmpty();
    }

    @Test
    void everyRowAndRatioNamesItsAccelerator() {
        String table = report(Optional.of(new VmBenchReport.Memory("tcg", "512M", 40, 30, 9.5, 2))).table();

        assertThat(table.lines().toList()).hasSize(8);
        assertThat(table).contains("VM cold boot, to first output                tcg     3      2500.0     3000.0")
                .contains("process tier prewarmed, to first output      none    3         3.0        4.0")
                .contains("restore / cold (tcg): 0.20x, a restore 5.0x faster than a cold boot (goal: at least 5x under TCG), rounds 20, 25, 10%")
                .contains("cold / plain qemu (tcg): 2.00x")
                .contains("idle VM memory (tcg): qemu 40.0 MiB resident beyond the guest's RAM (512M, of which the guest touched 30.0 MiB),"
                        + " 2 virtiofsd processes 9.5 MiB: 49.5 MiB overhead per VM");
    }

    @Test
    void jsonCarriesTheSameFigures() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report(Optional.empty()).json());

        assertThat(json.get("isolation").asText()).isEqualTo("vm");
        assertThat(json.get("results")).hasSize(4);
        assertThat(json.get("results").get(0).get("accel").asText()).isEqualTo("tcg");
        assertThat(json.get("restoreOverCold").decimalValue()).isEqualByComparingTo("0.200");
        assertThat(json.get("coldOverPlainQemu").decimalValue()).isEqualByComparingTo("2.000");
        assertThat(json.has("idleVmMemory")).isFalse();
    }
}
