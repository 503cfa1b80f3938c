package dev.arrow.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code arrow bench}: measurements that compare Arrow with its peers on this machine. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measures Arrow against its peers on this machine.",
        subcommands = {SpawnBenchmark.class, NodeBenchmark.class, HttpBenchmark.class, CliBenchmark.class,
            SoakBenchmark.class, FuzzBenchmark.class, ServicesBenchmark.class, EventsBenchmark.class, FlowsBenchmark.class})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "no benchmark given, e.g. 'arrow bench spawn'");
    }
}
