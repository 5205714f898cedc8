import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import {
  type ResolvedBy,
  TransactionNotFoundError,
  type TransactionRow,
  type TransactionState,
  transactionTablesFor,
} from './transaction';

export interface ResolveOptions extends SchemaOption {
  /** Recorded on the transaction; default 'producer'. */
  resolvedBy?: ResolvedBy;
}

/**
 * The one statement that resolves a half message: prepared → `state`. Its row
 * lock makes a concurrent commit or rollback wait and then see the new
 * state. Undefined when the transaction was not prepared (any longer).
 */
export async function resolvePrepared(
  db: Executor,
  id: string,
  state: Extract<TransactionState, 'committed' | 'rolledBack'>,
  resolvedBy: ResolvedBy,
  schema?: string,
): Promise<TransactionRow | undefined> {
  const tx = transactionTablesFor(schema);
  const { rows } = await sql<TransactionRow>`
    update ${tx.transactions}
    set state = ${state}, resolved_at = now(), resolved_by = ${resolvedBy}
    where id = ${id} and state = 'prepared'
    returning *`.execute(db);
  return rows[0];
}

export async function findTransactionRow(db: Executor, id: string, schema?: string): Promise<TransactionRow> {
  const tx = transactionTablesFor(schema);
  const { rows } = await sql<TransactionRow>`select * from ${tx.transactions} where id = ${id}`.execute(db);
  if (!rows[0]) throw new TransactionNotFoundError(id);
  return rows[0];
}

export function describeState(state: string): string {
  return state === 'rolledBack' ? 'rolled back' : state;
}
