package dev.arrow.flows.runs;

import java.time.Instant;

/** One deployed revision of a flow: its source, exactly as deployed, and the language it is in. */
public record FlowRevision(String flow, int revision, Language language, String source, Instant deployedAt) {
}
