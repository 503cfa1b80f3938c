package dev.arrow.platform.arrows;

import dev.arrow.platform.InvalidInputException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How an http-mode instance is reached and when it counts as ready.
 *
 * @param port          the port the app listens on inside its sandbox, given to it as {@code $PORT}
 * @param readinessPath a path that must answer (any status below 500) before traffic is sent; without
 *                      one, an instance is ready once its port accepts connections
 * @param startTimeout  how long an instance may take from its sandbox's start to ready; a start
 *                      that takes longer fails the invocations waiting for it
 */
public record HttpSettings(int port, Optional<String> readinessPath, Duration startTimeout) {

    public static final Duration MAX_START_TIMEOUT = Duration.ofMinutes(10);
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,1023}");

    /** Port 8080, ready when the port accepts, 30 s to start. */
    public static final HttpSettings DEFAULT = new HttpSettings(8080, Optional.empty(), Duration.ofSeconds(30));

    public HttpSettings {
        if (port < 1 || port > 65535) {
            throw new InvalidInputException("http.port", "port must be between 1 and 65535");
        }
        readinessPath = Objects.requireNonNullElse(readinessPath, Optional.empty());
        readinessPath.ifPresent(path -> {
            if (!PATH.matcher(path).matches()) {
                throw new InvalidInputException("http.readinessPath", "readinessPath must be a URL path starting with /");
            }
        });
        if (startTimeout == null || startTimeout.toMillis() < 1 || startTimeout.compareTo(MAX_START_TIMEOUT) > 0) {
            throw new InvalidInputException("http.startTimeout", "startTimeout must be between 1ms and 10m");
        }
    }
}
