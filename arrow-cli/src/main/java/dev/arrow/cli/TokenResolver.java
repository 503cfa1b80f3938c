package dev.arrow.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/** Where the node's address and token come from: flag, then environment, then default or file. */
final class TokenResolver {

    static final String NODE_ENV = "ARROW_NODE";
    static final String TOKEN_ENV = "ARROW_TOKEN";
    static final String HOME_ENV = "ARROW_HOME";

    private TokenResolver() {
    }

    /** {@code --node}, else $ARROW_NODE, else the default. */
    static String node(String flag, Map<String, String> env, String fallback) {
        if (flag != null) {
            return flag;
        }
        String fromEnv = env.get(NODE_ENV);
        return fromEnv == null || fromEnv.isBlank() ? fallback : fromEnv;
    }

    /** $ARROW_HOME, else ~/.arrow. */
    static Path arrowHome(Map<String, String> env, Path userHome) {
        String fromEnv = env.get(HOME_ENV);
        return fromEnv == null || fromEnv.isBlank() ? userHome.resolve(".arrow") : Path.of(fromEnv);
    }

    /**
     * {@code --token}, else $ARROW_TOKEN, else the first line of $ARROW_HOME/token.
     *
     * @throws CliException with {@link ExitStatus#UNAUTHORIZED} when none can be had
     */
    static String token(String flag, Map<String, String> env, Path userHome) throws CliException {
        if (flag != null) {
            if (flag.isBlank()) {
                throw new CliException(ExitStatus.USAGE, "--token must not be empty");
            }
            return flag.strip();
        }
        String fromEnv = env.get(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        Path file = arrowHome(env, userHome).resolve("token");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitStatus.UNAUTHORIZED, "no token: " + file + " does not exist; pass --token,"
                    + " set ARROW_TOKEN, or set ARROW_HOME to where `arrow serve` wrote its token");
        } catch (AccessDeniedException e) {
            throw new CliException(ExitStatus.UNAUTHORIZED, "cannot read the token file " + file + ": permission denied");
        } catch (IOException e) {
            throw new CliException(ExitStatus.UNAUTHORIZED, "cannot read the token file " + file + ": " + e.getMessage());
        }
        String token = text.strip().lines().findFirst().orElse("").strip();
        if (token.isEmpty()) {
            throw new CliException(ExitStatus.UNAUTHORIZED, "the token file " + file + " is empty");
        }
        return token;
    }
}
