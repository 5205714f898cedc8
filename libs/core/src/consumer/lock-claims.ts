import type { ControlledTransaction } from 'kysely';
import { asKysely, type Executor } from '../database/database';
import { ackDeliveries } from '../messages/ack';
import { claimLocked, type LockedMessage } from '../messages/claim-locked';
import { nackDeliveries } from '../messages/nack';
import { ClaimSizer } from './claim-sizer';
import type { ClaimSource, Held, Outcome, SourceContext } from './claim-source';
import { LockedBatch } from './locked-batch';

/**
 * Claim transactions open at once. Each holds a pooled connection until its
 * slowest handler finishes; two keep the handlers fed while the previous
 * batch's last handlers run, a third covers one slow handler.
 */
const MAX_OPEN_LOCKED_BATCHES = 3;

// biome-ignore lint/suspicious/noExplicitAny: the caller's Kysely<TheirDB> must fit
type OpenTransaction = ControlledTransaction<any>;

/** A held message and the open claim transaction holding its row. */
interface LockHeld extends Held {
  message: LockedMessage;
  batch: LockedBatch;
}

/**
 * Lock mode (Que's model): a claim locks up to a batch of rows in a
 * transaction, hands them over, and leaves the transaction open in the
 * background until the batch is settled; then one ack and one nack
 * statement and COMMIT. No row is rewritten by the claim.
 */
export class LockClaims implements ClaimSource {
  /** Claim transactions still open (handlers running, or acks committing). */
  private readonly openBatches = new Set<Promise<void>>();
  /** The transaction begun ahead for the next claim (see claim). */
  private standby: Promise<OpenTransaction> | null = null;
  /** Sizes the claims when the consumer gave no batchSize. */
  private readonly sizer: ClaimSizer | null;
  private readonly fixedBatch: number;

  constructor(
    private readonly db: Executor,
    private readonly ctx: SourceContext,
    private readonly concurrency: number,
    /**
     * The consumer's batchSize; without one, claims are sized as lease mode's
     * (claim-sizer.ts), up to `maxBatch`, and to about a second of handling:
     * a batch's transaction stays open (a connection held, vacuum held back)
     * until its slowest handler ends. At a fixed claim of 10, the default
     * lock consumer drained 4-6× slower than the lease defaults and spent ~6×
     * the Postgres CPU per message, one commit per 10 (docs/scaling.md).
     */
    batchSize: number | undefined,
    maxBatch: number,
    /** The queue keeps acked messages (retentionMs); acks here run in fresh transactions, which the ack's per-executor cache cannot remember. */
    private readonly archivesAcks: boolean,
  ) {
    // ClaimSizer keeps a claim within a quarter of its window's handling: a 4 s window is ~1 s of handling.
    this.sizer = batchSize === undefined ? new ClaimSizer(concurrency, maxBatch, 4_000) : null;
    this.fixedBatch = batchSize ?? 0;
  }

  private get batchSize(): number {
    return this.sizer ? this.sizer.size : this.fixedBatch;
  }

  starved(): void {
    this.sizer?.starve();
  }

  finished(): void {
    this.sizer?.handled();
  }

  /**
   * Room for two batches ahead of the handlers: the next claim goes out
   * while a whole batch is still buffered, so handlers never wait for it,
   * and always for a full batch, as each claim costs a transaction and a
   * commit however many rows it takes. (Claiming only when the buffer ran
   * down to `concurrency` left the handlers idle during every claim.)
   */
  want(inFlight: number): number {
    const want = Math.min(this.batchSize, this.concurrency + 2 * this.batchSize - inFlight);
    if (want < Math.ceil(this.batchSize / 2) || this.openBatches.size >= MAX_OPEN_LOCKED_BATCHES) return 0;
    return want;
  }

