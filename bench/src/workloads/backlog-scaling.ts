import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { now, percentile } from '../timing';

export interface BacklogPoint {
  waiting: number;
  claimP50Ms: number;
  claimMeanMs: number;
}

const ROUNDS = 5;

/**
 * Workload 7: the latency of one claim of 10 (followed by its ack, as a
 * consumer does) from a queue with `waiting` ready messages, for each size.
 * Every size gets its own queue in the same table, loaded with one
 * generate_series insert (the setup, not the thing measured), and the sizes
 * are measured in alternating rounds, so a load spike on a shared machine
 * hits all of them alike. With an index matching the claim's where + order
 * by, a claim reads ten index entries whatever the depth; a sort (or a
 * bitmap scan of every waiting row) would grow with it.
 */
export async function backlogScaling(
  peer: PostboxPeer,
  { sizes, claims }: { sizes: number[]; claims: number },
): Promise<BacklogPoint[]> {
  const client = new pg.Client(peer.url);
  await client.connect();
  try {
    await peer.clean();
    const queues = sizes.map((waiting) => ({ waiting, queue: `bench-backlog-${waiting}`, times: [] as number[] }));
    for (const { waiting, queue } of queues) {
      await peer.postbox.createQueue(queue);
      await client.query(
        `insert into postbox.messages (queue, body)
         select $1, jsonb_build_object('n', g, 't', 0) from generate_series(1, $2) g`,
        [queue, waiting],
      );
    }
    await client.query('vacuum analyze postbox.messages');
    const perRound = Math.ceil(claims / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const { queue, times } of queues) {
        for (let i = 0; i < perRound + 5; i++) {
          const start = now();
          const messages = await peer.postbox.receive(queue, { max: 10 });
          const elapsed = now() - start;
          await peer.postbox.ack(
            queue,
            messages.map((m) => m.receipt),
          );
          if (i >= 5) times.push(elapsed); // the first few warm the cache for this queue
        }
      }
    }
    return queues.map(({ waiting, times }) => {
      const sorted = times.sort((a, b) => a - b);
      return {
        waiting,
        claimP50Ms: percentile(sorted, 50),
        claimMeanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      };
    });
  } finally {
    await client.end();
  }
}
