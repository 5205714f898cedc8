import type { ReceivedMessage } from '../messages/message';

/** Counters for tests, logs and metrics (Consumer.stats). */
export interface ConsumerStats {
  /** Claim statements sent. */
  claims: number;
  /** Messages those claims returned. */
  claimed: number;
  /** Handlers started. */
  started: number;
  acked: number;
  /** Failed deliveries written back: retried + deadLettered. */
  nacked: number;
  retried: number;
  deadLettered: number;
  /** Claimed but never started: given back on stop. */
  released: number;
}

/**
 * THE one place where a consumer's messages change hands: every claim,
 * handler start, ack, retry, dead-letter and release of both claim modes is
 * reported here, and only here, after it happened (acks and nacks once their
 * statement returned). Metrics hook in by extending this class; the run
 * loop and the claim sources only call it.
 */
export class DeliveryEvents {
  readonly stats: ConsumerStats = {
    claims: 0,
    claimed: 0,
    started: 0,
    acked: 0,
    nacked: 0,
    retried: 0,
    deadLettered: 0,
    released: 0,
  };

  /** One claim statement returned `count` messages; `startedAt`: Date.now() when it was sent (metrics). */
  claimed(count: number, _startedAt?: number): void {
    this.stats.claims++;
    this.stats.claimed += count;
  }

  /** A handler is starting on the message. */
  delivered(_message: ReceivedMessage): void {
    this.stats.started++;
  }

  /** A handler finished; `error` is its throw (the message will be nacked). */
  handled(_message: ReceivedMessage, _error?: unknown): void {}

  acked(count: number): void {
    this.stats.acked += count;
  }

  /** Failed deliveries written back: `retried` come back after their backoff, `deadLettered` are dead. */
  nacked(retried: number, deadLettered: number): void {
    this.stats.retried += retried;
    this.stats.deadLettered += deadLettered;
    this.stats.nacked += retried + deadLettered;
  }

  released(count: number): void {
    this.stats.released += count;
  }
}
