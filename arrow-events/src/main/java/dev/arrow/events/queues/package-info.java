/**
 * Queue triggers: a {@link dev.arrow.events.queues.QueuePoller} per trigger receives batches of a
 * bound queue and runs the arrow once per batch with SQS's Lambda event shape; a success deletes
 * the batch, a failure leaves it to the queue's visibility timeout and dead-letter policy, and a
 * handler may fail single messages with {@code batchItemFailures}. {@link dev.arrow.events.queues.QueuePollers}
 * keeps one poller per queue trigger of every deployed arrow.
 */
package dev.arrow.events.queues;
