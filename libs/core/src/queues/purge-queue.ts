import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { InvalidInputError } from '../errors';
import { getQueue } from './get-queue';

/** What a purge may remove; in-flight messages never (their consumer holds a receipt). */
export const PURGE_STATES = ['ready', 'delayed', 'dead'] as const;
export type PurgeState = (typeof PURGE_STATES)[number];

export interface PurgeOptions extends SchemaOption {
  /**
   * Rows per statement (default 10,000). Each batch commits on its own, so no
   * lock or WAL burst outlives one batch: measured on the bench (purge-1m),
   * 1,000,000 ready messages purged while producers send to the same queue.
   */
  batchSize?: number;
}

export function checkPurgeStates(states: unknown): PurgeState[] {
  if (!Array.isArray(states) || states.length === 0) {
    throw new InvalidInputError('states', `must list one or more of ${PURGE_STATES.join(', ')}`);
  }
  states.forEach((state, i) => {
    if (!PURGE_STATES.includes(state)) {
      throw new InvalidInputError(`states[${i}]`, `must be one of ${PURGE_STATES.join(', ')}`);
    }
  });
  return [...new Set(states as PurgeState[])];
}

/**
 * Deletes the queue's messages in the given states and returns how many. The
 * rule (which rows are ready, delayed, dead; locked rows skipped) lives in
 * purge_messages_batch() and purge_dead_batch() (migrations/functions/
 * 60-operations.sql); this loops them in autocommitted keyset batches up to
 * the newest id at the start, so a purge racing live sends ends, and sends
 * that arrive meanwhile are kept.
 */
export async function purgeQueue(
  db: Executor,
  queue: string,
  states: readonly PurgeState[],
  { schema, batchSize = 10_000 }: PurgeOptions = {},
): Promise<number> {
  const checked = checkPurgeStates(states);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new InvalidInputError('batchSize', 'must be an integer between 1 and 100000');
  }
  await getQueue(db, queue, { schema });
  const t = tablesFor(schema);
  const { rows } = await sql<{ max_id: string }>`
    select greatest((select coalesce(max(id), 0) from ${t.messages}),
                    (select coalesce(max(id), 0) from ${t.deadLetters}))::text as max_id`.execute(db);
  const maxId = rows[0]?.max_id ?? '0';
  const batch = (fn: string, args: ReturnType<typeof sql>) =>
    sql<{ purged: number; last_id: string | null }>`select * from ${sql.raw(`"${t.schema}".${fn}`)}(${args})`.execute(
      db,
    );
  let total = 0;
  // Each batch is its own statement (and commit), starting after the last id the one before looked at.
  if (checked.includes('ready') || checked.includes('delayed')) {
    const states = checked.filter((s) => s !== 'dead');
    for (let after = '0'; ; ) {
      const { rows } = await batch(
        'purge_messages_batch',
        sql`${queue}, ${states}::text[], ${maxId}::bigint, ${after}::bigint, ${batchSize}::int`,
      );
      total += Number(rows[0]?.purged ?? 0);
      if (!rows[0]?.last_id) break;
      after = rows[0].last_id;
    }
  }
  if (checked.includes('dead')) {
    for (let after = '0'; ; ) {
      const { rows } = await batch(
        'purge_dead_batch',
        sql`${queue}, ${maxId}::bigint, ${after}::bigint, ${batchSize}::int`,
      );
      total += Number(rows[0]?.purged ?? 0);
      if (!rows[0]?.last_id) break;
      after = rows[0].last_id;
    }
  }
  return total;
}
