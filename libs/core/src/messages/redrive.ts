import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { isMessageId } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { notifyQueue } from '../wakeups/wakeup';

/**
 * Moves dead letters back into their queue as fresh, ready messages (same id,
 * attempts reset, last error kept for the record), in one statement. Without
 * `ids`, every dead letter of the queue is redriven.
 */
export async function redrive(
  db: Executor,
  queue: string,
  ids?: readonly string[],
  { schema }: SchemaOption = {},
): Promise<number> {
  ids?.forEach((id, i) => {
    if (!isMessageId(id)) throw new InvalidInputError(`ids[${i}]`, 'must be a message id (digits, within bigint)');
  });
  const t = tablesFor(schema);
  const { rows } = await sql<{ id: string }>`
    with dead as (
      delete from ${t.deadLetters}
      where queue = ${queue} and (${ids === undefined}::boolean or id = any(${ids ?? []}::bigint[]))
      returning *
    )
    insert into ${t.messages} (id, queue, priority, enqueued_at, group_key, last_error, headers, body)
    select id, queue, priority, enqueued_at, group_key, last_error, headers, body from dead
    order by id
    returning id`.execute(db);
  if (rows.length > 0 && !db.isTransaction) await notifyQueue(db, queue, schema);
  return rows.length;
}
