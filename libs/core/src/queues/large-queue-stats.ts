import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

export interface StatsCounts {
  ready: number;
  delayed: number;
  inFlight: number;
  dead: number;
  oldestReadyAgeMs: number | null;
}

/**
 * Counts of a large queue are at least this old before they are counted
 * again. Counting 1M waiting rows exactly takes 240-670 ms of database time
 * (1-2.5 s on a loaded 2-core machine); done by one query shared by every
 * caller in the process (REST lists, /metrics, dashboards), only while
 * someone asks, and callers never wait for it after the first.
 */
export const LARGE_STATS_MAX_AGE_MS = 5_000;

/**
 * A snapshot lives at least this many times as long as its count took, so
 * recounting costs at most 1/20 of one backend however large the queue:
 * 5 s at 250 ms a count, 20 s at 1 s. Pinning the age at 5 s cost 13-50%.
 */
const COUNT_DUTY_RATIO = 20;

interface Snapshot {
  takenAt: number;
  counts: Omit<StatsCounts, 'oldestReadyAgeMs'>;
  /** The age is computed at read time from this, so it keeps growing between snapshots as it does in reality. */
  oldestReadyEnqueuedAt: Date | null;
}

interface SnapshotRow {
  queue: string;
  ready: string;
  delayed: string;
  in_flight: string;
  dead: string;
  oldest_ready_enqueued_at: Date | null;
}

/** One set of snapshots per database handle and schema, so every caller sharing a Postbox (or a Kysely) shares them. */
class Snapshots {
  private readonly byQueue = new Map<string, Snapshot>();
  private refreshing: Promise<void> | null = null;
  private wanted = new Set<string>();
  /** How long the last count took: the snapshots live COUNT_DUTY_RATIO times that. */
  private lastCountMs = 0;

  constructor(
    private readonly db: Executor,
    private readonly schema: string | undefined,
  ) {}

  /** Queues whose last count found more than `limit` messages or dead letters. */
  knownLarge(limit: number): string[] {
    return [...this.byQueue]
      .filter(([, { counts }]) => counts.ready + counts.delayed + counts.inFlight > limit || counts.dead > limit)
      .map(([queue]) => queue);
  }

  async get(queues: readonly string[]): Promise<Map<string, StatsCounts>> {
    const missing = queues.filter((q) => !this.byQueue.has(q));
    const maxAgeMs = Math.max(LARGE_STATS_MAX_AGE_MS, COUNT_DUTY_RATIO * this.lastCountMs);
    const stale = queues.some((q) => Date.now() - (this.byQueue.get(q)?.takenAt ?? 0) > maxAgeMs);
    for (const queue of queues) this.wanted.add(queue);
    if (stale || missing.length > 0) {
      const refresh = this.refresh();
      // Stale-while-revalidate: only a queue never counted waits for the count.
      if (missing.length === 0) refresh.catch(() => {});
      else {
        await refresh;
        // It may have been a count already running for other queues: then ours is the next one.
        if (missing.some((q) => !this.byQueue.has(q))) await this.refresh();
      }
    }
    const now = Date.now();
    const result = new Map<string, StatsCounts>();
    for (const queue of queues) {
      const snapshot = this.byQueue.get(queue);
      if (!snapshot) continue;
      const oldest = snapshot.oldestReadyEnqueuedAt;
      result.set(queue, { ...snapshot.counts, oldestReadyAgeMs: oldest ? Math.max(0, now - oldest.getTime()) : null });
    }
    return result;
  }

  /** Single flight: a caller arriving while a count runs shares it (then, if it wanted other queues, the next). */
  private refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const queues = [...this.wanted];
    this.wanted = new Set();
    this.refreshing = this.count(queues).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async count(queues: string[]): Promise<void> {
    const t = tablesFor(this.schema);
    const stats = sql.table(`${t.schema}.queue_stats`);
    const started = Date.now();
    const { rows } = await sql<SnapshotRow>`
      select queue, ready, delayed, in_flight, dead, oldest_ready_enqueued_at
      from ${stats} where queue = any(${queues}::text[])`.execute(this.db);
    const takenAt = Date.now();
    this.lastCountMs = takenAt - started;
    for (const queue of queues) this.byQueue.delete(queue);
    for (const row of rows) {
      this.byQueue.set(row.queue, {
        takenAt,
        counts: {
          ready: Number(row.ready),
          delayed: Number(row.delayed),
          inFlight: Number(row.in_flight),
          dead: Number(row.dead),
        },
        oldestReadyEnqueuedAt: row.oldest_ready_enqueued_at,
      });
    }
  }
}

// Keyed weakly by the database handle: the snapshots live exactly as long as
// the Postbox (or app Kysely) whose callers share them.
const snapshotsByDb = new WeakMap<Executor, Map<string, Snapshots>>();

function snapshotsFor(db: Executor, schema: string | undefined): Snapshots {
  let bySchema = snapshotsByDb.get(db);
  if (!bySchema) {
    bySchema = new Map();
    snapshotsByDb.set(db, bySchema);
  }
  const key = schema ?? '';
  let snapshots = bySchema.get(key);
  if (!snapshots) {
    snapshots = new Snapshots(db, schema);
    bySchema.set(key, snapshots);
  }
  return snapshots;
}

/** Counts of queues too large to count on every call: a shared snapshot, recounted in the background once stale. */
export function largeQueueStats(
  db: Executor,
  queues: readonly string[],
  { schema }: SchemaOption = {},
): Promise<Map<string, StatsCounts>> {
  return snapshotsFor(db, schema).get(queues);
}

/**
 * Queues the last snapshot found larger than `limit`: not probed again until
 * a recount finds them small (so a queue drained below the limit shows its
 * snapshot until the next recount, at most one snapshot's life).
 */
export function knownLargeQueues(db: Executor, limit: number, { schema }: SchemaOption = {}): string[] {
  return (
    snapshotsByDb
      .get(db)
      ?.get(schema ?? '')
      ?.knownLarge(limit) ?? []
  );
}
