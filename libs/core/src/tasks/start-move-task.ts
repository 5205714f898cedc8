import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { DEFAULT_SCHEMA, type SchemaOption } from '../database/tables';
import { InvalidInputError } from '../errors';
import { getQueue } from '../queues/get-queue';
import { QUEUE_NAME } from '../queues/queue-settings';

export interface MoveOptions {
  /** Where to move them; default back to the queue each was dead-lettered from. */
  to?: string;
  /** At most this many messages a second (SQS MaxNumberOfMessagesPerSecond); default as fast as batches go. */
  maxPerSecond?: number;
}

/**
 * Records a move task for `source`'s dead letters and returns its id (the
 * task runner moves them: tasks/task-runner.ts). What moves, and where, is
 * start_move_task()/move_batch() in migrations/functions/60-operations.sql.
 * A dead letter knows its queue: a message dead-lettered into a
 * deadLetterQueue carries header x-postbox-dead-letter-from; a row of
 * dead_letters keeps its queue's name.
 */
export async function startMoveTask(
  db: Executor,
  source: string,
  { to, maxPerSecond }: MoveOptions = {},
  { schema = DEFAULT_SCHEMA }: SchemaOption = {},
): Promise<string> {
  if (to !== undefined && (typeof to !== 'string' || !QUEUE_NAME.test(to))) {
    throw new InvalidInputError('to', `must match ${QUEUE_NAME.source}`);
  }
  if (maxPerSecond !== undefined && (!Number.isInteger(maxPerSecond) || maxPerSecond < 1 || maxPerSecond > 100_000)) {
    throw new InvalidInputError('maxPerSecond', 'must be an integer between 1 and 100000');
  }
  await getQueue(db, source, { schema });
  if (to !== undefined) await getQueue(db, to, { schema });
  const fn = sql.raw(`"${schema}".start_move_task`);
  const { rows } = await sql<{ id: string }>`
    select ${fn}(${source}, ${to ?? null}::text, ${maxPerSecond ?? null}::int) as id`.execute(db);
  return rows[0]?.id as string;
}
