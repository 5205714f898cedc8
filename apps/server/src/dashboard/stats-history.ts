import type { TransactionCount } from 'postbox';

/** One queue's depth in a sample. */
export interface QueueSample {
  name: string;
  ready: number;
  delayed: number;
  inFlight: number;
  dead: number;
  oldestReadyAgeMs: number | null;
  paused: boolean;
}

/** Messages per second over the interval that ended at this sample (whole database; null on the first). */
export interface Rates {
  sent: number;
  acked: number;
  deadLettered: number;
}

/** What the sampler read at one instant. */
export interface Sample {
  at: number;
  queues: QueueSample[];
  rates: Rates | null;
  transactions: TransactionCount[];
  /** Set when the database could not be read: the sample carries no counts. */
  error?: string;
}

/**
 * The last `capacity` samples, oldest first, in a ring: memory is bounded
 * (720 samples × 100 queues ≈ 5 MB at most) and a reload of the dashboard
 * gets the last hour back from here instead of from the database.
 */
export class StatsHistory {
  private readonly ring: Sample[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  push(sample: Sample): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(sample);
      return;
    }
    this.ring[this.start] = sample;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  samples(): Sample[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  latest(): Sample | undefined {
    return this.ring.length === 0 ? undefined : this.ring[(this.start + this.ring.length - 1) % this.ring.length];
  }
}
