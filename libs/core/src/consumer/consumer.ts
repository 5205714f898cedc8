import type { ControlledTransaction } from 'kysely';
import { asKysely, type Executor } from '../database/database';
import { checkConsumerName, processExactlyOnce } from '../inbox/process-exactly-once';
import { ack, ackDeliveries } from '../messages/ack';
import { claim } from '../messages/claim';
import { claimLocked, type LockedMessage } from '../messages/claim-locked';
import { countAttempts } from '../messages/count-attempts';
import { extend } from '../messages/extend';
import type { ReceivedMessage } from '../messages/message';
import { type NackItem, nack, nackDeliveries } from '../messages/nack';
import { release } from '../messages/release';
import { MetricsTap } from '../metrics/metrics-tap';
import { getQueue } from '../queues/get-queue';
import type { WakeupListener } from '../wakeups/wakeup-listener';
import { type ConsumeOptions, DEFAULT_CONSUME_OPTIONS, type MessageHandler } from './consumer-options';
import { LockedBatch } from './locked-batch';

interface Held {
  message: ReceivedMessage;
  /** Local clock: when the lease ends unless extended (lease mode). */
  leaseEndsAt: number;
  /**
   * Created on first use of the handler's `signal` (or to abort it): one
   * AbortController per message cost ~5% of the process's CPU in a 30k msg/s
   * drain, and most handlers never look at the signal.
   */
  controller?: AbortController;
  /** Lock mode: the open claim transaction holding this message's row. */
  batch?: LockedBatch;
}

/**
 * Lock mode: claim transactions open at once. Each holds a pooled connection
 * until its slowest handler finishes; two keep the handlers fed while the
 * previous batch's last handlers run, a third covers one slow handler.
 */
const MAX_OPEN_LOCKED_BATCHES = 3;

// biome-ignore lint/suspicious/noExplicitAny: the caller's Kysely<TheirDB> must fit
type OpenTransaction = ControlledTransaction<any>;

/** What a lock-mode consumer records when it finds a lease-mode delivery that already used its last attempt. */
const EXPIRED_ON_FINAL_ATTEMPT = 'visibility timeout expired on the final attempt';

export interface ConsumerDeps {
  db: Executor;
  schema?: string;
  listener?: WakeupListener;
  metrics?: MetricsTap;
}

/**
 * Runs a handler over a queue: claims in batches into a local buffer, runs
 * handlers with bounded concurrency, acks and nacks in batches, extends the
 * leases of handlers that run long, and wakes on LISTEN/NOTIFY with a
 * fallback poll.
 *
 * Acks are batched by "flush when the previous flush returns": the first ack
 * goes out at once, those finishing meanwhile ride the next statement, so the
 * batch size adapts to the load with no timer adding latency.
 */
export class Consumer {
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private visibilityTimeoutMs = 30_000;
  /** Claimed, not yet handed out. Lease mode: no attempt counted yet (see countAhead). */
  private readonly buffer: Held[] = [];
  /** Lease mode: attempt counted, waiting for a free handler slot. */
  private readonly ready: Held[] = [];
  private counting: Promise<void> | null = null;
  private readonly running = new Map<string, Held>();
  private pendingAcks: string[] = [];
  private pendingNacks: NackItem[] = [];
  private flushing: Promise<void> | null = null;
  private fetching: Promise<void> | null = null;
  private fetchAgain = false;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private idle: (() => void) | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private extendTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 100;
  private unsubscribe: (() => void) | null = null;
  private readonly lockMode: boolean;
  /** The queue keeps acked messages (retentionMs); lock mode's acks run in fresh transactions, which the ack's per-executor cache cannot remember. */
  private archivesAcks = false;
  /** Lock mode: claim transactions still open (handlers running, or acks committing). */
  private readonly openBatches = new Set<Promise<void>>();
  /** Lock mode: the transaction begun ahead for the next claim (see claimLockedBatch). */
  private standby: Promise<OpenTransaction> | null = null;
  /** Counters for tests, logs and metrics. */
  readonly stats = { claimed: 0, acked: 0, nacked: 0, released: 0, claims: 0 };
  private readonly metrics: MetricsTap;

