import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import {
  type TransactionInfo,
  type TransactionRow,
  type TransactionState,
  transactionFromRow,
  transactionTablesFor,
} from './transaction';

export interface ListTransactionsOptions extends SchemaOption {
  /** Only half messages in this state; all states when omitted. */
  state?: TransactionState;
  /** At most this many, newest first (default 100). */
  limit?: number;
}

/**
 * Half messages newest first, for the dashboard's half-messages page and
 * GET /v1/transactions. Prepared ones are read through transactions_due_idx's
 * predicate; resolved ones are pruned after their retention, so the table
 * stays small enough that ordering by created_at under a LIMIT is cheap.
 */
export async function listTransactions(
  db: Executor,
  { schema, state, limit = 100 }: ListTransactionsOptions = {},
): Promise<TransactionInfo[]> {
  const tx = transactionTablesFor(schema);
  const { rows } = await sql<TransactionRow>`
    select * from ${tx.transactions}
    where ${state === undefined ? sql`true` : sql`state = ${state}`}
    order by created_at desc, id
    limit ${limit}`.execute(db);
  return rows.map(transactionFromRow);
}
