import type { Kysely } from 'kysely';

/**
 * Kysely's view of the Postbox schema. The core mostly issues hand-written
 * SQL (CTEs with SKIP LOCKED and unnest), so this only types what the query
 * builder touches; keep it in step with migrations/committed.
 */
export interface QueuesTable {
  name: string;
  max_attempts: number;
  visibility_timeout_ms: number;
  dead_letter_queue: string | null;
  fifo: boolean;
  retention_ms: string | null;
  backoff_initial_ms: number;
  backoff_max_ms: number;
  dedup_window_ms: number;
  created_at: Date;
}

export interface PostboxDatabase {
  queues: QueuesTable;
}

/**
 * The executor every operation takes first: a Kysely instance or a
 * Transaction (which extends Kysely). Passing the caller's transaction is the
 * whole transactional-outbox seam. Typed loosely on purpose: a user's
 * Kysely<TheirDB> works here too, because Postbox only issues raw SQL through it.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Kysely<DB> of the caller's must fit
export type Executor = Kysely<any>;
