package dev.arrow.platform.arrows;

/** An arrow with the revision that gets its traffic. */
public record ArrowDetails(ArrowSummary summary, Revision traffic) {
}
