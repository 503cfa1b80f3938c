package dev.arrow.platform.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.platform.arrows.Bindings;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class SandboxTokensTest {

    private final SandboxTokens tokens = new SandboxTokens();
    private final Bindings carts = new Bindings(List.of("carts"), List.of(), List.of());

    @Test
    void aMintedTokenCarriesItsArrowsBindingsUntilRevoked() {
        SandboxToken token = tokens.mint("shop", carts);
        assertThat(tokens.live()).isEqualTo(1);
        assertThat(tokens.check(token.value())).contains(new SandboxGrant("shop", carts));

        token.close();
        assertThat(tokens.check(token.value())).isEmpty();
        assertThat(tokens.live()).isZero();
        token.close(); // twice: harmless
        assertThat(tokens.live()).isZero();
    }

    @Test
    void revokingOneLeavesTheOthers() {
        SandboxToken first = tokens.mint("shop", carts);
        SandboxToken second = tokens.mint("shop", carts);
        assertThat(first.value()).isNotEqualTo(second.value());
        first.close();
        assertThat(tokens.check(first.value())).isEmpty();
        assertThat(tokens.check(second.value())).isPresent();
    }

    @Test
    void anythingButALiveTokenIsRefused() {
        SandboxToken token = tokens.mint("shop", carts);
        String value = token.value();
        int dot = value.indexOf('.');
        String wrongSecret = value.substring(0, value.length() - 1) + (value.endsWith("A") ? "B" : "A");
        for (String guess : List.of("", "ast_", "ast_.", value.substring(0, dot), value.substring(0, dot + 1),
                wrongSecret, value + "x", value.substring(1), "Bearer " + value, value.toUpperCase())) {
            assertThat(tokens.check(guess)).as(guess).isEmpty();
        }
        assertThat(tokens.check(null)).isEmpty();
        // A token of another node (another SandboxTokens) is worthless here: a node's restart revokes them all.
        assertThat(new SandboxTokens().check(value)).isEmpty();
    }

    @Test
    void tokensAreRandomAndLookLikeSandboxTokens() {
        var seen = new HashSet<String>();
        for (int i = 0; i < 200; i++) {
            String value = tokens.mint("a", Bindings.NONE).value();
            assertThat(SandboxTokens.looksLikeOne(value)).isTrue();
            assertThat(value).matches("ast_[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}");
            assertThat(seen.add(value)).isTrue();
        }
        assertThat(SandboxTokens.looksLikeOne("0123abcd")).isFalse();
        assertThat(tokens.mint("a", Bindings.NONE).toString()).doesNotContain(".");
    }

    @Test
    void theApiGivesTheSocketsDirectoryAndTheTokenToASandbox() {
        var api = new SandboxApi(tokens, Path.of("/var/lib/arrow/run"));
        ArrowSpec spec = ArrowSpec.exec("shop", List.of("cat")).withBindings(carts);
        try (SandboxToken token = api.mint(spec)) {
            assertThat(token.grant()).isEqualTo(new SandboxGrant("shop", carts));
            assertThat(SandboxApi.environment(token)).containsEntry("ARROW_TOKEN", token.value())
                    .containsEntry("ARROW_API_SOCKET", "/run/arrow/api.sock");
        }
        assertThat(tokens.live()).isZero();
        assertThat(api.mount().source()).isEqualTo(Path.of("/var/lib/arrow/run"));
        assertThat(api.mount().target()).isEqualTo("/run/arrow");
        assertThat(api.mount().writable()).isFalse();
        assertThat(api.socket()).isEqualTo(Path.of("/var/lib/arrow/run/api.sock"));
    }
}
