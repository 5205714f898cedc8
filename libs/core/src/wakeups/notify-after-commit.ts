import type { Executor } from '../database/database';
import { notifyQueues } from './wakeup';

/**
 * Coalesces wake-ups and sends them after the producer's commit, in their
 * own transaction.
 *
 * Why not NOTIFY inside the insert? Postgres serializes commits of notifying
 * transactions on a global lock held across the WAL flush. Measured here with
 * pgbench, 8 clients: insert alone ~6,600 commits/s; insert + pg_notify in the
 * same transaction ~1,700/s; a bare pg_notify ~8,200/s. So sends and
 * publishes outside a caller's transaction commit without NOTIFY, and this
 * keeps at most ONE NOTIFY statement in flight per client: queues named while
 * it runs (any number of sends, or a publish to 100 groups) are collected,
 * duplicates folded, into the next one — rather than up to 100 statements at
 * once starving the pool the producers need.
 */
export class NotifyAfterCommit {
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
          // A lost wake-up costs at most one fallback poll interval; never fail the send for it.
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
