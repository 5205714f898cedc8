import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';

/**
 * Something that tells idle consumers of a queue to look again. Sends outside
 * a transaction call it after their commit; see notify-after-commit.ts.
 */
export type Wakeup = (queue: string) => void | Promise<void>;

/** One bare NOTIFY in its own transaction. */
export async function notifyQueue(db: Executor, queue: string, schema?: string): Promise<void> {
  await sql`select pg_notify(${tablesFor(schema).wakeupChannel}, ${queue})`.execute(db);
}
