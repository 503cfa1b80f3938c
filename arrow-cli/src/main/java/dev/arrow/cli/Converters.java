package dev.arrow.cli;

import dev.arrow.sandbox.Mount;
import dev.arrow.sandbox.Units;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Picocli converters for the option values of {@code arrow run}. They throw
 * {@link TypeConversionException}, which picocli turns into "Invalid value for option ...: why".
 */
final class Converters {

    private Converters() {
    }

    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return usage(() -> Units.parseSize(value));
        }
    }

    static final class Time implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return usage(() -> Units.parseDuration(value));
        }
    }

    static final class Cpus implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return usage(() -> Units.parseCpus(value));
        }
    }

    static final class MountSpec implements ITypeConverter<Mount> {
        @Override
        public Mount convert(String value) {
            return usage(() -> MountOption.parse(value, Path.of("").toAbsolutePath()));
        }
    }

    /** One {@code --env NAME=VALUE}. */
    record EnvVariable(String name, String value) {
    }

    static final class Env implements ITypeConverter<EnvVariable> {
        @Override
        public EnvVariable convert(String value) {
            int equals = value.indexOf('=');
            if (equals <= 0) {
                throw new TypeConversionException("'" + value + "' is not NAME=VALUE");
            }
            return new EnvVariable(value.substring(0, equals), value.substring(equals + 1));
        }
    }

    /** {@code --user UID[:GID]}; without a GID the group is the user's number too. */
    record User(int uid, int gid) {
    }

    static final class UserSpec implements ITypeConverter<User> {
        @Override
        public User convert(String value) {
            if (!value.matches("\\d{1,9}(:\\d{1,9})?")) {
                throw new TypeConversionException("'" + value + "' is not UID[:GID], e.g. 1000 or 1000:100");
            }
            String[] ids = value.split(":");
            int uid = Integer.parseInt(ids[0]);
            return new User(uid, ids.length == 2 ? Integer.parseInt(ids[1]) : uid);
        }
    }

    private static <T> T usage(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
