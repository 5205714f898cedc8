import { sql } from 'kysely';
import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { now, percentile } from '../timing';
import { startService } from './service-process';

export type StatsResult =
  | { skipped: string }
  | {
      waiting: number;
      /** The exact count the service ran on every call before (the queue_stats view), median of 20. */
      exactViewP50Ms: number;
      listQueuesP50Ms: number;
      restListP50Ms: number;
      metricsP50Ms: number;
      /** The first call counts the large queue (later ones use the shared snapshot). */
      firstListQueuesMs: number;
    };

const CALLS = 20;

async function median(call: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = now();
    await call();
    times.push(now() - start);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

/**
 * Item 9 of issue 10: queue stats, GET /v1/queues and /metrics with
 * `waiting` ready messages (one generate_series insert, then vacuum analyze);
 * each the median of 20 calls. "Before" is the exact count of the
 * queue_stats view, which every call ran until the large-queue snapshot.
 */
export async function statsAtBacklog(
  peer: PostboxPeer,
  url: string,
  { waiting }: { waiting: number },
  log: (line: string) => void,
): Promise<StatsResult> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await peer.clean();
    const queue = 'bench-stats';
    await peer.postbox.createQueue(queue);
    await client.query(
      `insert into postbox.messages (queue, body) select $1, jsonb_build_object('n', g) from generate_series(1, $2) g`,
      [queue, waiting],
    );
    await client.query('vacuum analyze postbox.messages');
    const exactViewP50Ms = await median(() =>
      sql`select * from postbox.queue_stats where queue = ${queue}`.execute(peer.postbox.db),
    );
    let start = now();
    await peer.postbox.listQueues();
    const firstListQueuesMs = now() - start;
    const listQueuesP50Ms = await median(() => peer.postbox.listQueues());
    const service = await startService(url);
    if ('skipped' in service) return service;
    try {
      start = now();
      await fetch(`${service.base}/v1/queues`).then((r) => r.text()); // its first count
      log(`  first GET /v1/queues in the service: ${(now() - start).toFixed(0)} ms`);
      const restListP50Ms = await median(() => fetch(`${service.base}/v1/queues`).then((r) => r.text()));
      const metricsP50Ms = await median(() => fetch(`${service.base}/metrics`).then((r) => r.text()));
      return { waiting, exactViewP50Ms, listQueuesP50Ms, restListP50Ms, metricsP50Ms, firstListQueuesMs };
    } finally {
      await service.stop();
    }
  } finally {
    await client.end();
  }
}
