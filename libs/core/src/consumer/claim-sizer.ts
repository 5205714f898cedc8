/**
 * Sizes a lease-mode consumer's claims so `consume(queue, handler)` drains
 * fast with no options, without holding more claimed-but-unstarted messages
 * than its handlers need.
 *
 * graphile-worker's LocalQueue is the model: one fetch for many handlers,
 * served locally. Its size is fixed (500 on its performance page); here the
 * size moves:
 *
 * - grow (×2) when a claim came back full while the handlers sat idle
 *   waiting for it: the buffer empties faster than claims fill it;
 * - shrink (÷2) when a claim came back short: the queue is running dry or
 *   idle, so the next claim need not take (and lease, and count) as many;
 * - never below `min` (the concurrency: one claim feeds every handler),
 *   never above `max` (batchSize, 1000 by default: the claim's limit), and
 *   never above what the handlers start within a quarter of the visibility
 *   timeout at the rate measured, so a buffered message (two claims' worth
 *   at most, lease-claims.ts) starts within half its lease.
 *
 * Measured (bench, 20,000 messages, concurrency 10, trivial handler, one
 * run each, ratio to graphile-worker 0.18 with localQueue 500 in the same
 * run): the fixed default claim of 10 drained at 0.12×; sized, the drain
 * took 47 claims (~425 messages each) and ran at 0.77× with the claim of
 * the time; with the HOT claim of migration 000011, 1.4×, 0.99× and 2.38×
 * in three runs (best of 2 each, load average 7-14), where the same
 * consumer with batchSize 500 ran 1.7×, 0.63× and 2.03×.
 *
 * The size is also what a crash costs: the claim counts an attempt (see
 * lease-claims.ts), so a consumer killed with a full buffer spends one
 * attempt of each buffered message. Keeping the buffer at what the handlers
 * need keeps that small whenever the handlers, not the claims, are the
 * bottleneck.
 */
export class ClaimSizer {
  private current: number;
  private starved = false;
  /** Handlers finished since `since`, and the rate (per ms) measured over earlier windows. */
  private finished = 0;
  private since = performance.now();
  private perMs = 0;

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly visibilityTimeoutMs: number,
  ) {
    this.current = Math.min(min, max);
  }

  get size(): number {
    return this.current;
  }

  /** A handler slot was free and nothing was buffered to start. */
  starve(): void {
    this.starved = true;
  }

  handled(): void {
    this.finished++;
  }

  /** A claim asked for `asked` and got `got`. */
  claimed(got: number, asked: number): void {
    this.measure();
    if (got < asked) this.current = Math.max(Math.min(this.min, this.max), Math.ceil(this.current / 2));
    else if (this.starved) this.current = Math.min(this.ceiling(), this.current * 2);
    this.starved = false;
  }

  private ceiling(): number {
    if (this.perMs === 0) return this.max;
    const withinLease = Math.floor((this.perMs * this.visibilityTimeoutMs) / 4);
    return Math.max(Math.min(this.min, this.max), Math.min(this.max, withinLease));
  }

  /** Handler completions per ms, over windows of at least 100 ms, smoothed. */
  private measure(): void {
    const now = performance.now();
    const elapsed = now - this.since;
    if (elapsed < 100) return;
    const rate = this.finished / elapsed;
    this.perMs = this.perMs === 0 ? rate : 0.5 * this.perMs + 0.5 * rate;
    this.finished = 0;
    this.since = now;
  }
}
