package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CompilerThreadsTest {

    @Test
    void findsTheCompilerThreadsAndGivesLoweredOnesTheirNormalPriorityBack() {
        List<Integer> all = CompilerThreads.compilerThreads(nice -> true);
        assertThat(all).isNotEmpty(); // C1 and C2, as the launcher's serve has them
        assumeThat(System.getProperty("user.name")).as("raising a priority again needs root").isEqualTo("root");

        assertThat(CompilerThreads.setNice(all, 19)).isTrue(); // what -XX:CompilerThreadPriority=19 does
        try {
            assertThat(CompilerThreads.lowered()).containsAll(all);

            CompilerThreads.restoreNormalPriority();

            assertThat(CompilerThreads.lowered()).isEmpty();
            assertThat(CompilerThreads.compilerThreads(nice -> nice == 0)).containsAll(all);
        } finally {
            CompilerThreads.setNice(all, 0);
        }
    }
}
