import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { bigintArray, type Delivery } from '../database/receipt';
import { tablesFor } from '../database/tables';
import { rememberArchiving } from './acked-retention-cache';

/**
 * The ack of a queue that has (or may have) a retentionMs: the ack_messages
 * SQL function (migrations/functions/50-ack.sql), which psql's ack() runs
 * too. The acked rows leave the live table and, when the queue has a
 * retention, go into the time-partitioned archive in the same statement (so
 * an ack is archived exactly when it commits). Each returned row says
 * whether the queue archives; the answer is remembered for the next acks
 * (see acked-retention-cache.ts), which then take the plain DELETE when it
 * does not.
 *
 * Cost, measured with bench/src/ack-retention.ts (batches of 100, the two
 * queues taking turns on a shared 2-core machine): median ~6,200 acks/s with
 * the archive vs ~6,500/s for the plain DELETE.
 */
export async function ackAndArchive(
  db: Executor,
  queue: string,
  parsed: readonly Delivery[],
  { schema, detect }: { schema?: string; detect: boolean },
): Promise<{ id: string; token: string | null }[]> {
  const ackMessages = sql.id(tablesFor(schema).schema, 'ack_messages');
  const { rows } = await sql<{ id: string; token: string | null; archived: boolean }>`
    select id, lease_token as token, archived from ${ackMessages}(
      ${queue}, ${bigintArray(parsed.map((d) => d.id))}, ${bigintArray(parsed.map((d) => d.token))})`.execute(db);
  if (detect && rows.length > 0) rememberArchiving(db, schema, queue, rows[0]?.archived === true);
  return rows.map((row) => ({ id: row.id, token: row.token }));
}
