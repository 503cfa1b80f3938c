package dev.arrow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableFormatterTest {

    @Test
    void columnsArePaddedNumbersRightAlignedNoTrailingSpaces() {
        String table = new TableFormatter()
                .column("NAME")
                .column("REVISION", TableFormatter.Align.RIGHT)
                .column("DURATION", TableFormatter.Align.RIGHT)
                .column("NOTE")
                .row("wordcount", 3, "12.4ms", "")
                .row("a", 12, "1.25s", null)
                .render();

        assertThat(table).isEqualTo("""
                NAME       REVISION  DURATION  NOTE
                wordcount         3    12.4ms
                a                12     1.25s  -
                """);
    }

    @Test
    void headerOnlyWhenEmptyAndWidthsCountCharacters() {
        assertThat(new TableFormatter().column("ID").column("X").render()).isEqualTo("ID  X\n");
        assertThat(new TableFormatter().column("A").column("B").row("é…", "x").render()).isEqualTo("""
                A   B
                é…  x
                """);
    }

    @Test
    void rowsMustFitTheColumns() {
        assertThatThrownBy(() -> new TableFormatter().column("A").row("1", "2"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
