import type { Executor } from '../database/database';
import { notifyQueue } from './wakeup';

/**
 * Coalesces wake-ups per queue and sends them after the producer's commit, in
 * their own transaction.
 *
 * Why not NOTIFY inside the insert? Postgres serializes commits of notifying
 * transactions on a global lock held across the WAL flush. Measured here with
 * pgbench, 8 clients: insert alone ~6,600 commits/s; insert + pg_notify in the
 * same transaction ~1,700/s; a bare pg_notify ~8,200/s. So sends outside a
 * caller's transaction commit without NOTIFY, and this sends at most one
 * NOTIFY per queue at a time: while one is in flight, any number of further
 * sends to that queue collapse into a single follow-up.
 */
export class NotifyAfterCommit {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly pending = new Set<string>();

  constructor(
    private readonly db: Executor,
    private readonly schema?: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  readonly wakeup = (queue: string): Promise<void> => {
    const running = this.inFlight.get(queue);
    if (running) {
      this.pending.add(queue);
      return running;
    }
    const sending = this.send(queue);
    this.inFlight.set(queue, sending);
    return sending;
  };

  private async send(queue: string): Promise<void> {
    try {
      await notifyQueue(this.db, queue, this.schema);
    } catch (error) {
      // A lost wake-up costs at most one fallback poll interval; never fail the send for it.
      this.onError(error);
    } finally {
      this.inFlight.delete(queue);
      if (this.pending.delete(queue)) void this.wakeup(queue);
    }
  }

  /** Waits for every wake-up in flight (used on shutdown). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }
}
