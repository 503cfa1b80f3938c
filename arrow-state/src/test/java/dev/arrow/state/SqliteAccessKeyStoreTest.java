package dev.arrow.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.services.objects.AccessKeyStore.AccessKey;
import dev.arrow.services.objects.AccessKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteAccessKeyStoreTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00.123456789Z");

    @TempDir
    Path dir;

    @Test
    void keysAreCreatedListedWithoutSecretsFoundAndDeletedAcrossReopens() throws Exception {
        Path file = dir.resolve("state.db");
        var first = new AccessKey("AKAR0000000000000001", Optional.of("backup"), T0);
        var second = new AccessKey("AKAR0000000000000002", Optional.empty(), T0.plusSeconds(1));
        try (var state = SqliteState.open(file)) {
            var store = state.accessKeys();
            assertThat(store.create(second, "s".repeat(40))).isTrue();
            assertThat(store.create(first, "f".repeat(40))).isTrue();
            assertThat(store.create(first, "other")).as("a taken id").isFalse();
            assertThat(store.list()).containsExactly(first, second);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (var state = SqliteState.open(file)) {
            var store = state.accessKeys();
            assertThat(store.list()).containsExactly(first, second);
            assertThat(store.secret(first.id())).contains("f".repeat(40));
            assertThat(store.secret("AKAR0000000000000009")).isEmpty();
            assertThat(store.delete(first.id())).isTrue();
            assertThat(store.delete(first.id())).isFalse();
            assertThat(store.secret(first.id())).isEmpty();
            assertThat(store.list()).containsExactly(second);
        }
    }

    @Test
    void theRulesOverTheStoreGiveSignatureV4ItsSecret() {
        try (var state = SqliteState.open(dir.resolve("state.db"))) {
            var keys = new AccessKeys(state.accessKeys(), Clock.fixed(T0, ZoneOffset.UTC));
            var created = keys.create(Optional.of("s3 ☁"));
            assertThat(keys.list()).containsExactly(created.key());
            assertThat(keys.secretOf(created.key().id())).contains(created.secret());
            keys.delete(created.key().id());
            assertThat(keys.secretOf(created.key().id())).isEmpty();
        }
    }
}
