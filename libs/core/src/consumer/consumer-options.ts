import type { ReceivedMessage } from '../messages/message';

export interface HandlerContext {
  /** Aborted when the lease is lost (an extend found the receipt stale) or the consumer is force-stopped. */
  signal: AbortSignal;
}

export type MessageHandler = (message: ReceivedMessage, context: HandlerContext) => unknown | Promise<unknown>;

export interface ConsumeOptions {
  /** Handlers running at once. Default 10. */
  concurrency?: number;
  /** Messages claimed per statement into the local buffer. Default 10. */
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
  /** Reported errors: failed claims/acks (retried), handler errors (nacked). */
  onError?: (error: unknown, context: { queue: string; messageId?: string }) => void;
}

export const DEFAULT_CONSUME_OPTIONS = {
  concurrency: 10,
  batchSize: 10,
  pollIntervalMs: 1_000,
};
