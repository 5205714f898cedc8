import type { Executor } from '../database/database';
import { ConflictError } from '../errors';
import { describeState, findTransactionRow, type ResolveOptions, resolvePrepared } from './resolve-prepared';
import { checkTransactionId, type TransactionInfo, transactionFromRow } from './transaction';

/**
 * Discards a half message: prepared → rolledBack, one statement (nothing was
 * ever in the messages table, so there is nothing else to undo). Rolling back
 * a rolled-back or expired transaction returns it unchanged; rolling back a
 * committed one is a ConflictError (its message may already be consumed).
 */
export async function rollbackTransaction(
  db: Executor,
  transactionId: string,
  { schema, resolvedBy = 'producer' }: ResolveOptions = {},
): Promise<TransactionInfo> {
  const id = checkTransactionId(transactionId);
  const row = await resolvePrepared(db, id, 'rolledBack', resolvedBy, schema);
  if (row) return transactionFromRow(row);
  const current = await findTransactionRow(db, id, schema);
  if (current.state === 'committed') {
    throw new ConflictError(`transaction "${id}" is already ${describeState(current.state)} and cannot be rolled back`);
  }
  return transactionFromRow(current);
}
