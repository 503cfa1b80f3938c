package dev.arrow.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Aligned text tables: a header row, columns padded to their widest cell and two spaces apart,
 * numbers right-aligned. Null cells show as "-".
 */
final class TableFormatter {

    enum Align { LEFT, RIGHT }

    private static final String GAP = "  ";

    private final List<String> headers = new ArrayList<>();
    private final List<Align> aligns = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

    TableFormatter column(String header) {
        return column(header, Align.LEFT);
    }

    TableFormatter column(String header, Align align) {
        if (!rows.isEmpty()) {
            throw new IllegalStateException("columns come before rows");
        }
        headers.add(header);
        aligns.add(align);
        return this;
    }

    TableFormatter row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("a row of " + cells.length + " cells in a table of " + headers.size()
                    + " columns");
        }
        List<String> row = new ArrayList<>();
        for (Object cell : cells) {
            row.add(cell == null ? "-" : cell.toString());
        }
        rows.add(row);
        return this;
    }

    int size() {
        return rows.size();
    }

    /** The table, each line ending in a newline and without trailing spaces. */
    String render() {
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> row : all) {
            for (int column = 0; column < row.size(); column++) {
                widths[column] = Math.max(widths[column], width(row.get(column)));
            }
        }
        var text = new StringBuilder();
        for (List<String> row : all) {
            var line = new StringBuilder();
            for (int column = 0; column < row.size(); column++) {
                if (column > 0) {
                    line.append(GAP);
                }
                String cell = row.get(column);
                String padding = " ".repeat(widths[column] - width(cell));
                if (aligns.get(column) == Align.RIGHT) {
                    line.append(padding).append(cell);
                } else {
                    line.append(cell).append(padding);
                }
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }

    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }
}
