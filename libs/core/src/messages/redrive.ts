import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { isMessageId } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { type Wakeup, wakeConsumers } from '../wakeups/wakeup';

/**
 * Moves dead letters back into their queue as fresh, ready messages (same id,
 * attempts reset, last error kept for the record), in one statement. Without
 * `ids`, every dead letter of the queue is redriven. The queue's consumers
 * are woken at commit.
 */
export async function redrive(
  db: Executor,
  queue: string,
  ids?: readonly string[],
  { schema, wakeup }: SchemaOption & { wakeup?: Wakeup } = {},
): Promise<number> {
  ids?.forEach((id, i) => {
    if (!isMessageId(id)) throw new InvalidInputError(`ids[${i}]`, 'must be a message id (digits, within bigint)');
  });
  // The redrive SQL function (migrations/functions/45-nack.sql), psql's
  // too. Inside the caller's transaction it NOTIFYs in the statement (fired
  // at their commit); outside one the queue is woken after it, as every
  // producing verb does (wakeConsumers).
  const redriveFn = sql.id(tablesFor(schema).schema, 'redrive');
  const { rows } = await sql<{ n: number }>`
    select ${redriveFn}(${queue}, ${ids === undefined ? null : ids}::bigint[], ${db.isTransaction}) as n`.execute(db);
  const moved = rows[0]?.n ?? 0;
  if (moved > 0) await wakeConsumers(db, [queue], { schema, wakeup });
  return moved;
}
