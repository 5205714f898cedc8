import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { isMessageId } from '../database/receipt';
import { DEFAULT_SCHEMA, type SchemaOption } from '../database/tables';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';

export interface DeleteMessageOptions extends SchemaOption {
  /** Also delete it while in flight (its consumer's ack then finds nothing: stale). */
  force?: boolean;
}

export class MessageNotFoundError extends NotFoundError {
  override name = 'MessageNotFoundError';
  constructor(
    readonly queue: string,
    readonly id: string,
  ) {
    super(`message ${id} is not in queue "${queue}"`);
  }
}

/**
 * Deletes one message (ready, delayed or a dead letter) by id. One home for
 * the rule: delete_message() in migrations/functions/60-operations.sql.
 * ConflictError while it is in flight unless `force`; MessageNotFoundError
 * when the queue holds no such message.
 */
export async function deleteMessage(
  db: Executor,
  queue: string,
  id: string,
  { schema = DEFAULT_SCHEMA, force = false }: DeleteMessageOptions = {},
): Promise<void> {
  if (!isMessageId(id)) throw new InvalidInputError('id', 'must be a message id (digits, within bigint)');
  const fn = sql.raw(`"${schema}".delete_message`);
  const { rows } = await sql<{ outcome: string }>`
    select ${fn}(${queue}, ${id}::bigint, ${force}::boolean) as outcome`.execute(db);
  const outcome = rows[0]?.outcome;
  if (outcome === 'in_flight') {
    throw new ConflictError(`message ${id} is in flight; delete it with force to remove it anyway`);
  }
  if (outcome !== 'deleted') throw new MessageNotFoundError(queue, id);
}
