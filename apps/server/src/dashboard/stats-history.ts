import type { TopicWithGroups, TransactionCount } from 'postbox';

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

/** A queue's settings as GET /v1/queues has them, without the counts. */
export type QueueSettingsSample = { name: string } & Record<string, unknown>;

/**
 * The queues' settings and the topics with their groups: what the pages need
 * besides depth, read with it so that no viewer asks the database for them.
 * Only the latest sample holds it (history stays small).
 */
export interface Catalog {
  queues: QueueSettingsSample[];
  topics: TopicWithGroups[];
}

/** What the sampler read at one instant. */
export interface Sample {
  at: number;
  queues: QueueSample[];
  rates: Rates | null;
  transactions: TransactionCount[];
  catalog?: Catalog;
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
    const previous = this.latest();
    if (previous) delete previous.catalog;
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
