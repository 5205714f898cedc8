import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { QueueNotFoundError } from '../errors';
import { type Queue, type QueueRow, queueFromRow } from './queue-settings';

export interface QueueWithStats extends Queue {
  ready: number;
  delayed: number;
  inFlight: number;
  dead: number;
  /** Age of the oldest ready message (since it was enqueued); null when none is ready. */
  oldestReadyAgeMs: number | null;
}

interface StatsRow extends QueueRow {
  ready: string;
  delayed: string;
  in_flight: string;
  dead: string;
  oldest_ready_age_ms: string | null;
}

/**
 * Queues with their depth, read from the queue_stats view that psql users see
 * too. Counting is O(backlog) per queue; fine for an admin call, not a hot path.
 */
export async function listQueues(
  db: Executor,
  { schema, name }: SchemaOption & { name?: string } = {},
): Promise<QueueWithStats[]> {
  const t = tablesFor(schema);
  const stats = sql.table(`${t.schema}.queue_stats`);
  const { rows } = await sql<StatsRow>`
    select q.*, s.ready, s.delayed, s.in_flight, s.dead, round(s.oldest_ready_age_ms) as oldest_ready_age_ms
    from ${t.queues} q join ${stats} s on s.queue = q.name
    where ${name === undefined ? sql`true` : sql`q.name = ${name}`}
    order by q.name`.execute(db);
  return rows.map((row) => ({
    ...queueFromRow(row),
    ready: Number(row.ready),
    delayed: Number(row.delayed),
    inFlight: Number(row.in_flight),
    dead: Number(row.dead),
    oldestReadyAgeMs: row.oldest_ready_age_ms === null ? null : Number(row.oldest_ready_age_ms),
  }));
}

export async function getQueueStats(db: Executor, name: string, options: SchemaOption = {}): Promise<QueueWithStats> {
  const [queue] = await listQueues(db, { ...options, name });
  if (!queue) throw new QueueNotFoundError(name);
  return queue;
}
