import type { Transaction } from 'kysely';
import {
  ConflictError,
  type ConsumeOptions,
  type Consumer,
  type Executor,
  type MessageHandler,
  type MessageState,
  type NackItem,
  type OutgoingMessage,
  type Postbox,
  type PrepareOptions,
  type PublishedMessage,
  type Queue,
  type QueueOptions,
  type ReceiveOptions,
  type ReplayOptions,
  type SendCallOptions,
  type SubscribeOptions,
  type Topic,
  type TopicOptions,
  type TransactionTarget,
} from 'postbox';

/**
 * What a Nest app injects to talk to Postbox: sending (inside the caller's
 * transaction for the outbox), queue admin, pull consumption. One per
 * PostboxModule instance, so several apps (or TestingModules) in one process
 * each have their own. `core` is the framework-free Postbox underneath.
 */
export class PostboxClient {
  constructor(readonly core: Postbox) {}

  /** The Kysely instance Postbox issues its statements through (the app's own when `db` was given). */
  get db(): Executor {
    return this.core.db;
  }

  /**
   * Runs `work` in one database transaction on Postbox's executor: pass the
   * `trx` to send() and to your own writes, and the messages exist if and only
   * if the transaction commits.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the app's own Kysely<DB> types the transaction
  transaction<T>(work: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.core.db.transaction().execute(work);
  }

  send(queue: string, message: OutgoingMessage, options?: SendCallOptions) {
    return this.core.send(queue, message, options);
  }
  sendBatch(queue: string, messages: readonly OutgoingMessage[], options?: SendCallOptions) {
    return this.core.sendBatch(queue, messages, options);
  }

  /** Fans out to every consumer group of the topic, in one statement; pass `trx` for the outbox. */
  publish(topic: string, message: PublishedMessage, options?: SendCallOptions) {
    return this.core.publish(topic, message, options);
  }
  publishBatch(topic: string, messages: readonly PublishedMessage[], options?: SendCallOptions) {
    return this.core.publishBatch(topic, messages, options);
  }

  /**
   * Half messages (RocketMQ transactional messages): prepare stores the
   * message invisibly; commitTransaction makes it visible exactly once,
   * rollbackTransaction discards it. A transaction left prepared is checked
   * back with the @TransactionChecker for its queue or topic.
   */
  prepare(
    target: TransactionTarget,
    message: OutgoingMessage & { tag?: string },
    options?: Omit<PrepareOptions, 'schema'>,
  ) {
    return this.core.prepare(target, message, options);
  }
  commitTransaction(transactionId: string, options?: SendCallOptions) {
    return this.core.commitTransaction(transactionId, options);
  }
  rollbackTransaction(transactionId: string, options?: SendCallOptions) {
    return this.core.rollbackTransaction(transactionId, options);
  }
  getTransaction(transactionId: string) {
    return this.core.getTransaction(transactionId);
  }

  createQueue(name: string, options?: QueueOptions) {
    return this.core.createQueue(name, options);
  }
  /**
   * Creates the queue if it is missing and returns it. Like RabbitMQ's
   * assertQueue, an existing queue with OTHER settings is an error
   * (ConflictError), not silently kept: a config change must be deliberate.
   */
  async ensureQueue(name: string, options?: QueueOptions): Promise<Queue> {
    try {
      return (await this.core.createQueue(name, options)).queue;
    } catch (error) {
      if (error instanceof ConflictError) {
        throw new ConflictError(`ensureQueue("${name}"): ${error.message}`);
      }
      throw error;
    }
  }
  getQueue(name: string) {
    return this.core.getQueue(name);
  }
  getQueueStats(name: string) {
    return this.core.getQueueStats(name);
  }
  listQueues() {
    return this.core.listQueues();
  }
  deleteQueue(name: string) {
    return this.core.deleteQueue(name);
  }
  peek(queue: string, state: MessageState, limit?: number) {
    return this.core.peek(queue, state, limit);
  }
  redrive(queue: string, ids?: readonly string[]) {
    return this.core.redrive(queue, ids);
  }

  createTopic(name: string, options?: TopicOptions) {
    return this.core.createTopic(name, options);
  }
  /** Creates the topic if it is missing; another retention than the existing one is a ConflictError. */
  async ensureTopic(name: string, options?: TopicOptions): Promise<Topic> {
    return (await this.core.createTopic(name, options)).topic;
  }
  getTopic(name: string) {
    return this.core.getTopic(name);
  }
  listTopics() {
    return this.core.listTopics();
  }
  deleteTopic(name: string) {
    return this.core.deleteTopic(name);
  }
  /** Subscribes a consumer group (idempotent); its messages arrive in the returned queue (default `<topic>.<group>`). */
  subscribe(topic: string, group: string, options?: SubscribeOptions) {
    return this.core.subscribe(topic, group, options);
  }
  unsubscribe(topic: string, group: string) {
    return this.core.unsubscribe(topic, group);
  }
  /** Kafka's offset reset by time for one group: it gets again every retained message published since `from`. */
  replay(topic: string, group: string, options: ReplayOptions) {
    return this.core.replay(topic, group, options);
  }

  receive(queue: string, options?: ReceiveOptions) {
    return this.core.receive(queue, options);
  }
  ack(queue: string, receipts: readonly string[]) {
    return this.core.ack(queue, receipts);
  }
  nack(queue: string, items: readonly NackItem[]) {
    return this.core.nack(queue, items);
  }
  extend(queue: string, receipts: readonly string[], visibilityTimeoutMs: number) {
    return this.core.extend(queue, receipts, visibilityTimeoutMs);
  }

  /** A consumer started by hand (decorated handlers are started for you); stopped with the app. */
  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Consumer> {
    return this.core.consume(queue, handler, options);
  }
}
