import type { Executor } from '../database/database';
import { checkConsumerName } from '../inbox/process-exactly-once';
import { MeteredDeliveryEvents } from '../metrics/metered-delivery-events';
import type { PostboxMetrics } from '../metrics/postbox-metrics';
import { getQueue } from '../queues/get-queue';
import type { WakeupListener } from '../wakeups/wakeup-listener';
import { abort, type ClaimSource, type Held } from './claim-source';
import { type ConsumeOptions, DEFAULT_CONSUME_OPTIONS, type MessageHandler } from './consumer-options';
import { ConsumerLifecycle, type ConsumerState } from './consumer-state';
import { type ConsumerStats, DeliveryEvents } from './delivery-events';
import { handleMessage } from './handle-message';
import { LeaseClaims } from './lease-claims';
import { LockClaims } from './lock-claims';

/** The most one claim statement takes (messages/claim.ts): the lease-mode claim sizer's ceiling by default. */
const MAX_CLAIM = 1000;

export interface ConsumerDeps {
  db: Executor;
  schema?: string;
  listener?: WakeupListener;
  metrics?: PostboxMetrics;
}

/**
 * Runs a handler over a queue: claims in batches into a local buffer through
 * a claim source (lease-claims.ts or lock-claims.ts), runs handlers with
 * bounded concurrency, hands each outcome back to the source, and wakes on
 * LISTEN/NOTIFY with a fallback poll. Its life: consumer-state.ts.
 */
export class Consumer {
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly lifecycle = new ConsumerLifecycle();
  private readonly events: DeliveryEvents;
  private source!: ClaimSource;
  /** Claimed, not yet started. */
  private readonly buffer: Held[] = [];
  private readonly running = new Map<string, Held>();
  private fetching: Promise<void> | null = null;
  private fetchAgain = false;
  private stopped: Promise<void> | null = null;
  private idle: (() => void) | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 100;
  private unsubscribe: (() => void) | null = null;
  private readonly lockMode: boolean;
  /** What handleMessage needs of the options, built once rather than spread per message. */
  private readonly handlerOptions: Parameters<typeof handleMessage>[3];
  /** Counters for tests, logs and metrics (see delivery-events.ts). */
  readonly stats: ConsumerStats;

