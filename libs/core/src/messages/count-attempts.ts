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
  const { rows } = await sql<{ id: string; token: string; attempts: number }>`
    update ${t.messages} m
    set attempts = m.attempts + 1
    from ${deliveryRows(parsed)}
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
