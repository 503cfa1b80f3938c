package dev.arrow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A bounded, seeded fuzz of a node's front door ({@link FrontDoorFuzz}, as {@code arrow bench fuzz}
 * runs it) against a separate {@code arrow serve} process started through the source tree's
 * {@code ./arrow} launcher (set by this module's pom as {@code arrow.launcher}). No answer may be a
 * 500, none may hang, none may name a Java class, nearly every request gets an answer, nothing in
 * the node's stderr is a stack trace or a SEVERE record, and the node's open files come back to
 * about their idle count. A failure names the seed and the request that broke it;
 * {@code -Darrow.fuzz.seed} and {@code -Darrow.fuzz.requests} change the run.
 *
 * <p>The launcher builds the tree first when the CLI's jar or the helper is older than a source
 * file; in {@code ./mvnw verify} (with {@code -pl arrow-bench -am} too) both are built earlier in
 * the same run, so it does not.
 */
class FrontDoorFuzzIT {

    private static final long SEED = Long.getLong("arrow.fuzz.seed", 20261207L);
    private static final int REQUESTS = Integer.getInteger("arrow.fuzz.requests", 1500);
    /** Open files a node may hold beyond its idle count once the fuzz's connections are closed. */
    private static final int FD_MARGIN = 10;

    @Test
    void malformedRequestsGetAClearAnswerAndNeverA500OrAHang() throws Exception {
        String launcher = System.getProperty("arrow.launcher");
        assertThat(launcher).as("-Darrow.launcher, the ./arrow of this tree (set in arrow-bench's pom)").isNotNull();
        assertThat(Files.isExecutable(Path.of(launcher))).as(launcher + " is executable").isTrue();
        try (var node = NodeBenchmark.RunningNode.start(true)) {
            var fuzz = new FrontDoorFuzz(node.base, node.token);
            fuzz.prepare();
            Thread.sleep(1000); // the preparing connections closed
            int idleFds = node.openFiles();

            FrontDoorFuzz.Result result = fuzz.run(fuzz.requests(SEED, REQUESTS), FrontDoorFuzz.MAX_CONCURRENCY);

            assertThat(result.firstFindings()).as("seed %d: the first request of each failing kind", SEED)
                    .extracting(FrontDoorFuzz.Finding::describe).isEmpty();
            // A node that only reset connections would pass the checks above: nearly every request gets an answer.
            assertThat(result.answered()).as("requests answered, seed %d", SEED).isGreaterThan(REQUESTS * 9 / 10);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int fds = node.openFiles();
            while (fds > idleFds + FD_MARGIN && System.nanoTime() < deadline) {
                Thread.sleep(200);
                fds = node.openFiles();
            }
            assertThat(fds).as("the node's open files after the fuzz (%d idle before), seed %d", idleFds, SEED)
                    .isLessThanOrEqualTo(idleFds + FD_MARGIN);
            // And the node still works (the fuzz may have deleted or redeployed "echo").
            assertThat(fuzz.stillWorks()).as("the node after the fuzz, seed %d", SEED).isEmpty();
            List<String> stderr = node.stderrLines();
            assertThat(stderr).as("the node's stderr, kept").anyMatch(line -> line.contains("node listening on"));
            assertThat(FrontDoorFuzz.stackTraces(stderr))
                    .as("stack traces or SEVERE records in the node's stderr, seed %d", SEED).isEmpty();
        }
    }
}
