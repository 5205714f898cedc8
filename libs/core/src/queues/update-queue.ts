import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError, QueueNotFoundError } from '../errors';
import { toAdmissionError } from './admission-error';
import { getQueue } from './get-queue';
import {
  DEFAULT_QUEUE_SETTINGS,
  type Queue,
  type QueueOptions,
  type QueueRow,
  queueFromRow,
  resolveQueueSettings,
} from './queue-settings';

const SETTINGS = new Set<string>(Object.keys(DEFAULT_QUEUE_SETTINGS));
/** The settings `null` clears; for the others null is refused (not read as "the default"). */
const NULLABLE = new Set<string>(['deadLetterQueue', 'retentionMs', 'messageTtlMs', 'maxLength']);

/**
 * Changes any subset of a queue's settings in place (PATCH), leaving the
 * others as they are; `null` clears a nullable one. Checked as createQueue
 * checks (the merged settings, so backoff.maxMs >= backoff.initialMs holds
 * across old and new values), then written by update_queue
 * (migrations/functions/65-queue-controls.sql), as psql users do. What
 * each setting does to messages already queued or in flight:
 * docs/queue-controls.md.
 */
export async function updateQueue(
  db: Executor,
  name: string,
  changes: QueueOptions,
  options: SchemaOption = {},
): Promise<Queue> {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    throw new InvalidInputError('settings', 'must be an object');
  }
  for (const key of Object.keys(changes)) {
    if (!SETTINGS.has(key)) throw new InvalidInputError(key, 'is not a queue setting');
    const value = (changes as Record<string, unknown>)[key];
    if (value === null && !NULLABLE.has(key)) throw new InvalidInputError(key, 'cannot be null');
  }
  const current = await getQueue(db, name, options);
  const merged: QueueOptions = { ...current, ...changes, backoff: { ...current.backoff, ...changes.backoff } };
  const settings = resolveQueueSettings(merged);
  const patch = Object.fromEntries(Object.keys(changes).map((key) => [key, settings[key as keyof typeof settings]]));
  const fn = sql.id(tablesFor(options.schema).schema, 'update_queue');
  try {
    const { rows } = await sql<QueueRow>`select * from ${fn}(${name}::text, ${JSON.stringify(patch)}::jsonb)`.execute(
      db,
    );
    return queueFromRow(rows[0] as QueueRow);
  } catch (error) {
    if ((error as { code?: string }).code === 'P0002') throw new QueueNotFoundError(name);
    throw toAdmissionError(error, name);
  }
}
