import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { QueueNotFoundError } from '../errors';
import { knownLargeQueues, largeQueueStats, type StatsCounts } from './large-queue-stats';
import { type Queue, type QueueRow, queueFromRow } from './queue-settings';

export interface QueueWithStats extends Queue {
  ready: number;
  delayed: number;
  inFlight: number;
  dead: number;
  /** Age of the oldest ready message (since it was enqueued); null when none is ready. */
  oldestReadyAgeMs: number | null;
  /**
   * False for a queue holding more than EXACT_STATS_LIMIT messages or dead
   * letters: its counts are a snapshot shared in the process, recounted once
   * older than 5 s (or 20 times its count's duration; SQS's "Approximate…"
   * counts). True: counted by this call.
   */
  exact: boolean;
}

/**
 * Up to this many messages (and dead letters) a queue is counted exactly on
 * every call: the probe that decides reads at most this many index entries
 * (~2-4 ms at 10,000). Counting 1M waiting rows took 240-670 ms a call, and
 * five dashboards polling made it ~1 s a poll; above the limit the counts
 * come from large-queue-stats.ts's shared snapshot instead.
 */
export const EXACT_STATS_LIMIT = 10_000;

interface StatsRow extends QueueRow {
  large: boolean;
  ready: string | null;
  delayed: string | null;
  in_flight: string | null;
  dead: string | null;
  oldest_ready_age_ms: number | null;
}

/**
 * Queues with their depth: one statement (queue_depths, in
 * migrations/functions/80-stats.sql) probes each queue's size through its
 * indexes and counts the small ones exactly; the large ones come from
 * large-queue-stats.ts's shared snapshot.
 */
export async function listQueues(
  db: Executor,
  { schema, name }: SchemaOption & { name?: string } = {},
): Promise<QueueWithStats[]> {
  const t = tablesFor(schema);
  const depths = sql.id(t.schema, 'queue_depths');
  const names = name === undefined ? null : [name];
  const known = knownLargeQueues(db, EXACT_STATS_LIMIT, { schema });
  const { rows } = await sql<StatsRow>`
    select q.*, d.large, d.ready, d.delayed, d.in_flight, d.dead, d.oldest_ready_age_ms
    from ${t.queues} q join ${depths}(${names}::text[], ${EXACT_STATS_LIMIT}::int, ${known}::text[]) d on d.queue = q.name
    order by q.name`.execute(db);
  const large = rows.filter((row) => row.large).map((row) => row.name);
  const snapshot = large.length > 0 ? await largeQueueStats(db, large, { schema }) : new Map<string, StatsCounts>();
  return rows.map((row) => ({
    ...queueFromRow(row),
    ready: 0,
    delayed: 0,
    inFlight: 0,
    dead: 0,
    oldestReadyAgeMs: null,
    ...(row.large ? snapshot.get(row.name) : exactCounts(row)),
    exact: !row.large,
  }));
}

function exactCounts(row: StatsRow): StatsCounts {
  return {
    ready: Number(row.ready ?? 0),
    delayed: Number(row.delayed ?? 0),
    inFlight: Number(row.in_flight ?? 0),
    dead: Number(row.dead ?? 0),
    oldestReadyAgeMs: row.oldest_ready_age_ms,
  };
}

export async function getQueueStats(db: Executor, name: string, options: SchemaOption = {}): Promise<QueueWithStats> {
  const [queue] = await listQueues(db, { ...options, name });
  if (!queue) throw new QueueNotFoundError(name);
  return queue;
}