  constructor(
    private readonly deps: ConsumerDeps,
    readonly queue: string,
    private readonly handler: MessageHandler,
    private readonly options: ConsumeOptions = {},
  ) {
    this.events = deps.metrics ? new MeteredDeliveryEvents(queue, deps.metrics) : new DeliveryEvents();
    this.stats = this.events.stats;
    this.concurrency = options.concurrency ?? DEFAULT_CONSUME_OPTIONS.concurrency;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_CONSUME_OPTIONS.pollIntervalMs;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error('concurrency must be >= 1');
    const batchSize = options.batchSize ?? undefined;
    // Unset, both claim sources size their claims (claim-sizer.ts).
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_CLAIM)) {
      throw new Error('batchSize must be between 1 and 1000');
    }
    if (options.exactlyOnce) checkConsumerName(options.exactlyOnce.consumer);
    const mode = options.claimMode ?? 'lease';
    if (mode !== 'lease' && mode !== 'lock') throw new Error("claimMode must be 'lease' or 'lock'");
    this.lockMode = mode === 'lock';
    const { exactlyOnce, onError, bodySchema } = options;
    this.handlerOptions = { exactlyOnce, onError, bodySchema, schema: deps.schema };
    if (this.lockMode && options.exactlyOnce) {
      // The handler's own transaction would wait on the claim transaction's row lock.
      throw new Error("exactlyOnce needs claimMode 'lease'");
    }
  }

  get state(): ConsumerState {
    return this.lifecycle.state;
  }

  /** Checks the queue exists, subscribes to wake-ups and starts claiming. */
  async start(): Promise<this> {
    this.lifecycle.moveTo('starting');
    const { db, schema } = this.deps;
    const queue = await getQueue(db, this.queue, { schema });
    if (this.lifecycle.stopping) return this;
    const context = {
      queue: this.queue,
      schema,
      events: this.events,
      stopping: () => this.lifecycle.stopping,
      held: () => [...this.running.values(), ...this.buffer],
      wake: () => this.fetch(),
      report: (error: unknown, messageId?: string) => this.report(error, messageId),
    };
    this.source = this.lockMode
      ? new LockClaims(
          db,
          context,
          this.concurrency,
          this.options.batchSize ?? undefined,
          MAX_CLAIM,
          queue.retentionMs !== null,
        )
      : new LeaseClaims(
          db,
          context,
          this.concurrency,
          this.options.batchSize ?? MAX_CLAIM,
          this.options.visibilityTimeoutMs ?? queue.visibilityTimeoutMs,
        );
    this.lifecycle.moveTo('running');
    this.unsubscribe = this.deps.listener?.subscribe(this.queue, () => this.fetch()) ?? null;
    this.pollTimer = setInterval(() => this.fetch(), this.pollIntervalMs);
    this.fetch();
    return this;
  }

  /** Messages claimed but not finished (buffered + running). */
  get inFlight(): number {
    return this.buffer.length + this.running.size;
  }

  /**
   * Asks for a claim now; coalesces with one already under way. (Two claims
   * in parallel were measured and bought nothing: 21.5k/24.8k msg/s vs
   * 23.9k/25.8k for one at a time, Postgres being CPU-bound on 2 cores.)
   */
  fetch(): void {
    if (!this.lifecycle.running) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    // Every finished handler asks; nearly always there is no room yet. Asked
    // here, not in claimBatch, that costs no promise: one async call and its
    // finally per message were ~3% of a lease drain's Node CPU.
    const want = this.source.want(this.inFlight);
    if (want <= 0) return;
    this.fetching = this.claimBatch(want).finally(() => {
      this.fetching = null;
      if (this.fetchAgain && this.lifecycle.running) {
        this.fetchAgain = false;
        this.fetch();
      }
    });
  }

  private async claimBatch(want: number): Promise<void> {
    let claimed: { held: Held[]; full: boolean };
    try {
      claimed = await this.source.claim(want);
      this.retryDelayMs = 100;
    } catch (error) {
      this.report(error);
      this.scheduleRetry();
      return;
    }
    if (this.lifecycle.stopping) {
      await this.source.release(claimed.held);
      return;
    }
    this.buffer.push(...claimed.held);
    this.dispatch();
    // A full batch says there is more: claim again without waiting for a wake-up.
    if (claimed.full) this.fetchAgain = true;
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.lifecycle.stopping) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.fetch();
      this.dispatch();
    }, delay);
  }

  private dispatch(): void {
    const startable = this.buffer;
    while (this.lifecycle.running && this.running.size < this.concurrency && startable.length > 0) {
      const held = startable.shift() as Held;
      this.running.set(held.message.receipt, held);
      void this.run(held);
    }
    if (this.running.size < this.concurrency && startable.length === 0) this.source.starved?.();
  }

  /** Runs the handler on one message and hands its outcome to the source. */
  private async run(held: Held): Promise<void> {
    const outcome = await handleMessage(this.deps.db, held, this.handler, this.handlerOptions, this.events);
    const { message } = held;
    // Abandoned by a timed-out stop: the source no longer expects an outcome.
    if (!this.running.delete(message.receipt)) return;
    this.source.finished?.();
    if (outcome) this.source.settle(held, outcome);
    if (this.lifecycle.running) {
      this.dispatch();
      this.fetch();
    } else if (this.running.size === 0) {
      this.idle?.();
    }
  }

  /**
   * Graceful stop: no new claims; buffered (never started) messages are
   * released at once; running handlers finish and are acked. With a timeout,
   * handlers still running after it are aborted (their signal fires) and left
   * to their lease: they will be delivered again, never lost.
   */
  stop({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return this.stopped;
    const wasStarted = this.lifecycle.state === 'running';
    this.lifecycle.moveTo('draining');
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    this.unsubscribe?.();
    for (const timer of [this.pollTimer, this.retryTimer]) if (timer) clearTimeout(timer);
    this.stopped = (async () => {
      if (wasStarted) {
        await this.fetching;
        await this.source.release(this.buffer.splice(0));
        await this.handlersDone(timeoutMs);
        await this.source.drain(deadline);
      }
      this.lifecycle.moveTo('stopped');
    })();
    return this.stopped;
  }

  /** Waits for running handlers; at the timeout, aborts the rest and abandons them to the source. */
  private async handlersDone(timeoutMs: number | undefined): Promise<void> {
    if (this.running.size === 0) return;
    const allDone = new Promise<void>((resolve) => {
      this.idle = resolve;
    });
    if (timeoutMs === undefined) return allDone;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([allDone, timedOut]);
    clearTimeout(timer);
    for (const held of this.running.values()) {
      abort(held, new Error('consumer stopped'));
      this.source.abandon(held);
    }
    this.running.clear();
  }

  private report(error: unknown, messageId?: string): void {
    this.options.onError?.(error, { queue: this.queue, messageId });
  }
}
