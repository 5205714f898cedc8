import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';

/**
 * Something that tells idle consumers of some queues to look again, after a
 * commit that did not notify: a Postbox client's WakeupNotifier.wakeup,
 * which coalesces them (see wakeup-notifier.ts).
 */
export type Wakeup = (queues: readonly string[]) => void;

/**
 * The one place a producing verb (send, publish, replay, redrive) wakes the
 * consumers of the queues it enqueued into, once its statement is done.
 *
 * Inside the caller's transaction the statement itself carried pg_notify,
 * which fires at that commit (or never, on rollback): nothing to do here.
 * Outside one, the statement committed without NOTIFY (keeping its commit
 * off Postgres's global notify lock: wakeup-notifier.ts has the numbers), so
 * the queues are woken now: through the client's `wakeup` (coalesced) when
 * there is one, else by one bare NOTIFY statement.
 */
export async function wakeConsumers(
  db: Executor,
  queues: readonly string[],
  { schema, wakeup }: { schema?: string; wakeup?: Wakeup } = {},
): Promise<void> {
  if (queues.length === 0 || db.isTransaction) return;
  if (wakeup) wakeup(queues);
  else await notifyQueues(db, queues, schema);
}

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
