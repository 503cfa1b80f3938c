package dev.arrow.state;

import static dev.arrow.state.Fixtures.at;
import static dev.arrow.state.Fixtures.nextId;
import static dev.arrow.state.Fixtures.queued;
import static dev.arrow.state.Fixtures.simpleSpec;
import static dev.arrow.state.Fixtures.syncSucceeded;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.IdempotencyKey;
import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.invocations.InvocationRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idempotency keys in the SQLite state: stored with what they made, atomically, and kept across reopening. */
class SqliteIdempotencyKeysTest {

    @TempDir
    Path dir;

    private SqliteState state;

    @BeforeEach
    void open() {
        state = SqliteState.open(dir.resolve("state.db"));
    }

    @AfterEach
    void close() {
        state.close();
    }

    private static IdempotencyKey key(String key, String arrow, String body) {
        return IdempotencyKey.of(key, arrow, body.getBytes(UTF_8));
    }

    @Test
    void anAcceptedInvocationHoldsItsKeyAndASecondAcceptUnderItWritesNothing() {
        IdempotencyKey key = key("k-1", "app", "payload");
        InvocationRecord first = queued(nextId(), "app", at(0));
        InvocationRecord second = queued(nextId(), "app", at(1));

        assertThat(state.invocations().accept(first, "payload".getBytes(UTF_8), key, Optional.empty())).isEmpty();
        Optional<IdempotencyKey.Use<String>> held =
                state.invocations().accept(second, "payload".getBytes(UTF_8), key, Optional.empty());

        assertThat(held).contains(new IdempotencyKey.Use<>(key.fingerprint(), at(0), first.id()));
        assertThat(state.invocations().find(first.id())).contains(first);
        assertThat(state.invocations().find(second.id())).isEmpty();
        assertThat(state.invocations().countUnfinished()).isOne();
    }

    @Test
    void keysAreScopedToTheArrowAndToTheKindOfCall() {
        IdempotencyKey key = key("shared", "app", "");
        assertThat(state.invocations().accept(queued(nextId(), "app", at(0)), new byte[0], key, Optional.empty())).isEmpty();
        assertThat(state.invocations().accept(queued(nextId(), "other", at(0)), new byte[0], key, Optional.empty()))
                .as("another arrow").isEmpty();
        assertThat(state.arrows().addRevision(simpleSpec("app"), at(0), key, Optional.empty()))
                .as("a deploy of the same arrow").isEmpty();
        assertThat(state.invocations().countUnfinished()).isEqualTo(2);
    }

    @Test
    void aFailedAcceptStoresNoKeyEither() {
        IdempotencyKey key = key("k", "app", "");
        InvocationRecord existing = queued(nextId(), "app", at(0));
        state.invocations().accept(existing, new byte[0]);

        assertThatThrownBy(() -> state.invocations().accept(existing, new byte[0], key, Optional.empty()))
                .as("the same id twice breaks the primary key").isInstanceOf(IllegalStateException.class);

        InvocationRecord next = queued(nextId(), "app", at(1));
        assertThat(state.invocations().accept(next, new byte[0], key, Optional.empty()))
                .as("the key was rolled back with the invocation").isEmpty();
        assertThat(state.invocations().find(next.id())).contains(next);
    }

    @Test
    void aUseIsReplacedOnlyWhileItStillHoldsTheKey() {
        IdempotencyKey key = key("k", "app", "");
        String first = nextId();
        String second = nextId();
        String third = nextId();
        assertThat(state.invocations().claim("app", key, first, at(0), Optional.empty())).isEmpty();
        IdempotencyKey.Use<String> firstUse = new IdempotencyKey.Use<>(key.fingerprint(), at(0), first);

        assertThat(state.invocations().claim("app", key, second, at(1), Optional.of(firstUse))).isEmpty();
        assertThat(state.invocations().claim("app", key, third, at(2), Optional.of(firstUse)))
                .as("a stale use to replace: the key has changed hands")
                .contains(new IdempotencyKey.Use<>(key.fingerprint(), at(1), second));
    }

