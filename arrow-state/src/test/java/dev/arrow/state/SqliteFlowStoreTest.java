package dev.arrow.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.flows.runs.FlowRevision;
import dev.arrow.flows.runs.FlowStore;
import dev.arrow.flows.runs.FlowStoreContract;
import dev.arrow.flows.runs.Language;
import dev.arrow.flows.runs.RunRecord;
import dev.arrow.flows.runs.RunStatus;
import dev.arrow.flows.runs.StepRecord;
import dev.arrow.flows.runs.StepStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteFlowStoreTest extends FlowStoreContract {

    @TempDir
    Path dir;

    private SqliteState state;

    @Override
    protected FlowStore newStore() {
        state = SqliteState.open(dir.resolve("state.db"));
        return state.flows();
    }

    @AfterEach
    void close() {
        if (state != null) {
            state.close();
        }
    }

    @Test
    void revisionsRunsAndStepsSurviveReopening() {
        FlowRevision revision = store.deploy("order", Language.ASL, "{\"StartAt\":\"A\"}", at(0));
        store.delete("order");
        RunRecord run = run("r1", "order", 1, at(1));
        store.start(run);
        finishedRun("r2", at(2));
        StepRecord synced = step("r1", "/States/A", StepStatus.SUCCEEDED, at(1));
        StepRecord unsynced = step("r1", "/States/B", StepStatus.WAITING, at(2));
        store.record(List.of(synced), true);
        store.record(List.of(unsynced), false);
        state.close();

        store = newStore();

        assertThat(store.revision("order", 1)).contains(revision);
        assertThat(store.latest("order")).isEmpty();
        assertThat(store.run("r1")).contains(run);
        assertThat(store.running()).containsExactly(run);
        assertThat(store.steps("r1")).containsExactly(synced, unsynced);
        assertThat(store.run("r2").orElseThrow().output()).contains("{\"done\":true}");
        // The numbers go on across a reopen too.
        assertThat(store.deploy("order", Language.ASL, "{\"StartAt\":\"A\"}", at(3)).revision()).isEqualTo(2);
    }

    private void finishedRun(String id, java.time.Instant at) {
        store.start(run(id, "order", 1, at));
        store.finish(id, RunStatus.SUCCEEDED, Optional.of("{\"done\":true}"), Optional.empty(), at.plusSeconds(1));
    }
}
