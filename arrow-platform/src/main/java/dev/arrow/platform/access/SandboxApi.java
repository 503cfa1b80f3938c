package dev.arrow.platform.access;

import dev.arrow.platform.arrows.ArrowSpec;
import dev.arrow.sandbox.Mount;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * How sandboxes reach the node's API: the directory holding the node's Unix socket, shown
 * read-only at {@link #DIR} in every sandbox of an arrow (a socket needs no network, so this works
 * with {@code network: none}), and a token per sandbox in its environment.
 *
 * @param tokens    the node's live sandbox tokens
 * @param socketDir the host directory holding the socket, named {@link #SOCKET_NAME}
 */
public record SandboxApi(SandboxTokens tokens, Path socketDir) {

    /** Where the socket's directory appears inside a sandbox. */
    public static final String DIR = "/run/arrow";
    /** The socket's file name, on the host and inside. */
    public static final String SOCKET_NAME = "api.sock";
    /** The socket's path inside a sandbox. */
    public static final String SOCKET = DIR + "/" + SOCKET_NAME;
    /** Names the token in a sandbox's environment. */
    public static final String TOKEN_VARIABLE = "ARROW_TOKEN";
    /** Names the socket's path in a sandbox's environment. */
    public static final String SOCKET_VARIABLE = "ARROW_API_SOCKET";

    public SandboxApi {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(socketDir, "socketDir");
    }

    /** The socket's path on the host. */
    public Path socket() {
        return socketDir.resolve(SOCKET_NAME);
    }

    /** A token for one sandbox of {@code spec}'s arrow, with its bindings. */
    public SandboxToken mint(ArrowSpec spec) {
        return tokens.mint(spec.name(), spec.bindings());
    }

    /** The socket's directory, read-only: connecting to a socket is not a write to its file system. */
    public Mount mount() {
        return Mount.readOnly(socketDir, DIR);
    }

    /** What a sandbox holding {@code token} finds in its environment. */
    public static Map<String, String> environment(SandboxToken token) {
        return Map.of(TOKEN_VARIABLE, token.value(), SOCKET_VARIABLE, SOCKET);
    }
}
