import type pg from 'pg';
import { Consumer } from './consumer/consumer';
import type { ConsumeOptions, MessageHandler } from './consumer/consumer-options';
import { type ConnectOptions, connect } from './database/connect';
import type { Executor } from './database/database';
import { runMigrations } from './database/run-migrations';
import { DEFAULT_SCHEMA, tablesFor } from './database/tables';
import { ack } from './messages/ack';
import { type ClaimOptions, claim } from './messages/claim';
import { extend } from './messages/extend';
import type { OutgoingMessage, ReceivedMessage } from './messages/message';
import { type NackItem, nack } from './messages/nack';
import { type MessageState, peek } from './messages/peek';
import { redrive } from './messages/redrive';
import { release } from './messages/release';
import { type SendResult, send, sendBatch } from './messages/send';
import { createQueue } from './queues/create-queue';
import { deleteQueue } from './queues/delete-queue';
import { getQueue } from './queues/get-queue';
import type { QueueOptions } from './queues/queue-settings';
import { getQueueStats, listQueues } from './queues/queue-stats';
import { NotifyAfterCommit } from './wakeups/notify-after-commit';
import { WakeupListener } from './wakeups/wakeup-listener';

export interface PostboxOptions extends ConnectOptions {
  /** An existing Kysely instance (the app's own); Postbox issues its statements through it. */
  db?: Executor;
  /** Postgres schema holding Postbox's tables. Default "postbox". */
  schema?: string;
  /** Apply migrations on create (needs connectionString). Default false. */
  migrate?: boolean;
  /** Where errors from background work (listener, consumers) go. */
  onError?: (error: unknown) => void;
}

export interface ReceiveOptions extends ClaimOptions {
  max?: number;
  /** Long poll: wait up to this long for a message (woken by NOTIFY). */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface SendCallOptions {
  /** The caller's transaction (Kysely Transaction): the outbox seam. */
  trx?: Executor;
}

/**
 * The client most code uses: binds one database + schema, owns the process's
 * LISTEN connection and the coalescing post-commit notifier, and tracks the
 * consumers it started so close() drains them. Each method is a thin call to
 * the one-statement operation of the same name in messages/ or queues/.
 */
export class Postbox {
  readonly db: Executor;
  readonly schema: string;
  readonly listener: WakeupListener;
  private readonly notifier: NotifyAfterCommit;
  private readonly consumers = new Set<Consumer>();
  private readonly closeConnection: () => Promise<void>;
  private closed = false;

  private constructor(
    db: Executor,
    schema: string,
    listenerConfig: { connectionString?: string; clientConfig?: pg.ClientConfig },
    closeConnection: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {
    this.db = db;
    this.schema = schema;
    this.closeConnection = closeConnection;
    this.notifier = new NotifyAfterCommit(db, schema, onError);
    this.listener = new WakeupListener({ ...listenerConfig, channel: tablesFor(schema).wakeupChannel, onError });
  }

  static async create(options: PostboxOptions): Promise<Postbox> {
    const schema = options.schema ?? DEFAULT_SCHEMA;
    const onError = options.onError ?? (() => {});
    if (options.migrate) {
      if (!options.connectionString) throw new Error('migrate: true needs a connectionString');
      await runMigrations({ connectionString: options.connectionString, schema });
    }
    if (options.db) {
      const listenerConfig = options.connectionString
        ? { connectionString: options.connectionString }
        : { clientConfig: options.pool?.options };
      if (!listenerConfig.connectionString && !listenerConfig.clientConfig) {
        throw new Error('with an existing db, pass connectionString or pool too (for the LISTEN connection)');
      }
      return new Postbox(options.db, schema, listenerConfig, async () => {}, onError);
    }
    const connection = connect(options);
    const listenerConfig = options.connectionString
      ? { connectionString: options.connectionString }
      : { clientConfig: connection.pool.options };
    return new Postbox(connection.db, schema, listenerConfig, () => connection.close(), onError);
  }

  private get opts() {
    return { schema: this.schema };
  }

  createQueue(name: string, options: QueueOptions = {}) {
    return createQueue(this.db, name, options, this.opts);
  }
  getQueue(name: string) {
    return getQueue(this.db, name, this.opts);
  }
  getQueueStats(name: string) {
    return getQueueStats(this.db, name, this.opts);
  }
  listQueues() {
    return listQueues(this.db, this.opts);
  }
  deleteQueue(name: string) {
    return deleteQueue(this.db, name, this.opts);
  }

  send(queue: string, message: OutgoingMessage, { trx }: SendCallOptions = {}) {
    return send(trx ?? this.db, queue, message, { ...this.opts, wakeup: this.notifier.wakeup });
  }
  sendBatch(queue: string, messages: readonly OutgoingMessage[], { trx }: SendCallOptions = {}): Promise<SendResult> {
    return sendBatch(trx ?? this.db, queue, messages, { ...this.opts, wakeup: this.notifier.wakeup });
  }

  /**
   * Claims up to `max` messages. With waitMs it long-polls: it subscribes to
   * the queue's wake-ups before each claim (so a NOTIFY between an empty
   * claim and the wait is not missed) and re-checks at least every second for
   * delayed messages coming due, which send no NOTIFY.
   */
  async receive(
    queue: string,
    { max = 1, waitMs = 0, signal, ...options }: ReceiveOptions = {},
  ): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const unsubscribe = waitMs > 0 ? this.listener.subscribe(queue, wake) : () => {};
      try {
        const messages = await claim(this.db, queue, max, { ...this.opts, ...options });
        const remaining = deadline - Date.now();
        if (messages.length > 0 || remaining <= 0 || signal?.aborted || this.closed) return messages;
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => wake();
        signal?.addEventListener('abort', onAbort, { once: true });
        await Promise.race([
          woken,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, Math.min(remaining, 1_000));
          }),
        ]);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      } finally {
        unsubscribe();
      }
    }
  }

  ack(queue: string, receipts: readonly string[]) {
    return ack(this.db, queue, receipts, this.opts);
  }
  nack(queue: string, items: readonly NackItem[]) {
    return nack(this.db, queue, items, this.opts);
  }
  extend(queue: string, receipts: readonly string[], visibilityTimeoutMs: number) {
    return extend(this.db, queue, receipts, visibilityTimeoutMs, this.opts);
  }
  release(queue: string, receipts: readonly string[]) {
    return release(this.db, queue, receipts, this.opts);
  }
  peek(queue: string, state: MessageState, limit?: number) {
    return peek(this.db, queue, state, limit, this.opts);
  }
  redrive(queue: string, ids?: readonly string[]) {
    return redrive(this.db, queue, ids, this.opts);
  }

  /** Starts a consumer; close() (or consumer.stop()) drains it. */
  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    if (this.closed) throw new Error('Postbox is closed');
    const consumer = new Consumer({ db: this.db, schema: this.schema, listener: this.listener }, queue, handler, {
      onError: (error) => this.onError(error),
      ...options,
    });
    await this.listener.start();
    await consumer.start();
    this.consumers.add(consumer);
    return consumer;
  }

  /** Stops every consumer (graceful), the listener and, if Postbox created it, the pool. */
  async close({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs })));
    this.consumers.clear();
    await this.notifier.flush();
    await this.listener.close();
    await this.closeConnection();
  }
}
