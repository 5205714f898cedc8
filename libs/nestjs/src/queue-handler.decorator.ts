import { SetMetadata } from '@nestjs/common';
import { QUEUE_HANDLER_METADATA, type QueueHandlerMetadata, type QueueHandlerOptions } from './handler-metadata';

/**
 * Marks a provider method as the consumer of a queue. The method receives
 * `(message, context)`; returning acks the message, throwing nacks it (retried
 * with the queue's backoff, dead-lettered after maxAttempts, the error kept as
 * the message's last error). Started at application bootstrap, drained on
 * shutdown.
 */
export const QueueHandler = (queue: string, options: QueueHandlerOptions = {}): MethodDecorator =>
  SetMetadata<string, QueueHandlerMetadata>(QUEUE_HANDLER_METADATA, { queue, options });
