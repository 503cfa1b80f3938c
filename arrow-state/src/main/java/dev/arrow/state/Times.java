package dev.arrow.state;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Instants and durations as the INTEGER nanoseconds the schema stores (see {@link Schema}). */
final class Times {

    private Times() {
    }

    static long nanos(Instant instant) {
        // multiplyExact/addExact: an instant outside 1677..2262 fails loudly instead of wrapping.
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }

    static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    static long nanos(Duration duration) {
        return duration.toNanos();
    }

    static void setInstant(PreparedStatement statement, int index, Optional<Instant> instant) throws SQLException {
        if (instant.isPresent()) {
            statement.setLong(index, nanos(instant.get()));
        } else {
            statement.setNull(index, Types.INTEGER);
        }
    }

    static Optional<Instant> optionalInstant(ResultSet rows, String column) throws SQLException {
        long nanos = rows.getLong(column);
        return rows.wasNull() ? Optional.empty() : Optional.of(instant(nanos));
    }
}
