import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { deliveryRows, matchesDelivery, parseReceipts } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { deliveryKey } from './ack';

/**
 * Counts an attempt for deliveries claimed with `countAttempt: false`, as
 * their handlers are about to start; one statement for the batch. Returns
 * each matched receipt's new attempt count; a receipt missing from the
 * answer lost its lease meanwhile (the message went to someone else) and
 * must not be handled.
 */
export async function countAttempts(
  db: Executor,
  queue: string,
  receipts: readonly string[],
  { schema }: SchemaOption = {},
): Promise<Map<string, number>> {
  if (receipts.length === 0) return new Map();
  const parsed = parseReceipts(receipts);
  const t = tablesFor(schema);
  // Committed without waiting for the WAL flush (synchronous_commit off for
  // this statement's own transaction only): the commit is still atomic and
  // visible at once, and survives any crash of the consumer, which is what
  // it is for. Only a crash of the database server within ~3 x
  // wal_writer_delay (600 ms by default) can forget it, and then a message
  // gets at most one delivery more than maxAttempts; no message data is
  // written here. Waiting for the flush cost a disk sync per count: the
  // 20k drain fell from ~6,900 to ~590 msg/s on the bench machine.
  const { rows } = await sql<{ id: string; token: string; attempts: number }>`
    with relaxed as (select set_config('synchronous_commit', 'off', true))
    update ${t.messages} m
    set attempts = m.attempts + 1
    from ${deliveryRows(parsed)}, relaxed
    where ${matchesDelivery(parsed)} and m.queue = ${queue}
    returning m.id, m.lease_token as token, m.attempts`.execute(db);
  const byKey = new Map(rows.map((r) => [deliveryKey(r.id, r.token), r.attempts]));
  const counted = new Map<string, number>();
  receipts.forEach((receipt, i) => {
    const p = parsed[i] as { id: string; token: string };
    const attempts = byKey.get(deliveryKey(p.id, p.token));
    if (attempts !== undefined) counted.set(receipt, attempts);
  });
  return counted;
}
