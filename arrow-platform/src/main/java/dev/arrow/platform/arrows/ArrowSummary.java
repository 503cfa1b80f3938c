package dev.arrow.platform.arrows;

import java.time.Instant;

/**
 * An arrow as listed: its newest revision and the one that gets traffic (they differ after a rollback).
 */
public record ArrowSummary(String name, int latestRevision, int trafficRevision, Instant createdAt, Instant updatedAt) {
}