  constructor(
    private readonly deps: ConsumerDeps,
    readonly queue: string,
    private readonly handler: MessageHandler,
    private readonly options: ConsumeOptions = {},
  ) {
    this.metrics = deps.metrics ?? new MetricsTap();
    this.concurrency = options.concurrency ?? DEFAULT_CONSUME_OPTIONS.concurrency;
    this.batchSize = options.batchSize ?? DEFAULT_CONSUME_OPTIONS.batchSize;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_CONSUME_OPTIONS.pollIntervalMs;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error('concurrency must be >= 1');
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 1000) {
      throw new Error('batchSize must be between 1 and 1000');
    }
    if (options.exactlyOnce) checkConsumerName(options.exactlyOnce.consumer);
    const mode = options.claimMode ?? 'lease';
    if (mode !== 'lease' && mode !== 'lock') throw new Error("claimMode must be 'lease' or 'lock'");
    this.lockMode = mode === 'lock';
    if (this.lockMode && options.exactlyOnce) {
      // The handler's own transaction would wait on the claim transaction's row lock.
      throw new Error("exactlyOnce needs claimMode 'lease'");
    }
  }

  /** Checks the queue exists, subscribes to wake-ups and starts claiming. */
  async start(): Promise<this> {
    const queue = await getQueue(this.deps.db, this.queue, { schema: this.deps.schema });
    this.visibilityTimeoutMs = this.options.visibilityTimeoutMs ?? queue.visibilityTimeoutMs;
    this.archivesAcks = queue.retentionMs !== null;
    this.unsubscribe = this.deps.listener?.subscribe(this.queue, () => this.fetch()) ?? null;
    this.pollTimer = setInterval(() => this.fetch(), this.pollIntervalMs);
    if (!this.lockMode) {
      // Extend at a third of the lease so a slow extend still lands in time.
      const extendEvery = Math.max(50, Math.floor(this.visibilityTimeoutMs / 3));
      this.extendTimer = setInterval(() => void this.extendLeases(), extendEvery);
    }
    this.fetch();
    return this;
  }

  /** Messages claimed but not finished (buffered + running). */
  get inFlight(): number {
    return this.buffer.length + this.ready.length + this.running.size;
  }

  /**
   * Asks for a claim now; coalesces with one already under way. (Two claims
   * in parallel were measured and bought nothing: 21.5k/24.8k msg/s vs
   * 23.9k/25.8k for one at a time, Postgres being CPU-bound on 2 cores.)
   */
  fetch(): void {
    if (this.stopping) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = this.claimBatch().finally(() => {
      this.fetching = null;
      if (this.fetchAgain && !this.stopping) {
        this.fetchAgain = false;
        this.fetch();
      }
    });
  }

  private async claimBatch(): Promise<void> {
    if (this.lockMode) return this.claimLockedBatch();
    const capacity = this.concurrency + this.batchSize - this.inFlight;
    const want = Math.min(this.batchSize, capacity);
    if (want <= 0) return;
    const leaseStart = Date.now();
    let messages: ReceivedMessage[];
    try {
      this.stats.claims++;
      messages = await claim(this.deps.db, this.queue, want, {
        schema: this.deps.schema,
        visibilityTimeoutMs: this.visibilityTimeoutMs,
        // Counted when a handler is about to start (countAhead).
        countAttempt: false,
      }).then(this.metrics.claimed(this.queue, performance.now(), false));
      this.retryDelayMs = 100;
    } catch (error) {
      this.report(error);
      this.scheduleRetry();
      return;
    }
    this.stats.claimed += messages.length;
    for (const message of messages) {
      this.buffer.push({
        message,
        leaseEndsAt: leaseStart + this.visibilityTimeoutMs,
      });
    }
    if (this.stopping) {
      await this.releaseBuffer();
      return;
    }
    this.dispatch();
    // A full batch says there is more: claim again without waiting for a wake-up.
    if (messages.length === want) this.fetchAgain = true;
  }

  /**
   * Lock mode: locks up to a batch of rows in a transaction, hands them to
   * the buffer, and leaves the transaction open in the background until the
   * batch is settled; then one ack and one nack statement and COMMIT.
   * Resolves as soon as the rows are buffered.
   *
   * The transaction was begun ahead of time (the standby), so a wake-up
   * claims in ONE round trip instead of BEGIN + claim: ~0.5 ms of the
   * idle-consumer latency on the bench machine, where a round trip through
   * the pool costs 0.6-0.7 ms. An open transaction that has locked nothing
   * has no xid and, between statements, no snapshot: it holds back no
   * vacuum, only one pooled connection.
   */
  private async claimLockedBatch(): Promise<void> {
    // Room for two batches ahead of the handlers: the next claim goes out
    // while a whole batch is still buffered, so handlers never wait for it,
    // and always for a full batch, as each claim costs a transaction and a
    // commit however many rows it takes. (Claiming only when the buffer ran
    // down to `concurrency` left the handlers idle during every claim.)
    const capacity = this.concurrency + 2 * this.batchSize - this.inFlight;
    const want = Math.min(this.batchSize, capacity);
    if (want < Math.ceil(this.batchSize / 2) || this.openBatches.size >= MAX_OPEN_LOCKED_BATCHES) return;
    const standby = this.standby ?? this.beginStandby();
    this.standby = null;
    let trx: OpenTransaction;
    let messages: LockedMessage[];
    try {
      trx = await standby;
    } catch (error) {
      this.report(error);
      this.scheduleRetry();
      return;
    }
    try {
      this.stats.claims++;
      messages = await claimLocked(trx, this.queue, want, { schema: this.deps.schema }).then(
        this.metrics.claimed(this.queue, performance.now()),
      );
      this.retryDelayMs = 100;
    } catch (error) {
      // The connection may be gone (server restart): drop it, begin afresh.
      this.report(error);
      this.scheduleRetry();
      await rollBack(trx);
      return;
    }
    if (messages.length === 0) {
      // Begin a fresh standby rather than keep this one: now() inside a
      // transaction is its BEGIN's time, and the acks' timestamps (acked_at,
      // dead_at) should not lag by however long the consumer sat idle. So a
      // standby is at most one poll interval old when it claims.
      await rollBack(trx);
      if (!this.stopping) this.beginStandby();
      return;
    }
    if (!this.stopping) this.beginStandby();
    const batch = new LockedBatch(messages);
    const open = this.finishLockedBatch(trx, batch).finally(() => {
      this.openBatches.delete(open);
      if (!this.stopping) this.fetch();
    });
    this.openBatches.add(open);
    this.takeLocked(batch, want);
  }

  private beginStandby(): Promise<OpenTransaction> {
    const standby = asKysely(this.deps.db).startTransaction().execute();
    standby.catch(() => {}); // reported when a claim awaits it
    this.standby = standby;
    return standby;
  }

  /** Waits for every message of the batch, then acks and nacks them in its transaction and commits. */
  private async finishLockedBatch(trx: OpenTransaction, batch: LockedBatch): Promise<void> {
    try {
      await batch.settled;
      const { acks, failures } = batch;
      const schema = this.deps.schema;
      if (acks.length > 0) await ackDeliveries(trx, this.queue, acks, { schema, archives: this.archivesAcks });
      if (failures.length > 0)
        await nackDeliveries(trx, this.queue, failures, { schema, heldLock: true }).then(
          this.metrics.nackedRows(this.queue),
        );
      await trx.commit().execute();
      this.stats.acked += acks.length;
      this.metrics.ackedCount(this.queue, acks.length);
      this.stats.nacked += failures.length;
    } catch (error) {
      // The acks or the commit failed (database gone, connection cut): every
      // lock of the batch is gone with it, so its messages are ready again,
      // to be delivered again; nothing is lost.
      this.report(error);
      await rollBack(trx);
    }
  }

  /** Stop: the standby goes back to the pool. */
  private async endStandby(): Promise<void> {
    const standby = this.standby;
    this.standby = null;
    // Never begun (database down): nothing to end.
    if (standby) await standby.then(rollBack, () => {});
  }

  private takeLocked(batch: LockedBatch, want: number): void {
    const messages = batch.messages;
    this.stats.claimed += messages.length;
    for (const message of messages) {
      const held: Held = { message, leaseEndsAt: Number.POSITIVE_INFINITY, batch };
      if (message.exhausted) batch.settle(message, { ack: false, error: EXPIRED_ON_FINAL_ATTEMPT });
      else if (this.stopping) batch.settle(message, { release: true });
      else this.buffer.push(held);
    }
    this.dispatch();
    if (messages.length === want) this.fetchAgain = true;
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopping) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.fetch();
      this.dispatch();
      void this.flush();
    }, delay);
  }

  private dispatch(): void {
    const startable = this.lockMode ? this.buffer : this.ready;
    while (!this.stopping && this.running.size < this.concurrency && startable.length > 0) {
      const held = startable.shift() as Held;
      this.running.set(held.message.receipt, held);
      void this.run(held);
    }
    if (!this.lockMode) this.countAhead();
  }

  /**
   * Lease mode: counts the attempt of the next buffered messages just before
   * their handlers start, keeping at most `concurrency` counted ones waiting
   * in `ready`. The claim counts none (countAttempt: false): a process that
   * died with a full buffer used to cost every buffered message an attempt
   * though no handler saw it, and a crash-looping consumer dead-lettered
   * innocent messages (SIGKILL every 0.4-0.9 s, batch 500: 115 of 5,000 in
   * the issue; 2,128 of 3,000 with maxAttempts 2 in
   * test/faults/crash-loop.spec.ts). A crash now costs an attempt only to
   * what was running or about to run: at most 2 x concurrency messages,
   * whatever the batch size. (A reserve of batchSize / 10 was tried: with
   * batch 500 it still dead-lettered 64 of 3,000 at maxAttempts 2.)
   *
   * The price: one UPDATE per refill (about concurrency / 2 messages),
   * awaited before those handlers start: a handler must not run uncounted,
   * or a message that kills its consumer would come back forever. Measured
   * with bench/src/drain-20k.ts (20,000 messages, batch 500, concurrency 10,
   * empty handler, shared 2-core machine at load ~11): ~6,900-10,800 msg/s
   * before, ~820-1,190 after. The refills are serial, so a drain of instant
   * handlers is bound by their round trips; handlers that do real work hide
   * them. See docs/notes-sec-core.md.
   */
  private countAhead(): void {
    if (this.counting || this.stopping || this.buffer.length === 0) return;
    if (this.ready.length > this.concurrency / 2) return;
    const next = this.buffer.splice(0, this.concurrency - this.ready.length);
    const receipts = next.map((h) => h.message.receipt);
    this.counting = countAttempts(this.deps.db, this.queue, receipts, { schema: this.deps.schema })
      .then(
        (counted) => {
          for (const held of next) {
            const attempts = counted.get(held.message.receipt);
            // Missing: the lease ran out meanwhile and the message is someone else's.
            if (attempts !== undefined) this.ready.push({ ...held, message: { ...held.message, attempts } });
          }
        },
        (error) => {
          // Not counted, so not started: back to the buffer, tried again after a pause.
          this.buffer.unshift(...next);
          this.report(error);
          this.scheduleRetry();
        },
      )
      .finally(() => {
        this.counting = null;
        if (!this.stopping) this.dispatch();
        if (this.buffer.length + this.ready.length < this.batchSize) this.fetch();
      });
  }

  private async run(held: Held): Promise<void> {
    const { message } = held;
    try {
      const exactlyOnce = this.options.exactlyOnce;
      if (exactlyOnce) {
        // Inbox row, handler effects and ack commit as one transaction, so
        // this path acks by itself instead of through the batched flush.
        const outcome = await processExactlyOnce(
          this.deps.db,
          message,
          exactlyOnce.consumer,
          (trx) => this.handler(message, { signal: signalOf(held), trx }),
          { schema: this.deps.schema },
        );
        if (outcome.acked) this.stats.acked++;
        this.metrics.ackedCount(this.queue, outcome.acked ? 1 : 0);
      } else {
        await this.handler(message, {
          get signal() {
            return signalOf(held);
          },
        });
        if (held.batch) held.batch.settle(message as LockedMessage, { ack: true });
        else this.pendingAcks.push(message.receipt);
      }
    } catch (error) {
      this.report(error, message.id);
      const text = describeError(error);
      if (held.batch) held.batch.settle(message as LockedMessage, { ack: false, error: text });
      else this.pendingNacks.push({ receipt: message.receipt, error: text });
    }
    this.running.delete(message.receipt);
    if (!held.batch) void this.flush();
    if (!this.stopping) {
      this.dispatch();
      if (this.buffer.length + this.ready.length < this.batchSize) this.fetch();
    } else if (this.running.size === 0) {
      this.idle?.();
    }
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
        try {
          if (acks.length > 0) {
            const result = await ack(this.deps.db, this.queue, acks, { schema: this.deps.schema }).then(
              this.metrics.acked(this.queue),
            );
            this.stats.acked += result.acked;
          }
          if (nacks.length > 0) {
            const result = await nack(this.deps.db, this.queue, nacks, { schema: this.deps.schema }).then(
              this.metrics.nacked(this.queue),
            );
            this.stats.nacked += result.retried + result.deadLettered;
          }
        } catch (error) {
          // The database is unreachable: keep them and try again. A receipt
          // stays valid until its lease runs out, so nothing is lost; if the
          // lease does run out the message is simply delivered again.
          this.report(error);
          this.pendingAcks.unshift(...acks);
          this.pendingNacks.unshift(...nacks);
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
          this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
          if (this.stopping && this.stopDeadlinePassed()) return;
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async extendLeases(): Promise<void> {
    const now = Date.now();
    const due = [...this.running.values(), ...this.ready, ...this.buffer].filter(
      (h) => h.leaseEndsAt - now < this.visibilityTimeoutMs / 2,
    );
    if (due.length === 0) return;
    try {
      const result = await extend(
        this.deps.db,
        this.queue,
        due.map((h) => h.message.receipt),
        this.visibilityTimeoutMs,
        { schema: this.deps.schema },
      );
      const stale = new Set(result.stale);
      for (const held of due) {
        if (stale.has(held.message.receipt)) abort(held, new Error('lease lost'));
        else held.leaseEndsAt = now + this.visibilityTimeoutMs;
      }
    } catch (error) {
      this.report(error);
    }
  }

  private async releaseBuffer(): Promise<void> {
    await this.counting;
    const held = this.buffer.splice(0);
    if (this.lockMode) {
      // Unlocking is the release: each batch commits without touching them.
      for (const h of held) h.batch?.settle(h.message as LockedMessage, { release: true });
      this.stats.released += held.length;
      return;
    }
    const ready = this.ready.splice(0);
    try {
      const schema = this.deps.schema;
      // The buffer's claims counted no attempt; ready's did (countAhead).
      for (const [group, counted] of [
        [held, false],
        [ready, true],
      ] as const) {
        if (group.length === 0) continue;
        const receipts = group.map((h) => h.message.receipt);
        this.stats.released += await release(this.deps.db, this.queue, receipts, { schema, counted });
      }
    } catch (error) {
      // Unreleased messages come back when their lease runs out.
      this.report(error);
    }
  }

  private stopDeadline = Number.POSITIVE_INFINITY;
  private stopDeadlinePassed(): boolean {
    return Date.now() > this.stopDeadline;
  }

  /**
   * Graceful stop: no new claims; buffered (never started) messages are
   * released at once; running handlers finish and are acked. With a timeout,
   * handlers still running after it are aborted (their signal fires) and left
   * to their lease: they will be delivered again, never lost.
   */
  stop({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    this.stopDeadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    this.unsubscribe?.();
    for (const timer of [this.pollTimer, this.retryTimer]) if (timer) clearTimeout(timer);
    this.stopped = (async () => {
      await this.fetching;
      await this.releaseBuffer();
      if (this.running.size > 0) {
        const allDone = new Promise<void>((resolve) => {
          this.idle = resolve;
        });
        if (timeoutMs === undefined) await allDone;
        else {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          });
          await Promise.race([allDone, timedOut]);
          clearTimeout(timer);
          for (const held of this.running.values()) {
            abort(held, new Error('consumer stopped'));
            // Lock mode: commit what finished; the rest is released by that commit.
            held.batch?.cutShort();
          }
        }
      }
      if (this.extendTimer) clearInterval(this.extendTimer);
      await this.flush();
      while (this.openBatches.size > 0) await Promise.all([...this.openBatches]);
      await this.endStandby();
    })();
    return this.stopped;
  }

  private report(error: unknown, messageId?: string): void {
    this.options.onError?.(error, { queue: this.queue, messageId });
  }
}

/** Ends a claim transaction without writing; one whose connection is gone has nothing left to end. */
async function rollBack(trx: OpenTransaction): Promise<void> {
  await trx
    .rollback()
    .execute()
    .catch(() => {});
}

function signalOf(held: Held): AbortSignal {
  held.controller ??= new AbortController();
  return held.controller.signal;
}

/** Aborts the handler's signal, including one it has not asked for yet (its getter then returns it aborted). */
function abort(held: Held, reason: Error): void {
  held.controller ??= new AbortController();
  held.controller.abort(reason);
}

/**
 * What is stored as a message's last error (and shown by peek, the REST API
 * and the dashboard): name and message only. The stack names source files
 * and lines of the consumer's process, which API callers must not see; it
 * goes to onError (the logs) with the error itself.
 */
export function describeError(error: unknown): string {
  return storableText(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}

/**
 * Postgres text cannot hold NUL or a lone surrogate: one such handler error
 * would fail the whole batched nack statement, every message in it with it.
 * They are replaced with U+FFFD; the error itself still reaches onError.
 */
function storableText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is replaced
  return text.replace(/\u0000|\p{Cs}/gu, '\uFFFD');
}
