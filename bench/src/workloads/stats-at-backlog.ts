import { sql } from 'kysely';
import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { now, percentile, sleep } from '../timing';
import { startService } from './service-process';

export interface EndpointTiming {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export type StatsResult =
  | { skipped: string }
  | {
      waiting: number;
      /** The exact count the service ran on every call before (the queue_stats view), median of 20. */
      exactViewP50Ms: number;
      listQueuesP50Ms: number;
      /** The first call counts the large queue (later ones use the shared snapshot). */
      firstListQueuesMs: number;
      /** The service's first GET /v1/queues after it started (its one waiting count). */
      firstRestListMs: number;
      callers: number;
      seconds: number;
      /** Several callers polling at once, each endpoint in turn (GET /v1/queues is also the dashboard's data). */
      restList: EndpointTiming;
      restQueue: EndpointTiming;
      metrics: EndpointTiming;
      /** GET /health in the same rotation (no database): the floor the machine and the HTTP stack set. */
      health: EndpointTiming;
      /** Non-200 answers or socket errors while polling. */
      errors: number;
      /** The counts the service answered at the end, against the table's exact count then. */
      lastReady: number;
      exactReady: number;
    };

const CALLS = 20;
/** Small queues next to the large one: exact on every call, whatever the large one costs. */
const SMALL_QUEUES = 5;

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

function timing(times: number[]): EndpointTiming {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    calls: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * Item 9 of issue 10: queue stats, GET /v1/queues, GET /v1/queues/:q and
 * /metrics with `waiting` ready messages in one queue (one generate_series
 * insert, then vacuum analyze) and five small queues. "Before" is the exact
 * count of the queue_stats view, which every call ran until the large-queue
 * snapshot. Then `callers` clients poll the three endpoints in turn (20 ms
 * apart each, so several dashboards and a scraper at once, far more often
 * than their 2 s / 15 s) for `seconds` — longer than a snapshot's life, so
 * background recounts land inside the window — and p50/p99 per endpoint.
 */
export async function statsAtBacklog(
  peer: PostboxPeer,
  url: string,
  { waiting, callers = 5, seconds = 15 }: { waiting: number; callers?: number; seconds?: number },
  log: (line: string) => void,
): Promise<StatsResult> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await peer.clean();
    const queue = 'bench-stats';
    await peer.postbox.createQueue(queue);
    for (let i = 0; i < SMALL_QUEUES; i++) {
      await peer.postbox.createQueue(`bench-stats-small-${i}`);
      await peer.postbox.sendBatch(
        `bench-stats-small-${i}`,
        Array.from({ length: 10 * (i + 1) }, (_, n) => ({ body: { n } })),
      );
    }
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
      const firstRestListMs = now() - start;
      log(`  first GET /v1/queues in the service: ${firstRestListMs.toFixed(0)} ms`);
      const paths = ['/v1/queues', `/v1/queues/${queue}`, '/metrics', '/health'];
      const times: number[][] = paths.map(() => []);
      let errors = 0;
      const until = now() + seconds * 1000;
      const caller = async (offset: number) => {
        for (let i = offset; now() < until; i++) {
          const which = i % paths.length;
          const began = now();
          try {
            const res = await fetch(`${service.base}${paths[which]}`);
            await res.text();
            if (res.status !== 200) errors++;
          } catch {
            errors++;
          }
          times[which]?.push(now() - began);
          await sleep(20);
        }
      };
      await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)));
      const last = (await fetch(`${service.base}/v1/queues/${queue}`).then((r) => r.json())) as { ready: number };
      const { rows } = await client.query(
        'select count(*)::int as n from postbox.messages where queue = $1 and available_at <= now()',
        [queue],
      );
      type Four = [EndpointTiming, EndpointTiming, EndpointTiming, EndpointTiming];
      const [restList, restQueue, metrics, health] = times.map(timing) as Four;
      log(
        `  ${callers} callers for ${seconds} s: GET /v1/queues p50 ${restList.p50Ms.toFixed(1)} p99 ${restList.p99Ms.toFixed(1)} ms, ` +
          `GET /v1/queues/:q p50 ${restQueue.p50Ms.toFixed(1)} p99 ${restQueue.p99Ms.toFixed(1)} ms, ` +
          `/metrics p50 ${metrics.p50Ms.toFixed(1)} p99 ${metrics.p99Ms.toFixed(1)} ms, ` +
          `/health p50 ${health.p50Ms.toFixed(1)} p99 ${health.p99Ms.toFixed(1)} ms, ${errors} errors`,
      );
      return {
        waiting,
        exactViewP50Ms,
        listQueuesP50Ms,
        firstListQueuesMs,
        firstRestListMs,
        callers,
        seconds,
        restList,
        restQueue,
        metrics,
        health,
        errors,
        lastReady: last.ready,
        exactReady: rows[0].n,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await client.end();
  }
}
