import type { Executor } from '../database/database';
import { ack } from '../messages/ack';
import { claim } from '../messages/claim';
import { countAttempts } from '../messages/count-attempts';
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
   * Room for the handlers plus one claim's worth buffered, and a claim only
   * once at least half a claim fits: each claim is a transaction and a
   * commit however many rows it takes.
   */
  want(inFlight: number): number {
    const size = this.sizer.size;
    const want = Math.min(size, this.concurrency + size - inFlight);
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
      // Counted when a handler is about to start (prepare).
      countAttempt: false,
    });
    this.ctx.events.claimed(messages.length);
    this.sizer.claimed(messages.length, want);
    const held = messages.map((message) => ({ message, leaseEndsAt: leaseStart + this.visibilityTimeoutMs }));
    return { held, full: messages.length === want };
  }

  /**
   * Counts the attempt of the next buffered messages just before their
   * handlers start. The claim counts none (countAttempt: false): a process
   * that died with a full buffer used to cost every buffered message an
   * attempt though no handler saw it. See docs/notes-sec-core.md.
   */
  async prepare(next: Held[]): Promise<Held[]> {
    const receipts = next.map((h) => h.message.receipt);
    const counted = await countAttempts(this.db, this.ctx.queue, receipts, { schema: this.ctx.schema });
    const ready: Held[] = [];
    for (const held of next) {
      const attempts = counted.get(held.message.receipt);
      // Missing: the lease ran out meanwhile and the message is someone else's.
      if (attempts !== undefined) ready.push({ ...held, message: { ...held.message, attempts }, prepared: true });
    }
    return ready;
  }

  finished(): void {
    this.sizer.handled();
  }

  settle(held: Held, outcome: Outcome): void {
    if (outcome.ack) this.pendingAcks.push(held.message.receipt);
    else this.pendingNacks.push({ receipt: held.message.receipt, error: outcome.error });
    void this.flush();
  }

  abandon(_held: Held): void {
    // Its lease runs out and it is delivered again.
  }

  async release(held: Held[]): Promise<void> {
    try {
      // Buffered ones counted no attempt; prepared ones did.
      for (const counted of [false, true]) {
        const group = held.filter((h) => (h.prepared ?? false) === counted);
        if (group.length === 0) continue;
        const receipts = group.map((h) => h.message.receipt);
        this.ctx.events.released(
          await release(this.db, this.ctx.queue, receipts, { schema: this.ctx.schema, counted }),
        );
      }
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
            this.ctx.events.acked((await ack(this.db, this.ctx.queue, acks, { schema })).acked);
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
