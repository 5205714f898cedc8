import type { Transaction } from 'kysely';
import type { ReceivedMessage } from '../messages/message';
import type { StandardSchemaV1 } from '../messages/standard-schema';

export interface HandlerContext {
  /** Aborted when the lease is lost (an extend found the receipt stale) or the consumer is force-stopped. */
  signal: AbortSignal;
  /**
   * Only with `exactlyOnce`: the database transaction holding this message's
   * inbox row and its ack. Write the handler's effects with it; they commit
   * together with the ack, or (on a throw or a crash) not at all.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the caller's Transaction<TheirDB> must fit
  trx?: Transaction<any>;
}

export type MessageHandler<T = unknown> = (
  message: ReceivedMessage<T>,
  context: HandlerContext,
) => unknown | Promise<unknown>;

export interface ConsumeOptions<T = unknown> {
  /**
   * Checks each body before the handler sees it, with any Standard Schema
   * validator (zod, valibot, arktype…): the handler receives the schema's
   * output, typed; a body it rejects is dead-lettered at once with the
   * validator's messages as its last error, never handed to the handler.
   */
  bodySchema?: StandardSchemaV1<unknown, T>;
  /** Handlers running at once. Default 10. */
  concurrency?: number;
  /**
   * The most messages one claim takes into the local buffer (default 1000,
   * the claim's limit). Unset, the consumer sizes its claims itself between
   * `concurrency` and this: larger while its handlers wait for claims,
   * smaller when the queue runs dry (consumer/claim-sizer.ts), so leaving
   * it unset is the fast setting. Set, lease mode still sizes up to it;
   * lock mode locks exactly this many per claim transaction.
   */
  batchSize?: number;
  /** Lease per claim; default the queue's. Leases of running handlers are extended automatically. */
  visibilityTimeoutMs?: number;
  /**
   * Safety-net poll while idle. LISTEN/NOTIFY wakes consumers within
   * milliseconds; the poll only matters for delayed messages and retries
   * coming due (they send no NOTIFY) and for a wake-up lost to a dead
   * listener. Default 1000 ms.
   */
  pollIntervalMs?: number;
  /**
   * Exactly-once processing for the named consumer: each delivery runs in its
   * own transaction that inserts the inbox row (consumer, message id), runs
   * the handler with `context.trx`, and acks, committing all three together.
   * A delivery whose inbox row exists (this consumer committed it before) is
   * acked without running the handler. See inbox/process-exactly-once.ts.
   * Each running handler holds a pooled connection for its transaction: keep
   * `concurrency` below the pool size, or claims and lease extensions wait.
   */
  exactlyOnce?: { consumer: string };
  /**
   * How a claim holds its messages.
   *
   * - `'lease'` (default; SQS's visibility timeout): the claim writes a lease
   *   on each row and commits; acks and nacks follow in batches. Every
   *   claim counts an attempt, in its own durable commit; a graceful stop
   *   gives the unstarted ones it back, and a crash costs one attempt to
   *   the messages running and to the claimed-but-unstarted ones, which the
   *   claim sizer keeps to what the handlers need. A message that crashes
   *   its consumer dies after maxAttempts; leases of long handlers are extended.
   * - `'lock'` (Que's model): the claim only locks the rows, in a transaction
   *   kept open until every handler of the batch is done, and the acks commit
   *   in it. No row is rewritten and a batch costs one commit: about twice
   *   the throughput and one WAL flush less before a handler starts (see
   *   migration 000005 and the README's table). A crash or a dropped
   *   connection returns the batch at once, but counts no attempt (only
   *   throws do), and a message whose handler crashes the process comes back
   *   forever. For short handlers: the transaction holds a pooled connection
   *   (at most 3 batches open) and holds back vacuum while it runs; a batch's
   *   acks wait for its slowest handler; the receipt cannot be acked from
   *   outside. Not with `exactlyOnce`.
   */
  claimMode?: 'lease' | 'lock';
  /** Reported errors: failed claims/acks (retried), handler errors (nacked). */
  onError?: (error: unknown, context: { queue: string; messageId?: string }) => void;
}

export const DEFAULT_CONSUME_OPTIONS = {
  concurrency: 10,
  pollIntervalMs: 1_000,
};
