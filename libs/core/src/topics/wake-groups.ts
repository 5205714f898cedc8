import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { tablesFor } from '../database/tables';

/** Wakes the consumers of many queues (a topic's groups) with ONE statement. */
export async function notifyQueues(db: Executor, queues: readonly string[], schema?: string): Promise<void> {
  if (queues.length === 0) return;
  await sql`select count(pg_notify(${tablesFor(schema).wakeupChannel}, q)) from unnest(${queues}::text[]) q`.execute(
    db,
  );
}

/**
 * After-commit wake-ups for publishes: like NotifyAfterCommit, but for sets
 * of queues, because a publish to 100 groups would otherwise start up to 100
 * NOTIFY statements at once and starve the pool the publishers need. Here at
 * most one statement is in flight per client; queues named while it runs are
 * collected (duplicates folded) into the next one.
 */
export class GroupWakeups {
  private readonly pending = new Set<string>();
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly db: Executor,
    private readonly schema?: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  readonly wakeup = (queues: readonly string[]): void => {
    for (const queue of queues) this.pending.add(queue);
    this.inFlight ??= this.drain();
  };

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const queues = [...this.pending];
        this.pending.clear();
        try {
          await notifyQueues(this.db, queues, this.schema);
        } catch (error) {
          // A lost wake-up costs at most one fallback poll interval; never fail the publish for it.
          this.onError(error);
        }
      }
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Waits for the wake-ups in flight (used on shutdown). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }
}
