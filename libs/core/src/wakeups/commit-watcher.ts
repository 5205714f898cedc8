import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { Wakeup } from './wakeup';

/**
 * Wakes consumers after the commit of a CALLER's transaction that sent
 * messages, without a NOTIFY inside it.
 *
 * Why: Postgres serializes the commits of notifying transactions on a
 * global lock held across the WAL flush, so outbox sends (one caller
 * transaction each) carrying pg_notify committed one flush at a time:
 * 193 msg/s end to end with 8 producers, 1.15× graphile-worker's add_job
 * in the same run (bench, loaded 2-core machine). Without the NOTIFY, the
 * caller's commits share WAL flushes like any other writes.
 *
 * How: a send inside a transaction records that transaction's id
 * (pg_current_xact_id()); one loop per Postbox client asks
 * pg_xact_status() about every recorded id at once, and wakes the queues of
 * the committed ones through the client's coalesced NOTIFY
 * (wakeup-notifier.ts). A rolled-back transaction wakes nobody. The loop
 * runs only while something is recorded: back to back (1 ms apart) while a
 * transaction is young, slower for one that stays open (a quarter of its
 * age, at most 50 ms), so a long transaction is not polled a thousand
 * times a second. pg_xact_status says 'committed' only once the
 * transaction has left the proc array, i.e. once a new snapshot sees its rows.
 *
 * What it costs: if this process dies between the caller's commit and the
 * next check, the wake-up is lost and consumers find the messages at their
 * next poll (pollIntervalMs, 1 s by default). Nothing is lost.
 */
export class CommitWatcher {
  private readonly pending = new Map<string, { queues: Set<string>; since: number }>();
  private loop: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Executor,
    private readonly wakeup: Wakeup,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /**
   * Records that the transaction `xid` (pg_current_xact_id(), which every
   * send statement returns: no round trip of its own) enqueued into
   * `queues`; they are woken once it commits.
   */
  watch(xid: string, queues: readonly string[]): void {
    let entry = this.pending.get(xid);
    if (!entry) {
      entry = { queues: new Set(), since: performance.now() };
      this.pending.set(xid, entry);
    }
    for (const queue of queues) entry.queues.add(queue);
    this.start();
  }

  /** Transactions still being watched (tests). */
  get watching(): number {
    return this.pending.size;
  }

  /** One last check: committed transactions wake their queues; the rest are left to the consumers' polls. */
  async close(): Promise<void> {
    this.closed = true;
    await this.loop;
    if (this.pending.size > 0) await this.check();
    this.pending.clear();
  }

  private start(): void {
    if (this.loop || this.closed) return;
    this.loop = this.run().finally(() => {
      this.loop = null;
      // A watch() that came while the loop was ending.
      if (this.pending.size > 0) this.start();
    });
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0 && !this.closed) {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs()));
      if (!(await this.check())) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A quarter of the youngest watched transaction's age, between 1 and 50 ms. */
  private delayMs(): number {
    let youngest = Number.POSITIVE_INFINITY;
    const now = performance.now();
    for (const { since } of this.pending.values()) youngest = Math.min(youngest, now - since);
    return Math.min(50, Math.max(1, Math.floor(youngest / 4)));
  }

  /** Asks about every watched transaction at once; false if the database could not be asked. */
  private async check(): Promise<boolean> {
    const xids = [...this.pending.keys()];
    let rows: { xid: string; status: string | null }[];
    try {
      ({ rows } = await sql<{ xid: string; status: string | null }>`
        select x::text as xid, pg_xact_status(x) as status from unnest(${xids}::xid8[]) x`.execute(this.db));
    } catch (error) {
      this.onError(error);
      return false;
    }
    const woken = new Set<string>();
    for (const { xid, status } of rows) {
      if (status === 'in progress') continue;
      const entry = this.pending.get(xid);
      this.pending.delete(xid);
      // null: too old for the commit log to tell; a spare wake-up costs one empty claim.
      if (entry && status !== 'aborted') for (const queue of entry.queues) woken.add(queue);
    }
    if (woken.size > 0) this.wakeup([...woken]);
    return true;
  }
}
