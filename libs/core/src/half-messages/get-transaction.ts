import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { findTransactionRow } from './resolve-prepared';
import { checkTransactionId, type TransactionInfo, transactionFromRow } from './transaction';

/** A half message's state and check-back history; TransactionNotFoundError when unknown. */
export async function getTransaction(
  db: Executor,
  transactionId: string,
  { schema }: SchemaOption = {},
): Promise<TransactionInfo> {
  return transactionFromRow(await findTransactionRow(db, checkTransactionId(transactionId), schema));
}
