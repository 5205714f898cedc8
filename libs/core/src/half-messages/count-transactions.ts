import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { TRANSACTION_STATES, type TransactionState, transactionTablesFor } from './transaction';

export interface TransactionCount {
  /** The queue or topic the half messages are for. */
  name: string;
  state: TransactionState;
  count: number;
}

/**
 * Half messages per target and state: one grouped scan of a table that stays
 * small (resolved rows are purged after their retention). The dashboard reads
 * it once per sample for the whole service, never per viewer.
 */
export async function countTransactions(db: Executor, { schema }: SchemaOption = {}): Promise<TransactionCount[]> {
  const tx = transactionTablesFor(schema);
  const { rows } = await sql<{ target: string; state: TransactionState; n: string }>`
    select target, state, count(*) as n from ${tx.transactions} group by target, state order by target, state`.execute(
    db,
  );
  return rows
    .filter((row) => TRANSACTION_STATES.includes(row.state))
    .map((row) => ({ name: row.target, state: row.state, count: Number(row.n) }));
}
