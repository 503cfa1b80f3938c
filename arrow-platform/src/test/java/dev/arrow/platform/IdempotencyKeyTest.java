package dev.arrow.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IdempotencyKeyTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "8e03978e-40d5-43e8-bc93-6894a57f9324", "with space", "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"})
    void printableAsciiKeysAreTaken(String key) {
        assertThat(IdempotencyKey.requireValid(key)).isEqualTo(key);
        assertThat(IdempotencyKey.of(key, "app", new byte[0]).key()).isEqualTo(key);
    }

    @Test
    void aKeyMayHave255Characters() {
        assertThat(IdempotencyKey.requireValid("k".repeat(255))).hasSize(255);
        assertThatThrownBy(() -> IdempotencyKey.requireValid("k".repeat(256)))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.field()).isEqualTo("Idempotency-Key"))
                .hasMessageContaining("at most 255");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "tab\there", "new\nline", "del\u007f", "caf\u00e9", "\u0000"})
    void otherKeysAreInvalidInputNamingTheHeader(String key) {
        assertThatThrownBy(() -> IdempotencyKey.of(key, "app", new byte[0]))
                .isInstanceOfSatisfying(InvalidInputException.class,
                        e -> assertThat(e.field()).isEqualTo("Idempotency-Key"))
                .hasMessageContaining("Idempotency-Key");
        assertThatThrownBy(() -> new IdempotencyKey(key, "0".repeat(64))).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void theFingerprintIsTheSha256OfTheArrowAndTheBody() {
        IdempotencyKey key = IdempotencyKey.of("k", "app", "hello".getBytes(UTF_8));
        // python3 -c "import hashlib; print(hashlib.sha256(b'app\x00hello').hexdigest())"
        assertThat(key.fingerprint()).isEqualTo("8f258407523d5972d5b752672a3e8fee9eb9a6943f195632f467d995df64c2d7");
    }

    @Test
    void theSameRequestHasTheSameFingerprintAndAnyOtherAnother() {
        String base = IdempotencyKey.of("k", "app", "body".getBytes(UTF_8)).fingerprint();
        assertThat(IdempotencyKey.of("other-key", "app", "body".getBytes(UTF_8)).fingerprint()).isEqualTo(base);
        assertThat(IdempotencyKey.of("k", "app", "body!".getBytes(UTF_8)).fingerprint()).isNotEqualTo(base);
        assertThat(IdempotencyKey.of("k", "apps", "body".getBytes(UTF_8)).fingerprint()).isNotEqualTo(base);
        assertThat(IdempotencyKey.of("k", "ap", "pbody".getBytes(UTF_8)).fingerprint())
                .as("the name and the body do not run together").isNotEqualTo(base);
    }

    @Test
    void aUseIsTheSameRequestByItsFingerprintAndExpiresAfter24Hours() {
        IdempotencyKey key = IdempotencyKey.of("k", "app", new byte[0]);
        Instant at = Instant.parse("2030-01-01T00:00:00Z");
        var use = new IdempotencyKey.Use<>(key.fingerprint(), at, "id");

        assertThat(key.sameRequestAs(use)).isTrue();
        assertThat(key.sameRequestAs(new IdempotencyKey.Use<>("0".repeat(64), at, "id"))).isFalse();
        assertThat(IdempotencyKey.expired(use, at.plusSeconds(24 * 3600))).isFalse();
        assertThat(IdempotencyKey.expired(use, at.plusSeconds(24 * 3600 + 1))).isTrue();
    }
}
