/**
 * A consumer's life, one way only:
 *
 *   created → starting → running → draining → stopped
 *
 * - starting: the queue is being looked up; nothing is claimed yet.
 * - running: claims, handlers, acks.
 * - draining: stop() was called. No new claims and no new handlers; the
 *   unstarted buffer goes back to the queue, running handlers finish (or are
 *   aborted at the stop timeout), their acks go out.
 * - stopped: nothing left; every timer cleared, every transaction ended.
 *
 * stop() during starting (or before start) goes straight to draining: start()
 * then finds it and claims nothing.
 */
export type ConsumerState = 'created' | 'starting' | 'running' | 'draining' | 'stopped';

const NEXT: Record<ConsumerState, readonly ConsumerState[]> = {
  created: ['starting', 'draining'],
  starting: ['running', 'draining'],
  running: ['draining'],
  draining: ['stopped'],
  stopped: [],
};

export class ConsumerLifecycle {
  private current: ConsumerState = 'created';

  get state(): ConsumerState {
    return this.current;
  }

  /** True while handlers may start and claims may go out. */
  get running(): boolean {
    return this.current === 'running';
  }

  /** draining or stopped: every path that would start work checks this. */
  get stopping(): boolean {
    return this.current === 'draining' || this.current === 'stopped';
  }

  moveTo(next: ConsumerState): void {
    if (!NEXT[this.current].includes(next)) {
      throw new Error(`consumer cannot go from ${this.current} to ${next}`);
    }
    this.current = next;
  }
}
