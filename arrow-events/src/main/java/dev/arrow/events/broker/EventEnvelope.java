package dev.arrow.events.broker;

import java.time.Instant;

/**
 * An event as the node keeps it: its CloudEvents identity (source and id, unique together), its
 * type, when the node accepted it, and the whole event in CloudEvents' structured JSON.
 */
public record EventEnvelope(String source, String id, String type, Instant acceptedAt, byte[] structured) {
}
