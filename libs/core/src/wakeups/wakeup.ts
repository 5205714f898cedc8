import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';

/**
 * Something that tells idle consumers of some queues to look again. Sends
 * and publishes outside a transaction call it after their commit; see
 * wakeup-notifier.ts.
 */
export type Wakeup = (queues: readonly string[]) => void;

/** Wakes the consumers of any number of queues with ONE bare NOTIFY statement. */
export async function notifyQueues(db: Executor, queues: readonly string[], schema?: string): Promise<void> {
  if (queues.length === 0) return;
  await sql`select count(pg_notify(${tablesFor(schema).wakeupChannel}, q)) from unnest(${queues}::text[]) q`.execute(
    db,
  );
}

/** One bare NOTIFY in its own transaction. */
export function notifyQueue(db: Executor, queue: string, schema?: string): Promise<void> {
  return notifyQueues(db, [queue], schema);
}
