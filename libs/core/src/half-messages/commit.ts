import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { ConflictError } from '../errors';
import { send } from '../messages/send';
import { describeState, findTransactionRow, type ResolveOptions, resolvePrepared } from './resolve-prepared';
import { publishCommittedToTopic } from './topic-target';
import {
  checkTransactionId,
  type TransactionInfo,
  type TransactionRow,
  transactionFromRow,
  transactionTablesFor,
} from './transaction';

/** Runs `work` in a transaction, or directly in the caller's when `db` already is one. */
export function inTransaction<T>(db: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/**
 * Makes a half message visible, exactly once: in one database transaction the
 * row moves prepared → committed (the UPDATE's row lock makes a concurrent
 * commit or rollback wait and then see the new state) and the message is sent
 * to its queue (or published to its topic). Its NOTIFY is part of that
 * transaction, so consumers wake at commit.
 *
 * Committing a committed transaction returns it unchanged (idempotent);
 * committing a rolled-back or expired one is a ConflictError.
 */
export async function commitTransaction(
  db: Executor,
  transactionId: string,
  { schema, resolvedBy = 'producer' }: ResolveOptions = {},
): Promise<TransactionInfo> {
  const id = checkTransactionId(transactionId);
  const tx = transactionTablesFor(schema);
  return inTransaction(db, async (trx) => {
    const row = await resolvePrepared(trx, id, 'committed', resolvedBy, schema);
    if (!row) {
      const current = await findTransactionRow(trx, id, schema);
      if (current.state === 'committed') return transactionFromRow(current);
      throw new ConflictError(`transaction "${id}" is already ${describeState(current.state)} and cannot be committed`);
    }
    const messageId =
      row.target_kind === 'queue'
        ? (await send(trx, row.target, row.message, { schema })).id
        : await publishCommittedToTopic(trx, row.target, row.message, schema);
    const { rows: updated } = await sql<TransactionRow>`
      update ${tx.transactions} set message_id = ${messageId} where id = ${id} returning *`.execute(trx);
    return transactionFromRow(updated[0] as TransactionRow);
  });
}
