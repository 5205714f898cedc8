import type { Executor } from '../database/database';
import { deliveryOfOwnReceipt } from '../database/receipt';
import { ackDeliveries } from '../messages/ack';
import { claim } from '../messages/claim';
import { extend } from '../messages/extend';
import { type NackItem, nack } from '../messages/nack';
import { release } from '../messages/release';
import { ClaimSizer } from './claim-sizer';
import { abort, type ClaimSource, type Held, type Outcome, type SourceContext } from './claim-source';

/**
 * Lease mode (SQS's visibility timeout): a claim writes a lease on each row
 * and commits; acks and nacks follow in batches; leases of long handlers are
 * extended; an ack from outside (the receipt) works.
 *
 * Attempts are counted by the claim itself, in the claim's own commit
 * (durable like every commit: never synchronous_commit = off). So a message
 * that kills its consumer dies after maxAttempts, and a crash also spends
 * an attempt of each message claimed but not yet started: at most two
 * claims' worth (see want()), which the claim sizer (claim-sizer.ts) keeps
 * at what the handlers need. A graceful stop gives the unstarted ones their attempt back
 * (release). Measured (test/faults/crash-loop.spec.ts, SIGKILL every
 * 0.4-0.9 s, batchSize 500, concurrency 5, 3,000 messages, maxAttempts 3):
 * 97, 148 and 185 attempts counted without a handler start over 10 kills
 * (three runs; ~10-20 a kill, at most 1 on any message), none dead-lettered;
 * 178 and 199 in two runs with two claims' worth buffered (want());
 * a fixed claim of 500 would spend up to ~500 a kill.
 *
 * What it replaced: counting at handler start (messages/count-attempts.ts),
 * one UPDATE per refill awaited before the handlers start, committed with
 * synchronous_commit = off because with a WAL flush the 20k drain fell from
 * ~6,900 to ~590 msg/s. The drain, one bench run (20,000 messages,
 * concurrency 10, trivial handler), consume(queue, handler) with no options:
 * 0.12× graphile-worker before (2,506 vs 20,062 msg/s), 0.77× after (10,361
 * vs 13,503; lease with batchSize 500: 10,699), best of 2 passes each.
 *
 * Acks are batched by "flush when the previous flush returns": the first ack
 * goes out at once, those finishing meanwhile ride the next statement, so the
 * batch size adapts to the load with no timer adding latency.
 */
export class LeaseClaims implements ClaimSource {
  private pendingAcks: string[] = [];
  private pendingNacks: NackItem[] = [];
  private flushing: Promise<void> | null = null;
  private extendTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 100;
  private deadline = Number.POSITIVE_INFINITY;
  private readonly sizer: ClaimSizer;

  constructor(
    private readonly db: Executor,
    private readonly ctx: SourceContext,
    private readonly concurrency: number,
    /** The largest claim: the consumer's batchSize, 1000 (the claim's limit) if not given. */
    maxBatch: number,
    private readonly visibilityTimeoutMs: number,
  ) {
    this.sizer = new ClaimSizer(concurrency, maxBatch, visibilityTimeoutMs);
    // Extend at a third of the lease so a slow extend still lands in time.
    const extendEvery = Math.max(50, Math.floor(visibilityTimeoutMs / 3));
    this.extendTimer = setInterval(() => void this.extendLeases(), extendEvery);
  }

  /**
   * Room for the handlers plus two claims' worth buffered, and a claim only
   * once at least half a claim fits: each claim is a transaction and a
   * commit however many rows it takes. Two, not one: with one, the next
   * claim went out when half a claim was left, and the handlers ran dry
   * while it was under way (a claim of 500 takes ~8 ms of Postgres CPU plus
   * a commit; 250 trivial handlers take ~5 ms). Measured in 8 interleaved
   * 20k drains each (bench/src/drain-cpu.ts, load ~4.5): batch 500 17.8k →
   * 24.3k msg/s, no options 23.0k → 29.5k. The cost: a crash spends up to
   * two claims' worth of attempts instead of one (test/faults/crash-loop.spec.ts).
   */
  want(inFlight: number): number {
    const size = this.sizer.size;
    const want = Math.min(size, this.concurrency + 2 * size - inFlight);
    return want >= Math.ceil(size / 2) ? want : 0;
  }

