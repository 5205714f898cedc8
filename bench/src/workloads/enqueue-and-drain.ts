import type { Peer } from '../peer';
import { bodies, now, sleep, waitUntil } from '../timing';

export interface EnqueueAndDrainResult {
  enqueuePerSecond: number;
  drainPerSecond: number;
  /** Messages left after the drain (must be 0; a peer that left any did not finish). */
  left: number;
}

/**
 * Workloads 1 and 2: `total` messages enqueued by one producer in calls of
 * `batch`, then that backlog consumed with `concurrency` handlers in one
 * process. The drain rate runs from the first handler call to the last, so a
 * peer's start-up time is not counted against it.
 */
export async function enqueueAndDrain(
  peer: Peer,
  { total, batch, concurrency }: { total: number; batch: number; concurrency: number },
): Promise<EnqueueAndDrainResult> {
  await peer.clean();
  const all = bodies(total);
  const enqueueStart = now();
  for (let i = 0; i < total; i += batch) await peer.enqueueBatch(all.slice(i, i + batch));
  const enqueueSeconds = (now() - enqueueStart) / 1000;

  let handled = 0;
  let first = 0;
  let last = 0;
  const stop = await peer.consume(() => {
    handled++;
    if (handled === 1) first = now();
    if (handled === total) last = now();
  }, concurrency);
  await waitUntil(() => handled >= total, 300_000, `${peer.name} to drain ${total} messages`);
  await stop();
  // Some peers complete asynchronously (pg-boss does not await its complete
  // call): give the last completions a moment before counting leftovers.
  let left = await peer.remaining();
  for (let i = 0; i < 50 && left > 0; i++) {
    await sleep(200);
    left = await peer.remaining();
  }
  return {
    enqueuePerSecond: total / enqueueSeconds,
    drainPerSecond: (total - 1) / ((last - first) / 1000),
    left,
  };
}
