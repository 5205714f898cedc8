import type { BenchBody, Peer } from '../peer';
import { now, waitUntil } from '../timing';

export interface SingleSendsResult {
  /** Messages sent and handled per second, from the first send to the last handler call. */
  endToEndPerSecond: number;
  /** Send calls per second (producers only). */
  sendsPerSecond: number;
}

/**
 * Workload 3: `total` one-message transactions from `producers` concurrent
 * producers while a consumer runs; the clock stops when the consumer has
 * seen every message.
 */
export async function singleSends(
  peer: Peer,
  {
    total,
    producers,
    concurrency,
    send,
  }: {
    total: number;
    producers: number;
    concurrency: number;
    send?: (body: BenchBody) => Promise<void>;
  },
): Promise<SingleSendsResult> {
  await peer.clean();
  const sendOne = send ?? ((body: BenchBody) => peer.sendOne(body));
  let handled = 0;
  const stop = await peer.consume(() => {
    handled++;
  }, concurrency);
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (next < total) {
        const n = next++;
        await sendOne({ n, t: now() });
      }
    }),
  );
  const sent = now();
  await waitUntil(() => handled >= total, 120_000, `${peer.name} to handle ${total} single sends`);
  const end = now();
  await stop();
  return {
    endToEndPerSecond: total / ((end - start) / 1000),
    sendsPerSecond: total / ((sent - start) / 1000),
  };
}
