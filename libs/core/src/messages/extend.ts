import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type Delivery, deliveryRows, matchesDelivery, parseReceipts } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { matchReceipts } from './ack';

export interface ExtendResult {
  extended: number;
  stale: string[];
}

/**
 * Sets the lease of each delivery to end `visibilityTimeoutMs` from now (as
 * SQS ChangeMessageVisibility), one statement for the batch. 0 makes the
 * message visible again at once while keeping its receipt valid.
 */
export async function extend(
  db: Executor,
  queue: string,
  receipts: readonly string[],
  visibilityTimeoutMs: number,
  { schema }: SchemaOption = {},
): Promise<ExtendResult> {
  if (!Number.isInteger(visibilityTimeoutMs) || visibilityTimeoutMs < 0 || visibilityTimeoutMs > 43_200_000) {
    throw new InvalidInputError('visibilityTimeoutMs', 'must be an integer between 0 and 43200000');
  }
  if (receipts.length === 0) return { extended: 0, stale: [] };
  const parsed = parseReceipts(receipts);
  const { rows } = await extendStatement(queue, parsed, visibilityTimeoutMs, schema).execute(db);
  return matchReceipts(receipts, parsed, rows, 'extended');
}

/** @internal The extend's UPDATE (exported for the plan test). */
export function extendStatement(
  queue: string,
  parsed: readonly Delivery[],
  visibilityTimeoutMs: number,
  schema?: string,
) {
  const t = tablesFor(schema);
  return sql<{ id: string; token: string }>`
    update ${t.messages} m
    -- available_at, not leased_until: a non-HOT update, but it moves a row held
    -- this long out of the front of messages_claim_idx, which every claim reads
    -- past (migration 000011 has the numbers). Extends are rare: a lease is
    -- extended once it is half gone. leased_until moves with it: the lease
    -- ends at the new time, sooner too (SQS's ChangeMessageVisibility to 0).
    set available_at = now() + ${visibilityTimeoutMs}::int * interval '1 millisecond',
        leased_until = now() + ${visibilityTimeoutMs}::int * interval '1 millisecond'
    from ${deliveryRows(parsed)}
    where ${matchesDelivery(parsed)} and m.queue = ${queue}
    returning m.id, m.lease_token as token`;
}
