package dev.arrow.platform.invocations;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InvocationIdsTest {

    @Test
    void idsAreWellFormedUniqueAndInTheOrderTheyWereMadeWithinAMillisecond() {
        var ids = new InvocationIds(new ManualClock());
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            made.add(ids.next());
        }

        assertThat(made).allMatch(InvocationIds::isWellFormed).doesNotHaveDuplicates().isSorted();
    }

    @Test
    void anIdOfALaterMillisecondSortsAfter() {
        var clock = new ManualClock();
        var ids = new InvocationIds(clock);
        clock.advance(Duration.ofSeconds(1));
        String first = ids.next();
        clock.advance(Duration.ofMillis(1));
        String later = ids.next();

        assertThat(later).isGreaterThan(first);
        assertThat(later.substring(0, 10)).isNotEqualTo(first.substring(0, 10));
        assertThat(new InvocationIds(new ManualClock()).next()).as("an earlier time").isLessThan(first);
    }

    @Test
    void onlyTwentySixCharactersOfTheAlphabetAreWellFormed() {
        assertThat(InvocationIds.isWellFormed("0123456789abcdefghjkmnpqrs")).isTrue();
        assertThat(InvocationIds.isWellFormed("0123456789abcdefghjkmnpqri")).as("no i").isFalse();
        assertThat(InvocationIds.isWellFormed("0123456789ABCDEFGHJKMNPQRS")).isFalse();
        assertThat(InvocationIds.isWellFormed("0123456789abcdefghjkmnpqr")).isFalse();
        assertThat(InvocationIds.isWellFormed(null)).isFalse();
    }
}