  /**
   * The transaction was begun ahead of time (the standby), so a wake-up
   * claims in ONE round trip instead of BEGIN + claim: ~0.5 ms of the
   * idle-consumer latency on the bench machine, where a round trip through
   * the pool costs 0.6-0.7 ms. An open transaction that has locked nothing
   * has no xid and, between statements, no snapshot: it holds back no
   * vacuum, only one pooled connection.
   */
  async claim(want: number): Promise<{ held: Held[]; full: boolean }> {
    const standby = this.standby ?? this.beginStandby();
    this.standby = null;
    const trx = await standby;
    let messages: LockedMessage[];
    const claimStart = Date.now();
    try {
      messages = await claimLocked(trx, this.ctx.queue, want, { schema: this.ctx.schema });
    } catch (error) {
      // The connection may be gone (server restart): drop it, begin afresh.
      await rollBack(trx);
      throw error;
    }
    this.ctx.events.claimed(messages.length, claimStart);
    this.sizer?.claimed(messages.length, want);
    if (messages.length === 0) {
      // Begin a fresh standby rather than keep this one: now() inside a
      // transaction is its BEGIN's time, and the acks' timestamps (acked_at,
      // dead_at) should not lag by however long the consumer sat idle. So a
      // standby is at most one poll interval old when it claims.
      await rollBack(trx);
      if (!this.ctx.stopping()) this.beginStandby();
      return { held: [], full: false };
    }
    if (!this.ctx.stopping()) this.beginStandby();
    const batch = new LockedBatch(messages);
    const open = this.finish(trx, batch).finally(() => {
      this.openBatches.delete(open);
      this.ctx.wake();
    });
    this.openBatches.add(open);
    const held: LockHeld[] = [];
    for (const message of messages) {
      // A lease-mode delivery that already used its last attempt: no error of
      // ours, so the dead_letter SQL function records why (dead_letter_reason).
      if (message.exhausted) batch.settle(message, { ack: false, error: null });
      else held.push({ message, leaseEndsAt: Number.POSITIVE_INFINITY, batch });
    }
    return { held, full: messages.length === want };
  }

  settle(held: Held, outcome: Outcome): void {
    const { message, batch } = held as LockHeld;
    batch.settle(message, outcome);
  }

  /** Unlocking is the release: each batch commits without touching them. */
  async release(held: Held[]): Promise<void> {
    for (const h of held as LockHeld[]) h.batch.settle(h.message, { release: true });
    this.ctx.events.released(held.length);
  }

  /** Commit what finished; the rest is released by that commit. */
  abandon(held: Held): void {
    (held as LockHeld).batch.cutShort();
  }

  async drain(): Promise<void> {
    while (this.openBatches.size > 0) await Promise.all([...this.openBatches]);
    // The standby goes back to the pool; never begun (database down): nothing to end.
    const standby = this.standby;
    this.standby = null;
    if (standby) await standby.then(rollBack, () => {});
  }

  private beginStandby(): Promise<OpenTransaction> {
    const standby = asKysely(this.db).startTransaction().execute();
    standby.catch(() => {}); // reported when a claim awaits it
    this.standby = standby;
    return standby;
  }

  /** Waits for every message of the batch, then acks and nacks them in its transaction and commits. */
  private async finish(trx: OpenTransaction, batch: LockedBatch): Promise<void> {
    try {
      await batch.settled;
      const { acks, failures } = batch;
      const { queue, schema } = this.ctx;
      if (acks.length > 0) await ackDeliveries(trx, queue, acks, { schema, archives: this.archivesAcks });
      const nacked = failures.length > 0 ? await nackDeliveries(trx, queue, failures, { schema, heldLock: true }) : [];
      await trx.commit().execute();
      this.ctx.events.acked(acks.length);
      const dead = nacked.filter((r) => r.outcome === 'dead').length;
      this.ctx.events.nacked(failures.length - dead, dead);
    } catch (error) {
      // The acks or the commit failed (database gone, connection cut): every
      // lock of the batch is gone with it, so its messages are ready again,
      // to be delivered again; nothing is lost.
      this.ctx.report(error);
      await rollBack(trx);
    }
  }
}

/** Ends a claim transaction without writing; one whose connection is gone has nothing left to end. */
async function rollBack(trx: OpenTransaction): Promise<void> {
  await trx
    .rollback()
    .execute()
    .catch(() => {});
}
