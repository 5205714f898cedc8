import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { InvalidInputError } from '../errors';
import { transactionTablesFor } from './transaction';

export const DEFAULT_TRANSACTION_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface PurgeOptions extends SchemaOption {
  /** Resolved transactions older than this are deleted. Default 7 days. */
  retentionMs?: number;
  /** Rows per statement, so a large backlog never holds one long lock. Default 10000. */
  limit?: number;
}

/**
 * Deletes committed, rolled-back and expired transactions resolved longer
 * ago than the retention (prepared ones are never touched). After that a
 * repeated commit of such an id answers 404 instead of 200. Returns how many
 * rows went; call until it returns less than `limit`.
 */
export async function purgeResolvedTransactions(
  db: Executor,
  { schema, retentionMs = DEFAULT_TRANSACTION_RETENTION_MS, limit = 10_000 }: PurgeOptions = {},
): Promise<number> {
  if (!Number.isInteger(retentionMs) || retentionMs < 0) {
    throw new InvalidInputError('retentionMs', 'must be a non-negative integer');
  }
  const tx = transactionTablesFor(schema);
  const result = await sql`
    delete from ${tx.transactions} where id in (
      select id from ${tx.transactions}
      where state <> 'prepared' and resolved_at is not null and resolved_at < now() - ${retentionMs} * interval '1 millisecond'
      limit ${limit}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
