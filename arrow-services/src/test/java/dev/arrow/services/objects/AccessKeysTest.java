package dev.arrow.services.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import dev.arrow.platform.NotFoundException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccessKeysTest {

    static final Instant WHEN = Instant.parse("2026-12-07T05:30:00Z");

    final MemoryAccessKeyStore store = new MemoryAccessKeyStore();
    final AccessKeys keys = new AccessKeys(store, Clock.fixed(WHEN, ZoneOffset.UTC));

    @Test
    void idsAndSecretsHaveAwsForm() {
        var created = keys.create(Optional.of("backup job"));
        assertThat(created.key().id()).matches("AKAR[A-Z0-9]{16}").hasSize(AccessKeys.ID_LENGTH);
        assertThat(created.secret()).matches("[A-Za-z0-9+/]{40}");
        assertThat(created.key().name()).contains("backup job");
        assertThat(created.key().createdAt()).isEqualTo(WHEN);
        assertThat(created.toString()).doesNotContain(created.secret());
        assertThat(keys.list()).containsExactly(created.key());
        assertThat(keys.secretOf(created.key().id())).contains(created.secret());
    }

    @Test
    void idsAndSecretsAreRandomAndUseTheWholeAlphabet() {
        Set<String> ids = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        Set<Character> idChars = new HashSet<>();
        Set<Character> secretChars = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            var created = keys.create(Optional.empty());
            ids.add(created.key().id());
            secrets.add(created.secret());
            created.key().id().substring(4).chars().forEach(c -> idChars.add((char) c));
            created.secret().chars().forEach(c -> secretChars.add((char) c));
        }
        assertThat(ids).hasSize(500);
        assertThat(secrets).hasSize(500);
        assertThat(idChars).hasSize(AccessKeys.ID_ALPHABET.length());
        assertThat(secretChars).hasSize(AccessKeys.SECRET_ALPHABET.length());
    }

    @Test
    void aClashingIdIsDrawnAgain() {
        var first = new AccessKeys(store, Clock.fixed(WHEN, ZoneOffset.UTC), new Random(7)).create(Optional.empty());
        var second = new AccessKeys(store, Clock.fixed(WHEN, ZoneOffset.UTC), new Random(7)).create(Optional.empty());
        assertThat(second.key().id()).isNotEqualTo(first.key().id());
        assertThat(store.list()).hasSize(2);
    }

    @Test
    void namesNeedNotBeUnique() {
        keys.create(Optional.of("ci"));
        keys.create(Optional.of("ci"));
        assertThat(keys.list()).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "tab\there", "new\nline", "bell\u0007", "zero\u200bwidth", "line\u2028separator", "lone\ud800surrogate"})
    void badNamesAreRefusedNamingTheField(String name) {
        assertThatThrownBy(() -> keys.create(Optional.of(name)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("name"));
        assertThat(store.list()).isEmpty();
    }

    @Test
    void namesAreOneToSixtyFourCharacters() {
        assertThat(keys.create(Optional.of("ü".repeat(64))).key().name()).contains("ü".repeat(64));
        assertThat(keys.create(Optional.of("文件 🙂 x")).key().name()).isPresent();
        assertThatThrownBy(() -> keys.create(Optional.of("x".repeat(65))))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("name"));
    }

    @Test
    void deletingAnUnknownOrMalformedIdIsNotFound() {
        assertThatThrownBy(() -> keys.delete("AKAR0000000000000000")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> keys.delete("../etc")).isInstanceOf(NotFoundException.class);
        assertThat(keys.secretOf("nope")).isEmpty();
    }

    @Test
    void aNewKeySignsRequestsSignatureV4AcceptsUntilItIsDeleted() {
        var created = keys.create(Optional.of("s3"));
        var verifier = new SignatureV4(keys::secretOf, Clock.fixed(WHEN.plusSeconds(30), ZoneOffset.UTC));
        var sdk = new SdkSigner(created.key().id(), created.secret(), "us-east-1");
        for (var mode : List.of(SdkSigner.Mode.header(true), SdkSigner.Mode.presign())) {
            var signed = sdk.sign(WHEN, mode, "GET", "/bucket/key.txt", Map.of(), Map.of(), null);
            assertThat(verifier.verify(signed.view())).as("%s", mode)
                    .isInstanceOfSatisfying(Verdict.Accepted.class,
                            a -> assertThat(a.accessKeyId()).isEqualTo(created.key().id()));
        }
        keys.delete(created.key().id());
        var signed = sdk.sign(WHEN, SdkSigner.Mode.header(true), "GET", "/bucket/key.txt", Map.of(), Map.of(), null);
        assertThat(verifier.verify(signed.view())).isInstanceOfSatisfying(Verdict.Refused.class,
                r -> assertThat(r.error()).isEqualTo(S3ErrorCode.INVALID_ACCESS_KEY_ID));
    }
}
