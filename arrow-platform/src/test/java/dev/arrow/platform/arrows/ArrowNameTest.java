package dev.arrow.platform.arrows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arrow.platform.InvalidInputException;
import org.junit.jupiter.api.Test;

class ArrowNameTest {

    private static final char[] SAMPLE = {'a', 'z', '0', '9', '-', 'A', '_', '.', '/', ' '};

    @Test
    void isValidAgreesWithTheLabelPatternOnEveryShortName() {
        int checked = 0;
        for (int length = 0; length <= 4; length++) {
            int combinations = (int) Math.pow(SAMPLE.length, length);
            for (int n = 0; n < combinations; n++) {
                var name = new StringBuilder();
                for (int i = 0, rest = n; i < length; i++, rest /= SAMPLE.length) {
                    name.append(SAMPLE[rest % SAMPLE.length]);
                }
                String text = name.toString();
                assertThat(ArrowName.isValid(text)).as(text).isEqualTo(ArrowName.LABEL.matcher(text).matches());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(11111);
    }

    @Test
    void namesAreAtMost63Characters() {
        assertThat(ArrowName.isValid("a".repeat(63))).isTrue();
        assertThat(ArrowName.isValid("a".repeat(64))).isFalse();
        assertThat(ArrowName.isValid("a" + "-".repeat(61) + "b")).isTrue();
        assertThat(ArrowName.isValid(null)).isFalse();
    }

    @Test
    void requireNamesTheField() {
        assertThatThrownBy(() -> ArrowName.require("Bad", "arrow")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("'Bad' is not a valid arrow name");
        assertThat(ArrowName.require("good-1", "arrow")).isEqualTo("good-1");
    }
}
