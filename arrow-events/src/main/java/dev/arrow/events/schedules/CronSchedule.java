package dev.arrow.events.schedules;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.arrow.platform.InvalidInputException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A cron schedule: six fields, seconds first ({@code "0 *}{@code /5 * * * *"}: every five minutes),
 * in Spring's dialect (names, {@code ?}, {@code L}, {@code W}, {@code #}), and a time zone (UTC when
 * none), written after the fields ({@code "0 0 9 * * MON-FRI Europe/Paris"}) or given apart. Firing
 * times are computed in that zone, so a daily 09:00 stays 09:00 across daylight-saving changes;
 * cron-utils does the calendar.
 */
public final class CronSchedule {

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime times;

    private CronSchedule(String expression, ZoneId zone, ExecutionTime times) {
        this.expression = expression;
        this.zone = zone;
        this.times = times;
    }

    /**
     * Parses {@code text}, six fields and an optional zone; {@code zone} (may be null) is the zone
     * given apart, which must not contradict one in the text.
     *
     * @throws InvalidInputException naming {@code field} (or {@code zoneField}) and what is wrong
     */
    public static CronSchedule parse(String text, String zoneText, String field, String zoneField) {
        if (text == null || text.isBlank()) {
            throw new InvalidInputException(field, field + " must be a cron expression of six fields, seconds first, e.g. \"0 */5 * * * *\"");
        }
        String[] words = text.strip().split("\\s+");
        if (words.length != 6 && words.length != 7) {
            throw new InvalidInputException(field, field + ": '" + text + "' has " + words.length
                    + " fields; a schedule has six, seconds first (\"0 */5 * * * *\"), and may end with a time zone");
        }
        String expression = String.join(" ", java.util.Arrays.copyOf(words, 6));
        ZoneId zone = ZoneOffset.UTC;
        if (words.length == 7) {
            zone = zone(words[6], field);
        }
        if (zoneText != null) {
            ZoneId apart = zone(zoneText, zoneField);
            if (words.length == 7 && !apart.equals(zone)) {
                throw new InvalidInputException(zoneField, zoneField + " '" + zoneText + "' contradicts the zone written in "
                        + field + ", '" + words[6] + "'");
            }
            zone = apart;
        }
        Cron cron;
        try {
            cron = PARSER.parse(expression);
            cron.validate();
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(field, field + ": '" + expression + "' is not a valid cron expression: " + e.getMessage());
        }
        return new CronSchedule(expression, zone, ExecutionTime.forCron(cron));
    }

    private static ZoneId zone(String text, String field) {
        try {
            return ZoneId.of(text);
        } catch (DateTimeException e) {
            throw new InvalidInputException(field, field + ": '" + text + "' is not a time zone; use a region like Europe/Paris or UTC");
        }
    }

    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first firing strictly after {@code after}; empty when the expression never fires again. */
    public Optional<Instant> next(Instant after) {
        return times.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }

    /**
     * The firing owed at {@code now} by a schedule last fired (or made) at {@code last}: the latest
     * firing time in (last, now], if any. However many ticks were missed while the node was down,
     * one firing is owed, not one per tick.
     */
    public Optional<Instant> due(Instant last, Instant now) {
        Optional<Instant> next = next(last);
        if (next.isEmpty() || next.get().isAfter(now)) {
            return Optional.empty();
        }
        Optional<Instant> latest = times.lastExecution(ZonedDateTime.ofInstant(now.plusNanos(1), zone)).map(ZonedDateTime::toInstant);
        return Optional.of(latest.filter(at -> at.isAfter(last) && !at.isAfter(now)).orElse(next.get()));
    }

    @Override
    public String toString() {
        return expression + (zone.equals(ZoneOffset.UTC) ? "" : " " + zone.getId());
    }
}
