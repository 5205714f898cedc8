import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { parseReceipts } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';

/**
 * Gives back deliveries a consumer claimed but never started (its local
 * buffer on shutdown): visible again at once, and the delivery does not count
 * as an attempt. Returns how many were released.
 */
export async function release(
  db: Executor,
  queue: string,
  receipts: readonly string[],
  { schema }: SchemaOption = {},
): Promise<number> {
  if (receipts.length === 0) return 0;
  const parsed = parseReceipts(receipts);
  const t = tablesFor(schema);
  const { rows } = await sql<{ id: string }>`
    update ${t.messages} m
    set available_at = now(), lease_token = null, attempts = greatest(m.attempts - 1, 0)
    from unnest(${parsed.map((r) => r.id)}::bigint[], ${parsed.map((r) => r.token)}::bigint[]) as r(id, token)
    where m.id = r.id and m.lease_token = r.token and m.queue = ${queue}
    returning m.id`.execute(db);
  return rows.length;
}
