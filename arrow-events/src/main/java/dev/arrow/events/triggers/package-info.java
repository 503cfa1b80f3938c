/**
 * Triggers declared with an arrow: the sealed set of kinds ({@link dev.arrow.events.triggers.Trigger}),
 * read from the manifest's JSON with every error naming its field, their delivery policy, and the
 * HTTP routes arrows claim on the gateway.
 */
package dev.arrow.events.triggers;
