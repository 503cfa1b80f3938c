package dev.arrow.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/** A one-line progress bar on a terminal, redrawn at most ten times a second. */
final class ProgressBar implements AutoCloseable {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream terminal;
    private final String label;
    private final long total;
    private final LongSupplier nanoTime;
    private long lastDraw = Long.MIN_VALUE;
    private int lastLength;
    private long done;

    ProgressBar(PrintStream terminal, String label, long total) {
        this(terminal, label, total, System::nanoTime);
    }

    /** With the clock that paces redraws, for tests. */
    ProgressBar(PrintStream terminal, String label, long total, LongSupplier nanoTime) {
        this.terminal = terminal;
        this.label = label;
        this.total = Math.max(1, total);
        this.nanoTime = nanoTime;
    }

    /** Called from the HTTP client's threads as bytes go out. */
    synchronized void update(long sent) {
        done = Math.min(sent, total);
        long now = nanoTime.getAsLong();
        if (lastDraw == Long.MIN_VALUE || now - lastDraw >= REDRAW_NANOS || done == total) {
            lastDraw = now;
            draw();
        }
    }

    private void draw() {
        int filled = (int) (WIDTH * done / total);
        String line = String.format(Locale.ROOT, "%s [%s%s] %3d%% %s/%s", label, "#".repeat(filled),
                " ".repeat(WIDTH - filled), 100 * done / total, Formats.size(done), Formats.size(total));
        // "\r" only moves the cursor: blank what a longer previous line ("9.9MiB" before "10MiB") left.
        terminal.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        lastLength = line.length();
        terminal.flush();
    }

    /** Ends the line the bar is drawn on. */
    @Override
    public synchronized void close() {
        if (lastDraw != Long.MIN_VALUE) {
            terminal.println();
            terminal.flush();
        }
    }
}
