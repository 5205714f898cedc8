import type { ReceivedMessage } from './message';

export interface ReceiveWaitersOptions {
  /** One claim statement (claim.ts): up to `max` messages, leased for `visibilityTimeoutMs` (queue default if undefined). */
  claim(queue: string, max: number, visibilityTimeoutMs: number | undefined): Promise<ReceivedMessage[]>;
  /** Hands back claimed messages nobody is left to take, without counting the attempt (release.ts). */
  release(queue: string, receipts: string[]): Promise<unknown>;
  /** Calls back on each wake-up (NOTIFY) of the queue; returns the unsubscribe function. */
  subscribe(queue: string, callback: () => void): () => void;
  /** Delayed messages coming due send no NOTIFY: a queue with waiters is claimed for at least this often. Default 1 s. */
  pollIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export interface WaitOptions {
  max: number;
  waitMs: number;
  visibilityTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A claim statement takes at most this many (claim.ts's bound). */
const CLAIM_LIMIT = 1000;

/**
 * Failed line claims in a row before the waiters are answered with the
 * error. One failure (a pool timeout while 10,000 woken waiters' answers and
 * their re-polls crowd the service) used to answer every waiter with a 503 at
 * once, and all of them re-polled together: 5,601 of 10,000 in one bench
 * run. A transient failure is now retried at the next timer tick; a database
 * that stays down still reaches the waiters within ~3 ticks (3 s), as a 503.
 */
const FAILURES_BEFORE_ANSWERING = 3;

interface Waiter {
  /** Arrival order: taken when the receive was called, before its own first claim. */
  ticket: number;
  max: number;
  visibilityTimeoutMs: number | undefined;
  settle(messages: ReceivedMessage[] | Error): void;
}

/**
 * The long polls waiting on one queue, served together: every wake-up
 * (NOTIFY, the listener reconnecting) and one timer per queue (for delayed
 * messages coming due) trigger ONE claim for up to the sum of the waiters'
 * `max`, and what it got is dealt out to the waiters in arrival order.
 *
 * Before this, each waiter re-claimed on its own every second: 2,000 idle
 * long polls cost ~2,000 transactions/s and at 10,000 the pool queue made
 * 2,748 of them fail or answer after 50 s. Now idle waiters cost one claim
 * per queue per second, however many there are.
 */
class QueueWaiters {
  private readonly waiters: Waiter[] = [];
  private claiming = false;
  /** A wake-up came while a claim was running: claim again when it ends (the NOTIFY may be for rows it missed). */
  private again = false;
  /** Wake-ups seen; a receive compares it around its first claim so a NOTIFY during that claim is not lost. */
  wakeups = 0;
  /** `wakeups` when a line claim began that then found less than it asked for; -1 when none did since. */
  private emptyAsOf = -1;
  /** Line claims that failed in a row (FAILURES_BEFORE_ANSWERING). */
  private failures = 0;
  /** Receives between their first claim and joining the line (they keep the subscription alive). */
  private arriving = 0;
  private tickets = 0;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly queue: string,
    private readonly options: ReceiveWaitersOptions,
    private readonly onIdle: () => void,
  ) {
    this.unsubscribe = options.subscribe(queue, () => {
      this.wakeups++;
      this.kick();
    });
    this.timer = setInterval(() => this.kick(), options.pollIntervalMs ?? 1_000);
    this.timer.unref();
  }

  get size(): number {
    return this.waiters.length;
  }

  /**
   * Waiters are in line, the line's last claim left nothing behind, and no
   * wake-up came since: a receive arriving now would claim nothing, so it
   * joins the line without a claim of its own. Waiters answered empty at
   * their deadline and asking again (a long poll is re-issued every
   * `waitMs`) then cost no transaction: 10,000 waiters re-polling every 30 s
   * were ~330 claims/s. Ready rows that send no NOTIFY (delayed messages
   * coming due, expired leases) reach a joiner at the line's next timer
   * claim, at most pollIntervalMs later, as they reach everyone waiting.
   */
  get knownEmpty(): boolean {
    return this.waiters.length > 0 && !this.claiming && this.emptyAsOf === this.wakeups;
  }

  /** Receives whose own first claim is running right now. */
  get firstClaimsRunning(): number {
    return this.arriving;
  }

  /** A receive is about to make its own first claim; returns its place in line should it wait. */
  arrive(): number {
    this.arriving++;
    return this.tickets++;
  }

  /** Joins the line; resolves with this waiter's messages, or [] at its deadline or abort. */
  wait(
    { max, waitMs, visibilityTimeoutMs, signal }: WaitOptions,
    ticket: number,
    wokenMeanwhile: boolean,
  ): Promise<ReceivedMessage[]> {
    this.arriving--;
    return new Promise<ReceivedMessage[]>((resolve, reject) => {
      let timeout: NodeJS.Timeout | undefined;
      const onAbort = () => waiter.settle([]);
      const waiter: Waiter = {
        ticket,
        max,
        visibilityTimeoutMs,
        settle: (result) => {
          const at = this.waiters.indexOf(waiter);
          if (at < 0) return; // already answered
          this.waiters.splice(at, 1);
          clearTimeout(timeout);
          signal?.removeEventListener('abort', onAbort);
          if (result instanceof Error) reject(result);
          else resolve(result);
          this.closeIfIdle();
        },
      };
      // First claims finish in any order; the line keeps the order the receives were called in.
      let at = this.waiters.length;
      while (at > 0 && (this.waiters[at - 1] as Waiter).ticket > ticket) at--;
      this.waiters.splice(at, 0, waiter);
      timeout = setTimeout(() => waiter.settle([]), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      else if (wokenMeanwhile) this.kick();
      // Its own claim found nothing and no wake-up came since: the next arrivals need not claim.
      else if (!this.claiming) this.emptyAsOf = this.wakeups;
    });
  }

  /** A receive that got messages (or failed) on its first claim leaves without waiting. */
  leave(): void {
    this.arriving--;
    this.closeIfIdle();
  }

  /** Answers everyone now with nothing (Postbox.close). */
  settleAll(): void {
    for (const waiter of [...this.waiters]) waiter.settle([]);
  }

  private closeIfIdle(): void {
    if (this.waiters.length > 0 || this.arriving > 0 || this.claiming) return;
    clearInterval(this.timer);
    this.unsubscribe();
    this.onIdle();
  }

  private kick(): void {
    if (this.waiters.length === 0) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claimForWaiters().finally(() => {
      this.claiming = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
      this.closeIfIdle();
    });
  }

  /**
   * One claim per lease length in use (usually one: the queue's default),
   * for what the waiters want in total, repeated while a full batch came back
   * and waiters remain.
   */
  private async claimForWaiters(): Promise<void> {
    for (;;) {
      const leases = new Set(this.waiters.map((w) => w.visibilityTimeoutMs));
      let full = false;
      for (const visibilityTimeoutMs of leases) {
        const wanting = this.waiters.filter((w) => w.visibilityTimeoutMs === visibilityTimeoutMs);
        if (wanting.length === 0) continue;
        const max = Math.min(
          CLAIM_LIMIT,
          wanting.reduce((sum, w) => sum + w.max, 0),
        );
        let messages: ReceivedMessage[];
        const seen = this.wakeups;
        try {
          messages = await this.options.claim(this.queue, max, visibilityTimeoutMs);
          this.emptyAsOf = messages.length < max ? seen : -1;
          this.failures = 0;
        } catch (error) {
          this.emptyAsOf = -1;
          this.options.onError?.(error);
          if (++this.failures < FAILURES_BEFORE_ANSWERING) return; // the next tick tries again
          // The database stays unreachable: those waiting answer with the error
          // (a 503 over REST), as each did when it polled on its own.
          const failure = error instanceof Error ? error : new Error(String(error));
          for (const waiter of wanting) waiter.settle(failure);
          continue;
        }
        if (messages.length === max) full = true;
        await this.dealOut(messages, visibilityTimeoutMs);
      }
      if (!full || this.waiters.length === 0) return;
    }
  }

  /** In arrival order, each waiter takes up to its max; what is left (waiters gone meanwhile) is released. */
  private async dealOut(claimed: ReceivedMessage[], visibilityTimeoutMs: number | undefined): Promise<void> {
    // UPDATE … RETURNING does not keep the claim's order: the head of the
    // queue (priority, then id) goes to the waiter that came first.
    const messages = [...claimed].sort((a, b) => a.priority - b.priority || Number(BigInt(a.id) - BigInt(b.id)));
    let next = 0;
    for (const waiter of this.waiters.filter((w) => w.visibilityTimeoutMs === visibilityTimeoutMs)) {
      if (next >= messages.length) break;
      waiter.settle(messages.slice(next, next + waiter.max));
      next += waiter.max;
    }
    const left = messages.slice(next);
    if (left.length === 0) return;
    await this.options
      .release(
        this.queue,
        left.map((m) => m.receipt),
      )
      .catch((error) => this.options.onError?.(error));
  }
}

/**
 * Long polls of one Postbox, one line per queue (QueueWaiters). A receive
 * claims once on its own (the common case: something is ready); only when
 * that finds nothing does it join its queue's line.
 */
export class ReceiveWaiters {
  private readonly queues = new Map<string, QueueWaiters>();

  constructor(private readonly options: ReceiveWaitersOptions) {}

  /** Waiting receives right now, over all queues. */
  get size(): number {
    let size = 0;
    for (const line of this.queues.values()) size += line.size;
    return size;
  }

  async receive(queue: string, options: WaitOptions): Promise<ReceivedMessage[]> {
    const { max, waitMs, visibilityTimeoutMs, signal } = options;
    if (waitMs <= 0 || signal?.aborted) return this.options.claim(queue, max, visibilityTimeoutMs);
    // In the line's subscription before the first claim, so a NOTIFY between
    // that claim and joining the line is seen (the wakeups counter moves).
    const line = this.lineFor(queue);
    if (line.knownEmpty) return line.wait(options, line.arrive(), false);
    // Another receive's first claim on this queue is running: a burst of
    // arrivals joins the line, which claims once for all of them. 10,000
    // long polls arriving together made 10,000 first claims queue for the
    // pool's 20 connections, and 673 of them timed out (503) in one bench run.
    if (line.firstClaimsRunning > 0) return line.wait(options, line.arrive(), true);
    const ticket = line.arrive();
    const seen = line.wakeups;
    let messages: ReceivedMessage[];
    try {
      messages = await this.options.claim(queue, max, visibilityTimeoutMs);
    } catch (error) {
      line.leave();
      throw error;
    }
    if (messages.length > 0) {
      line.leave();
      return messages;
    }
    return line.wait(options, ticket, line.wakeups !== seen);
  }

  /** A long poll on `queue` now would wait without a claim of its own (QueueWaiters.knownEmpty). */
  wouldWait(queue: string): boolean {
    return this.queues.get(queue)?.knownEmpty ?? false;
  }

  /** Answers every waiting receive now, with nothing. */
  close(): void {
    for (const line of [...this.queues.values()]) line.settleAll();
  }

  private lineFor(queue: string): QueueWaiters {
    let line = this.queues.get(queue);
    if (!line) {
      const created = new QueueWaiters(queue, this.options, () => {
        if (this.queues.get(queue) === created) this.queues.delete(queue);
      });
      this.queues.set(queue, created);
      line = created;
    }
    return line;
  }
}
