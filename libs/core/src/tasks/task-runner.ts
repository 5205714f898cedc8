import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { getTask } from './task';

export interface TaskRunnerOptions {
  /**
   * How long a runner holds a task between batches (default 30 s). A process
   * that dies mid-task leaves its lease to run out; then any process's
   * maintenance takes the task over where its last committed batch ended.
   */
  leaseMs?: number;
  /** Messages per batch (default 1,000): one transaction each, with the task's progress. */
  batchSize?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Works through tasks (today: dead-letter moves) in batches. Every process
 * has one (its Maintenance owns it); which process runs a task is decided by
 * its lease in the tasks table, never by who started it.
 */
export class TaskRunner {
  /** Identifies this process's leases (a crashed one's are taken over once they expire). */
  private readonly runnerId = randomInt(1, 2 ** 47);
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly db: Executor,
    private readonly schema: string,
    private readonly options: TaskRunnerOptions,
    private readonly onError: (error: unknown) => void,
  ) {}

  private fn(name: string) {
    return sql.raw(`"${this.schema}".${name}`);
  }

  /**
   * Leases `taskId` (or, without one, the oldest task whose runner died) and
   * runs it in the background. Returns the task id leased, or null.
   */
  async lease(taskId: string | null = null): Promise<string | null> {
    if (this.stopped) return null;
    const leaseMs = this.options.leaseMs ?? 30_000;
    const { rows } = await sql<{ id: string | null }>`
      select ${this.fn('lease_task')}(${taskId}::uuid, ${this.runnerId}::bigint, ${leaseMs}::int) as id`.execute(
      this.db,
    );
    const id = rows[0]?.id ?? null;
    if (id === null) return null;
    const run = this.work(id)
      .catch(async (error) => {
        this.onError(error);
        // Kept on the task (GET /v1/tasks/:id lastError); its lease runs out and a later pass retries it.
        const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
        await sql`update ${sql.table(`${this.schema}.tasks`)} set last_error = ${message}, updated_at = now()
                  where id = ${id}::uuid`
          .execute(this.db)
          .catch(() => {});
      })
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
    return id;
  }

  /** Takes over every task whose runner died (maintenance calls this periodically). */
  async adoptOrphans(): Promise<number> {
    let adopted = 0;
    while ((await this.lease()) !== null) adopted++;
    return adopted;
  }

  /** Resolves once the task runs no more in this process (done, lost, or stopped). */
  async settled(taskId: string): Promise<void> {
    await this.running.get(taskId);
  }

  /** Stops after the batch in flight and hands running tasks back at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running.values()]);
  }

  private async work(taskId: string): Promise<void> {
    const leaseMs = this.options.leaseMs ?? 30_000;
    const { maxPerSecond } = await getTask(this.db, taskId, { schema: this.schema });
    const batchSize = Math.min(this.options.batchSize ?? 1000, maxPerSecond ?? Number.POSITIVE_INFINITY);
    try {
      while (!this.stopped) {
        const started = Date.now();
        const { rows } = await sql<{ n: number }>`
          select ${this.fn('move_batch')}(${taskId}::uuid, ${this.runnerId}::bigint, ${batchSize}::int, ${leaseMs}::int) as n`.execute(
          this.db,
        );
        const n = Number(rows[0]?.n ?? -1);
        if (n < batchSize) return; // done (short batch) or no longer ours (-1)
        // A throttled move spreads its batches over the second (their lease is renewed by each batch).
        if (maxPerSecond) await sleep(Math.max(0, (batchSize / maxPerSecond) * 1000 - (Date.now() - started)));
      }
    } finally {
      if (this.stopped) {
        await sql`select ${this.fn('release_task')}(${taskId}::uuid, ${this.runnerId}::bigint)`
          .execute(this.db)
          .catch(() => {});
      }
    }
  }
}
