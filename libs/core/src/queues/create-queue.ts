import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { ConflictError, InvalidInputError } from '../errors';
import {
  assertQueueName,
  type Queue,
  type QueueOptions,
  type QueueRow,
  queueFromRow,
  resolveQueueSettings,
  sameSettings,
} from './queue-settings';

export interface CreateQueueResult {
  queue: Queue;
  /** false when the queue already existed with the same settings. */
  created: boolean;
}

/**
 * Creates a queue, idempotently: the same settings again return the existing
 * queue (created: false); different settings throw ConflictError (409), as
 * SQS's CreateQueue does.
 */
export async function createQueue(
  db: Executor,
  name: string,
  options: QueueOptions = {},
  { schema }: SchemaOption = {},
): Promise<CreateQueueResult> {
  assertQueueName(name);
  const settings = resolveQueueSettings(options);
  const t = tablesFor(schema);
  if (settings.deadLetterQueue !== null) {
    if (settings.deadLetterQueue === name) {
      throw new InvalidInputError('deadLetterQueue', 'must name another queue, not the queue itself');
    }
    const { rows } = await sql`select 1 from ${t.queues} where name = ${settings.deadLetterQueue}`.execute(db);
    if (rows.length === 0) {
      throw new InvalidInputError('deadLetterQueue', `names queue "${settings.deadLetterQueue}", which does not exist`);
    }
  }
  const inserted = await sql<QueueRow>`
    insert into ${t.queues} (name, max_attempts, visibility_timeout_ms, dead_letter_queue, fifo,
      retention_ms, backoff_initial_ms, backoff_max_ms, dedup_window_ms,
      message_ttl_ms, expired_to, max_length, overflow, max_message_bytes)
    values (${name}, ${settings.maxAttempts}, ${settings.visibilityTimeoutMs}, ${settings.deadLetterQueue},
      ${settings.fifo}, ${settings.retentionMs}, ${settings.backoff.initialMs}, ${settings.backoff.maxMs},
      ${settings.dedupWindowMs}, ${settings.messageTtlMs}, ${settings.expiredTo}, ${settings.maxLength},
      ${settings.overflow}, ${settings.maxMessageBytes})
    on conflict (name) do nothing
    returning *`.execute(db);
  if (inserted.rows[0]) return { queue: queueFromRow(inserted.rows[0]), created: true };

  const existing = await sql<QueueRow>`select * from ${t.queues} where name = ${name}`.execute(db);
  const row = existing.rows[0];
  if (!row) return createQueue(db, name, options, { schema }); // deleted in between: try again
  const queue = queueFromRow(row);
  if (!sameSettings(queue, settings)) {
    throw new ConflictError(`queue "${name}" already exists with other settings`);
  }
  return { queue, created: false };
}