    @Test
    void aClaimWritesNoRecordAndHoldsTheKeyAcrossReopening() {
        IdempotencyKey key = key("sync-key", "app", "in");
        String id = nextId();
        assertThat(state.invocations().claim("app", key, id, at(0), Optional.empty())).isEmpty();
        assertThat(state.invocations().find(id)).as("the record comes when it finishes").isEmpty();
        state.invocations().finish(syncSucceeded(id, "app", at(0)), "out".getBytes(UTF_8), "");

        state.close();
        state = SqliteState.open(dir.resolve("state.db"));

        assertThat(state.invocations().claim("app", key, nextId(), at(5), Optional.empty()))
                .contains(new IdempotencyKey.Use<>(key.fingerprint(), at(0), id));
        assertThat(state.invocations().find(id)).isPresent();
    }

    @Test
    void oneKeyAcceptsOneInvocationHoweverManyAskAtOnce() throws Exception {
        IdempotencyKey key = key("race", "app", "x");
        var results = new ArrayList<Future<Optional<IdempotencyKey.Use<String>>>>();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 32; i++) {
                int n = i;
                results.add(executor.submit(() -> state.invocations().accept(queued(nextId(), "app", at(n)),
                        "x".getBytes(UTF_8), key, Optional.empty())));
            }
        }
        List<Optional<IdempotencyKey.Use<String>>> answers = new ArrayList<>();
        for (var result : results) {
            answers.add(result.get());
        }
        assertThat(answers).filteredOn(Optional::isEmpty).hasSize(1);
        assertThat(answers).filteredOn(Optional::isPresent).extracting(Optional::get)
                .extracting(IdempotencyKey.Use::result).containsOnly(state.invocations().unfinished().getFirst().id());
        assertThat(state.invocations().countUnfinished()).isOne();
    }

    @Test
    void aDeployUnderAKeyAddsOneRevisionAndDeletingTheArrowForgetsItsKeys() {
        IdempotencyKey key = key("deploy-1", "app", "{}");
        ArrowSpec spec = simpleSpec("app");

        assertThat(state.arrows().addRevision(spec, at(0), key, Optional.empty())).isEmpty();
        assertThat(state.arrows().addRevision(spec, at(1), key, Optional.empty()))
                .contains(new IdempotencyKey.Use<>(key.fingerprint(), at(0), 1));
        assertThat(state.arrows().revisions("app")).hasSize(1);
        assertThat(state.arrows().arrow("app").orElseThrow().trafficRevision()).isEqualTo(1);
        assertThat(state.arrows().addRevision(spec, at(2), key("deploy-2", "app", "{}"), Optional.empty())).isEmpty();
        assertThat(state.arrows().revisions("app")).hasSize(2);

        state.arrows().delete("app");

        assertThat(state.arrows().addRevision(spec, at(3), key, Optional.empty())).isEmpty();
        assertThat(state.arrows().revisions("app")).hasSize(1);
    }

    @Test
    void aSweepDeletesTheKeysOfItsKindUsedBeforeTheCutoff() {
        IdempotencyKey key = key("old", "app", "");
        IdempotencyKey newer = key("new", "app", "");
        state.invocations().claim("app", key, nextId(), at(0), Optional.empty());
        state.invocations().claim("app", newer, nextId(), at(20), Optional.empty());
        state.arrows().addRevision(simpleSpec("app"), at(0), key, Optional.empty());

        assertThat(state.invocations().deleteKeysBefore(at(10))).isOne();
        assertThat(state.invocations().deleteKeysBefore(at(10))).isZero();

        assertThat(state.invocations().claim("app", key, nextId(), at(30), Optional.empty())).as("gone").isEmpty();
        assertThat(state.invocations().claim("app", newer, nextId(), at(30), Optional.empty())).as("kept").isPresent();
        assertThat(state.arrows().addRevision(simpleSpec("app"), at(30), key, Optional.empty()))
                .as("a deploy's key is not an invocation's").isPresent();
        assertThat(state.arrows().deleteKeysBefore(at(10))).isOne();
    }
}
