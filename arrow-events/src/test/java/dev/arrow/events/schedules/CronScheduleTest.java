package dev.arrow.events.schedules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

    private static CronSchedule parse(String text) {
        return CronSchedule.parse(text, null, "schedule", "timezone");
    }

    @Test
    void aSecondsFieldComesFirst() {
        CronSchedule everyFiveMinutes = parse("0 */5 * * * *");
        assertThat(everyFiveMinutes.next(Instant.parse("2026-03-01T10:02:30Z"))).contains(Instant.parse("2026-03-01T10:05:00Z"));
        assertThat(parse("*/10 * * * * *").next(Instant.parse("2026-03-01T10:00:00Z"))).contains(Instant.parse("2026-03-01T10:00:10Z"));
    }

    @Test
    void aZoneAfterTheFieldsKeepsLocalTimeAcrossDaylightSaving() {
        CronSchedule nineInParis = parse("0 0 9 * * * Europe/Paris");
        assertThat(nineInParis.zone()).isEqualTo(ZoneId.of("Europe/Paris"));
        // Paris moved to summer time on 2026-03-29: 09:00 is 08:00Z before, 07:00Z after.
        assertThat(nineInParis.next(Instant.parse("2026-03-28T12:00:00Z"))).contains(Instant.parse("2026-03-29T07:00:00Z"));
        assertThat(nineInParis.next(Instant.parse("2026-03-27T12:00:00Z"))).contains(Instant.parse("2026-03-28T08:00:00Z"));
    }

    @Test
    void aNodeThatWasDownOwesOneFiringNotOnePerTick() {
        CronSchedule everyMinute = parse("0 * * * * *");
        Instant last = Instant.parse("2026-03-01T10:00:00Z");
        Instant now = Instant.parse("2026-03-01T10:42:30Z");
        assertThat(everyMinute.due(last, now)).contains(Instant.parse("2026-03-01T10:42:00Z"));
        assertThat(everyMinute.due(Instant.parse("2026-03-01T10:42:00Z"), now)).isEmpty();
        assertThat(everyMinute.due(last, Instant.parse("2026-03-01T10:01:00Z"))).contains(Instant.parse("2026-03-01T10:01:00Z"));
    }

    @Test
    void badExpressionsAndZonesAreRefusedByField() {
        assertThatThrownBy(() -> parse("*/5 * * * *")).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("schedule")).hasMessageContaining("has 5 fields");
        assertThatThrownBy(() -> parse("0 61 * * * *")).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("schedule"));
        assertThatThrownBy(() -> parse("0 0 9 * * * Mars/Olympus")).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("schedule")).hasMessageContaining("not a time zone");
        assertThatThrownBy(() -> CronSchedule.parse("0 0 9 * * *", "Nowhere/City", "schedule", "timezone"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("timezone"));
        assertThatThrownBy(() -> CronSchedule.parse("0 0 9 * * * UTC", "Europe/Paris", "schedule", "timezone"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("timezone"));
        assertThatThrownBy(() -> parse(" ")).isInstanceOf(InvalidInputException.class);
    }
}
