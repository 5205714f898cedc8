import { nameMatches, type TransactionCount } from 'postbox';
import { type KeyPrincipal, seesAllNames } from '../auth/key-principal';
import type { Catalog, QueueSample, Sample } from './stats-history';

/** One point of a chart: depth summed over the queues shown, rates when the key sees every queue. */
export interface ChartPoint {
  at: number;
  ready: number;
  delayed: number;
  inFlight: number;
  dead: number;
  /** The oldest ready message across the queues shown. */
  oldestReadyAgeMs: number | null;
  sent?: number;
  acked?: number;
  deadLettered?: number;
}

/** A sample as one viewer may see it. */
export interface VisibleSample {
  at: number;
  queues: QueueSample[];
  transactions: TransactionCount[];
  total: ChartPoint;
  /** False for a names-limited key: the database-wide rates are not shown to it. */
  ratesShown: boolean;
  catalog?: Catalog;
  error?: string;
}

/** null: every name. */
export function visibleGlob(principal: KeyPrincipal | null | undefined): string | null {
  return seesAllNames(principal) ? null : (principal?.names ?? null);
}

function sum(at: number, queues: readonly QueueSample[]): ChartPoint {
  const point: ChartPoint = { at, ready: 0, delayed: 0, inFlight: 0, dead: 0, oldestReadyAgeMs: null };
  for (const q of queues) {
    point.ready += q.ready;
    point.delayed += q.delayed;
    point.inFlight += q.inFlight;
    point.dead += q.dead;
    if (q.oldestReadyAgeMs !== null) point.oldestReadyAgeMs = Math.max(point.oldestReadyAgeMs ?? 0, q.oldestReadyAgeMs);
  }
  return point;
}

/**
 * Drops what a names-limited key may not see: other queues, their half
 * messages, and the database-wide rates (they would tell how busy the
 * queues it cannot see are).
 */
export function visibleSample(sample: Sample, glob: string | null): VisibleSample {
  const queues = glob === null ? sample.queues : sample.queues.filter((q) => nameMatches(glob, q.name));
  const transactions =
    glob === null ? sample.transactions : sample.transactions.filter((t) => nameMatches(glob, t.name));
  const total = sum(sample.at, queues);
  const catalog = sample.catalog && (glob === null ? sample.catalog : visibleCatalog(sample.catalog, glob));
  if (glob === null && sample.rates) Object.assign(total, sample.rates);
  return {
    at: sample.at,
    queues,
    transactions,
    total,
    ratesShown: glob === null,
    ...(catalog ? { catalog } : {}),
    ...(sample.error ? { error: sample.error } : {}),
  };
}

/** The queues a key covers, and its topics with the groups whose queues it covers. */
function visibleCatalog(catalog: Catalog, glob: string): Catalog {
  return {
    queues: catalog.queues.filter((q) => nameMatches(glob, q.name)),
    topics: catalog.topics
      .filter((t) => nameMatches(glob, t.name))
      .map((t) => ({ ...t, groups: t.groups.filter((g) => nameMatches(glob, g.queue)) })),
  };
}

/** One queue's chart point in a sample; undefined when the queue did not exist then. */
export function queuePoint(sample: Sample, queue: string): ChartPoint | undefined {
  const q = sample.queues.find((candidate) => candidate.name === queue);
  return q && sum(sample.at, [q]);
}
