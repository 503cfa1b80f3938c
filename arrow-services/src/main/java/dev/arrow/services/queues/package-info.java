/**
 * Queues with SQS semantics: {@link dev.arrow.services.queues.QueueStore} is what an
 * implementation keeps, {@link dev.arrow.services.queues.QueueService} the rules every
 * implementation shares, with long polling.
 */
package dev.arrow.services.queues;
