import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type Delivery, deliveryRows, matchesDelivery, parseReceipts } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';

/**
 * Gives back deliveries a consumer claimed but never started (its local
 * buffer on shutdown): visible again at once, and the delivery does not count
 * as an attempt (the one the claim counted is taken back; `counted: false`
 * for deliveries claimed without counting one). Returns how many were released.
 */
export async function release(
  db: Executor,
  queue: string,
  receipts: readonly string[],
  { schema, counted = true }: SchemaOption & { counted?: boolean } = {},
): Promise<number> {
  if (receipts.length === 0) return 0;
  const parsed = parseReceipts(receipts);
  const { rows } = await releaseStatement(queue, parsed, schema, counted).execute(db);
  return rows.length;
}

/** @internal The release's UPDATE (exported for the plan test). */
// Stryker disable next-line BooleanLiteral: release() always passes `counted`; only the plan test relies on this default
export function releaseStatement(queue: string, parsed: readonly Delivery[], schema?: string, counted = true) {
  const t = tablesFor(schema);
  return sql<{ id: string }>`
    update ${t.messages} m
    set available_at = now(), lease_token = null, attempts = greatest(m.attempts - ${counted ? 1 : 0}::int, 0)
    from ${deliveryRows(parsed)}
    where ${matchesDelivery(parsed)} and m.queue = ${queue}
    returning m.id`;
}
