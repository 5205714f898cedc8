import { nameMatches } from 'postbox';
import type { Sample } from './stats-history';

/** The time span the buckets cover: from the first kept sample to now. */
export function sparklineSpan(samples: readonly Sample[], now = Date.now()): { from: number; to: number } {
  return { from: samples.find((s) => !s.error)?.at ?? now, to: now };
}

/** Points per line: one a minute over the kept hour, small enough to send for every queue at once. */
export const SPARKLINE_POINTS = 60;

/**
 * Each visible queue's waiting messages (ready + delayed) over the kept
 * history, as SPARKLINE_POINTS values, the last sample of each time bucket
 * (null where the queue did not exist yet). Read from memory.
 */
export function sparklines(
  samples: readonly Sample[],
  glob: string | null,
  now = Date.now(),
): Record<string, (number | null)[]> {
  const first = samples.find((s) => !s.error);
  const lines: Record<string, (number | null)[]> = {};
  if (!first) return lines;
  const span = Math.max(now - first.at, 1);
  for (const sample of samples) {
    if (sample.error) continue;
    const bucket = Math.min(SPARKLINE_POINTS - 1, Math.floor(((sample.at - first.at) / span) * SPARKLINE_POINTS));
    for (const q of sample.queues) {
      if (glob !== null && !nameMatches(glob, q.name)) continue;
      lines[q.name] ??= new Array(SPARKLINE_POINTS).fill(null);
      (lines[q.name] as (number | null)[])[bucket] = q.ready + q.delayed;
    }
  }
  return lines;
}
