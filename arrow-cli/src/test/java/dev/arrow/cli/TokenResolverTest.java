package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenResolverTest {

    @TempDir
    Path home;

    @Test
    void flagThenEnvironmentThenFile() throws Exception {
        Path arrowHome = Files.createDirectories(home.resolve(".arrow"));
        Files.writeString(arrowHome.resolve("token"), "from-file\n");
        Map<String, String> env = Map.of("ARROW_TOKEN", "from-env");

        assertThat(TokenResolver.token("from-flag", env, home)).isEqualTo("from-flag");
        assertThat(TokenResolver.token(null, env, home)).isEqualTo("from-env");
        assertThat(TokenResolver.token(null, Map.of(), home)).isEqualTo("from-file");
        assertThat(TokenResolver.token(null, Map.of("ARROW_TOKEN", ""), home)).isEqualTo("from-file");
    }

    @Test
    void arrowHomeMovesTheFile() throws Exception {
        Path elsewhere = Files.createDirectories(home.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("token"), "  moved  \n");

        assertThat(TokenResolver.token(null, Map.of("ARROW_HOME", elsewhere.toString()), home)).isEqualTo("moved");
    }

    @Test
    void missingFileSaysWhatToDo() {
        assertThatThrownBy(() -> TokenResolver.token(null, Map.of(), home))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.status()).isEqualTo(ExitStatus.UNAUTHORIZED);
                    assertThat(e.getMessage()).isEqualTo("no token: " + home.resolve(".arrow/token") + " does not exist;"
                            + " pass --token, set ARROW_TOKEN, or set ARROW_HOME to where `arrow serve` wrote its token");
                });
    }

    @Test
    void emptyFileAndEmptyFlag() throws Exception {
        Files.createDirectories(home.resolve(".arrow"));
        Files.writeString(home.resolve(".arrow/token"), "\n");
        assertThatThrownBy(() -> TokenResolver.token(null, Map.of(), home)).hasMessageEndingWith("is empty");
        assertThatThrownBy(() -> TokenResolver.token(" ", Map.of(), home))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.status()).isEqualTo(125));
    }

    @Test
    void nodeFlagThenEnvironmentThenDefault() {
        assertThat(TokenResolver.node("http://a:1", Map.of("ARROW_NODE", "http://b:2"), "d")).isEqualTo("http://a:1");
        assertThat(TokenResolver.node(null, Map.of("ARROW_NODE", "http://b:2"), "d")).isEqualTo("http://b:2");
        assertThat(TokenResolver.node(null, Map.of(), "d")).isEqualTo("d");
    }
}
