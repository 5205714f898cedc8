import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { DEFAULT_SCHEMA, type SchemaOption } from '../database/tables';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import { MESSAGE_LIMITS } from './message';
import { assertPostgresText } from './postgres-text';

/**
 * Cancels the message sent to `queue` with this dedupKey while it is still
 * delayed (or ready, not yet claimed): it is deleted and the key released,
 * so a new send with the same key schedules a new message. Returns the ids
 * cancelled. ConflictError when the only such message is in flight;
 * NotFoundError when there is none. The rule: cancel_by_dedup_key() in
 * migrations/functions/60-operations.sql.
 */
export async function cancelByDedupKey(
  db: Executor,
  queue: string,
  dedupKey: string,
  { schema = DEFAULT_SCHEMA }: SchemaOption = {},
): Promise<string[]> {
  const { min, max } = MESSAGE_LIMITS.keyLength;
  if (typeof dedupKey !== 'string' || dedupKey.length < min || dedupKey.length > max) {
    throw new InvalidInputError('dedupKey', `must be a string of ${min} to ${max} characters`);
  }
  assertPostgresText(dedupKey, 'dedupKey');
  const fn = sql.raw(`"${schema}".cancel_by_dedup_key`);
  const { rows } = await sql<{ id: string; outcome: string }>`
    select id::text, outcome from ${fn}(${queue}, ${dedupKey})`.execute(db);
  const cancelled = rows.filter((r) => r.outcome === 'cancelled').map((r) => r.id);
  if (cancelled.length > 0) return cancelled;
  if (rows.length > 0) throw new ConflictError(`the message with dedupKey "${dedupKey}" is in flight`);
  throw new NotFoundError(`no message with dedupKey "${dedupKey}" waits in queue "${queue}"`);
}
