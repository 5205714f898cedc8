import type { Executor } from '../database/database';
import { notifyQueues } from './wakeup';

/**
 * Decides, per producing statement of one Postbox client, where its NOTIFY
 * goes: inside the statement when the client is idle, after the commit
 * (coalesced) when it is busy.
 *
 * Why two ways? Postgres serializes commits of notifying transactions on a
 * global lock held across the WAL flush. Measured with pgbench, 8 clients:
 * insert alone ~6,600 commits/s; insert + pg_notify in the same transaction
 * ~1,700/s; a bare pg_notify ~8,200/s. So while statements overlap, they
 * commit without NOTIFY, and one bare NOTIFY statement after them wakes every
 * queue they named. But that costs a second transaction (NOTIFY assigns an
 * xid: a second WAL flush) before any consumer hears of the message. When
 * nothing else of this client is writing there is no commit to contend with,
 * so the statement carries its own pg_notify, which fires at its commit: one
 * flush from send() to wake-up. Measured on the shared 2-core machine, raw
 * statements: insert commit 1.40 ms then a bare NOTIFY 0.72 ms, against
 * 1.77 ms for the insert carrying the NOTIFY (heard at 1.72 ms). Through
 * Postbox.send, one message every 5 ms heard by an idle LISTEN: p50 0.81×
 * of insert-then-NOTIFY (2.41 → 1.93 ms, paired rounds of the two on one machine).
 *
 * Group-committed sends (group-commit-sender.ts) find the client idle at
 * every batch, one statement per queue being in flight, so they NOTIFY in
 * the statement too: 2.04× the old sends/s where waking after each commit
 * managed 1.55× (same run, with a consumer), its NOTIFY transactions
 * adding flushes of their own.
 *
 * After-commit wake-ups keep at most ONE NOTIFY statement in flight per
 * client: queues named while it runs (any number of sends, or a publish to
 * 100 groups) are collected, duplicates folded, into the next one — rather
 * than up to 100 statements at once starving the pool the producers need.
 */
export class WakeupNotifier {
  private readonly pending = new Set<string>();
  private notifying: Promise<void> | undefined;
  /** Producing statements of this client now running (see runStatement). */
  private statementsInFlight = 0;

  constructor(
    private readonly db: Executor,
    private readonly schema?: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /**
   * Runs one producing statement outside a caller's transaction that enqueues
   * into `queue`. `run` is told whether to put the NOTIFY in the statement
   * itself: yes only when no other statement or NOTIFY of this client is in
   * flight. Otherwise the queue is woken after the commit, coalesced. A
   * statement that fails wakes nobody (its in-statement NOTIFY rolled back).
   */
  async runStatement<T>(queue: string, run: (notifyInStatement: boolean) => Promise<T>): Promise<T> {
    const notifyInStatement = this.statementsInFlight === 0 && this.notifying === undefined;
    this.statementsInFlight++;
    try {
      const result = await run(notifyInStatement);
      if (!notifyInStatement) this.wakeup([queue]);
      return result;
    } finally {
      this.statementsInFlight--;
    }
  }

  /** Wakes `queues` after a commit that did not notify (publishes, replays), coalesced. */
  readonly wakeup = (queues: readonly string[]): void => {
    for (const queue of queues) this.pending.add(queue);
    this.notifying ??= this.drain();
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
      this.notifying = undefined;
    }
  }

  /** Waits for the wake-ups in flight (used on shutdown). */
  async flush(): Promise<void> {
    while (this.notifying) await this.notifying;
  }
}
