/**
 * The broker: events accepted durably with the deliveries they owe (one per matching trigger),
 * then delivered at least once by {@link dev.arrow.events.broker.Deliveries}, retried with backoff
 * and dead-lettered to a queue when the trigger's policy gives up. {@link dev.arrow.events.broker.EventLog}
 * is the store's port; the node's SQLite implements it.
 */
package dev.arrow.events.broker;
