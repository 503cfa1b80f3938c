/**
 * The orchestration layer's events: triggers declared with an arrow (a sealed set of kinds), the
 * CloudEvents that reach the node, the filters that match them to arrows, schedules, and the
 * delivery policy (retries with backoff and jitter, then a dead-letter queue).
 */
package dev.arrow.events;
