import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { parseReceipts } from '../database/receipt';
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
  const t = tablesFor(schema);
  const { rows } = await sql<{ id: string; token: string }>`
    update ${t.messages} m
    set available_at = now() + ${visibilityTimeoutMs}::int * interval '1 millisecond'
    from unnest(${parsed.map((r) => r.id)}::bigint[], ${parsed.map((r) => r.token)}::bigint[]) as r(id, token)
    where m.id = r.id and m.lease_token = r.token and m.queue = ${queue}
    returning m.id, m.lease_token as token`.execute(db);
  return matchReceipts(receipts, parsed, rows, 'extended');
}
