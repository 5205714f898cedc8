import type { StandardSchemaV1, SubscribeOptions } from 'postbox';
import type { ConsumerDefaults } from './postbox-module-options';

/** Metadata keys the decorators write and the explorer reads. */
export const QUEUE_HANDLER_METADATA = 'postbox:queue-handler';
export const TOPIC_HANDLER_METADATA = 'postbox:topic-handler';
export const TRANSACTION_CHECKER_METADATA = 'postbox:transaction-checker';

export interface QueueHandlerOptions extends ConsumerDefaults {
  /**
   * Exactly-once processing: the handler runs inside a transaction (its
   * context carries `trx`) in which an inbox row for (consumer, message id) is
   * inserted and the ack commits; a redelivered message never applies its
   * effects twice. `true` names the consumer "<Class>.<method>"; rename-safe
   * code gives the name explicitly, since the inbox is keyed by it.
   */
  exactlyOnce?: boolean | { consumer: string };
  /**
   * Checks each body with a Standard Schema validator (zod, valibot,
   * arktype…) before the method runs: the method gets the schema's output; a
   * body the schema rejects is dead-lettered with the validator's messages.
   */
  bodySchema?: StandardSchemaV1;
}

export interface QueueHandlerMetadata {
  queue: string;
  options: QueueHandlerOptions;
}

export interface TopicHandlerMetadata {
  topic: string;
  group: string;
  options: TopicHandlerOptions;
}

export interface TopicHandlerOptions extends QueueHandlerOptions {
  /** Only messages published with one of these tags reach the group (RocketMQ tag filter). */
  tags?: string[];
  /** The group's queue: its name (default `<topic>.<group>`) and settings (maxAttempts, backoff, …). */
  subscription?: Omit<SubscribeOptions, 'tags'>;
}

export interface TransactionCheckerMetadata {
  queueOrTopic: string;
}
