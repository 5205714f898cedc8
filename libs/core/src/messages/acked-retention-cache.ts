import type { Executor } from '../database/database';

/**
 * Remembers, per executor, which queues archive their acked messages (have a
 * retentionMs), so ack can stay the plain one-statement DELETE for queues
 * without retention and only pays for the archive insert where it is wanted,
 * without a lookup statement of its own: the first ack of a queue runs the
 * archiving statement in "detect" form, which reports the queue's retention.
 *
 * Queue settings never change in place (createQueue answers 409 to other
 * settings), so the only staleness is a queue deleted and re-created with
 * another retention in another process: the TTL bounds that to 10 s.
 * Kysely transactions are fresh objects, so acks inside one always detect.
 */
const TTL_MS = 10_000;
const known = new WeakMap<Executor, Map<string, { archives: boolean; until: number }>>();

function key(schema: string | undefined, queue: string): string {
  return `${schema ?? ''}\u0000${queue}`;
}

/** true/false when known, undefined when the ack must detect it. */
export function knownToArchive(db: Executor, schema: string | undefined, queue: string): boolean | undefined {
  const entry = known.get(db)?.get(key(schema, queue));
  if (!entry || entry.until < Date.now()) return undefined;
  return entry.archives;
}

export function rememberArchiving(db: Executor, schema: string | undefined, queue: string, archives: boolean): void {
  let queues = known.get(db);
  if (!queues) {
    queues = new Map();
    known.set(db, queues);
  }
  queues.set(key(schema, queue), { archives, until: Date.now() + TTL_MS });
}
