import type { Peer } from '../peer';
import { now, percentile, sleep, waitUntil } from '../timing';

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

const WARM_UP = 10;

/**
 * Workload 4: one message every `intervalMs` into an idle consumer; latency
 * is from the send call to the handler's start (both in this process, so one
 * clock). The first few samples warm connections up and are dropped.
 */
export async function latency(
  peer: Peer,
  { count, intervalMs, concurrency }: { count: number; intervalMs: number; concurrency: number },
): Promise<LatencyResult> {
  await peer.clean();
  const samples: number[] = [];
  const stop = await peer.consume((body) => {
    if (body.n >= WARM_UP) samples.push(now() - body.t);
  }, concurrency);
  await sleep(500); // let the consumer go idle: every message must be a wake-up
  const start = now();
  const sends: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const due = start + n * intervalMs;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    sends.push(peer.sendOne({ n, t: now() }));
  }
  await Promise.all(sends);
  await waitUntil(() => samples.length >= count - WARM_UP, 60_000, `${peer.name} to deliver ${count} messages`);
  await stop();
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    samples: sorted.length,
  };
}
