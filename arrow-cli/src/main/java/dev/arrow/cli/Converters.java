package dev.arrow.cli;

import dev.arrow.sandbox.Units;
import java.time.Duration;
import java.util.function.Supplier;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Picocli converters for the option values of {@code arrow deploy}, in the grammar in which
 * {@code arrow run} (the native helper, UnitsAgreementIT) reads them. They throw
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

    /** An {@code Idempotency-Key} as the node takes it: 1 to 255 printable ASCII characters. */
    static final class IdempotencyKey implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (value.isEmpty() || value.length() > 255 || !value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
                throw new TypeConversionException("'" + value + "' is not a key: use 1 to 255 printable ASCII characters");
            }
            return value;
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