  starved(): void {
    this.sizer.starve();
  }

  async claim(want: number): Promise<{ held: Held[]; full: boolean }> {
    const leaseStart = Date.now();
    const messages = await claim(this.db, this.ctx.queue, want, {
      schema: this.ctx.schema,
      visibilityTimeoutMs: this.visibilityTimeoutMs,
      // The attempt is counted by the claim, in its own durable commit: see the class comment.
      countAttempt: true,
    });
    this.ctx.events.claimed(messages.length, leaseStart);
    this.sizer.claimed(messages.length, want);
    const held = messages.map((message) => ({ message, leaseEndsAt: leaseStart + this.visibilityTimeoutMs }));
    return { held, full: messages.length === want };
  }

  finished(): void {
    this.sizer.handled();
  }

  settle(held: Held, outcome: Outcome): void {
    if (outcome.ack) this.pendingAcks.push(held.message.receipt);
    else
      this.pendingNacks.push({ receipt: held.message.receipt, error: outcome.error, deadLetter: outcome.deadLetter });
    void this.flush();
  }

  abandon(_held: Held): void {
    // Its lease runs out and it is delivered again.
  }

  /** Takes back the attempt each claim counted: a message no handler saw loses nothing on a graceful stop. */
  async release(held: Held[]): Promise<void> {
    if (held.length === 0) return;
    try {
      const receipts = held.map((h) => h.message.receipt);
      this.ctx.events.released(await release(this.db, this.ctx.queue, receipts, { schema: this.ctx.schema }));
    } catch (error) {
      // Unreleased messages come back when their lease runs out.
      this.ctx.report(error);
    }
  }

  async drain(deadline: number): Promise<void> {
    this.deadline = deadline;
    if (this.extendTimer) clearInterval(this.extendTimer);
    this.extendTimer = null;
    await this.flush();
  }

  /** Sends pending acks and nacks, one statement each per round. */
  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.pendingAcks.length > 0 || this.pendingNacks.length > 0) {
        const acks = this.pendingAcks;
        const nacks = this.pendingNacks;
        this.pendingAcks = [];
        this.pendingNacks = [];
        const schema = this.ctx.schema;
        try {
          if (acks.length > 0) {
            // The receipts are the claim's own: no parsing, and the count of
            // rows removed is all the consumer reports (no stale list).
            const deliveries = acks.map(deliveryOfOwnReceipt);
            this.ctx.events.acked((await ackDeliveries(this.db, this.ctx.queue, deliveries, { schema })).length);
          }
          if (nacks.length > 0) {
            const result = await nack(this.db, this.ctx.queue, nacks, { schema });
            this.ctx.events.nacked(result.retried, result.deadLettered);
          }
          this.retryDelayMs = 100;
        } catch (error) {
          // The database is unreachable: keep them and try again. A receipt
          // stays valid until its lease runs out, so nothing is lost; if the
          // lease does run out the message is simply delivered again.
          this.ctx.report(error);
          this.pendingAcks.unshift(...acks);
          this.pendingNacks.unshift(...nacks);
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
          this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
          if (Date.now() > this.deadline) return;
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async extendLeases(): Promise<void> {
    const now = Date.now();
    const vt = this.visibilityTimeoutMs;
    const due = [...this.ctx.held()].filter((h) => h.leaseEndsAt - now < vt / 2);
    if (due.length === 0) return;
    try {
      const receipts = due.map((h) => h.message.receipt);
      const result = await extend(this.db, this.ctx.queue, receipts, vt, { schema: this.ctx.schema });
      const stale = new Set(result.stale);
      for (const held of due) {
        if (stale.has(held.message.receipt)) abort(held, new Error('lease lost'));
        else held.leaseEndsAt = now + vt;
      }
    } catch (error) {
      this.ctx.report(error);
    }
  }
}
