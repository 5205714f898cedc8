import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { InvalidInputError } from '../errors';
import { DEFAULT_INBOX_RETENTION_MS, inboxTableFor } from './inbox';

export interface PruneInboxOptions extends SchemaOption {
  /** Rows processed longer ago than this go. Default 7 days. */
  retentionMs?: number;
  /** Only this consumer's rows. */
  consumer?: string;
  /** Rows per statement, so a large backlog never holds one long lock. Default 10000. */
  limit?: number;
}

/**
 * Deletes old inbox rows. Safe because the exactly-once consumer acks in the
 * same transaction that writes the row: once the row is committed the
 * message is gone from the queue, and only a stale duplicate delivery (a
 * lease lost mid-handler) can still look for it, within the visibility
 * timeout. Keep the retention well above the longest visibility timeout and
 * any redrive you might do of dead letters. Returns rows deleted; call until
 * it returns less than `limit`.
 */
export async function pruneInbox(
  db: Executor,
  { schema, retentionMs = DEFAULT_INBOX_RETENTION_MS, consumer, limit = 10_000 }: PruneInboxOptions = {},
): Promise<number> {
  if (!Number.isInteger(retentionMs) || retentionMs < 0) {
    throw new InvalidInputError('retentionMs', 'must be a non-negative integer');
  }
  const inbox = inboxTableFor(schema);
  const result = await sql`
    delete from ${inbox} where (consumer, message_id) in (
      select consumer, message_id from ${inbox}
      where processed_at < now() - ${retentionMs} * interval '1 millisecond'
        and (${consumer ?? null}::text is null or consumer = ${consumer ?? null})
      limit ${limit}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
