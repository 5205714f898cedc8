import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import type { MetricRow, TargetRow } from '../report';
import { now, percentile } from '../timing';
import { startService } from './service-process';

export type MetricsScrapeResult =
  | { skipped: string }
  | {
      waitingSmall: number;
      waitingLarge: number;
      smallP50Ms: number;
      largeP50Ms: number;
      largeP99Ms: number;
      bytes: number;
    };

const SCRAPES = 30;
const QUEUE = 'bench-scrape';

async function scrapes(base: string): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) {
    const start = now();
    bytes = (await fetch(`${base}/metrics`).then((r) => r.text())).length;
    times.push(now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), bytes };
}

/**
 * Issue 15 item 3: a /metrics scrape, with the core's counters and
 * histograms filled (sends, receives, acks over REST), costs the same with
 * 10 messages waiting as with `waiting` (1M in the full run). The service is
 * the compiled one; the backlog is one generate_series insert, then vacuum
 * analyze; each figure is the median of 30 scrapes after a warm-up.
 */
export async function metricsScrape(
  peer: PostboxPeer,
  url: string,
  { waiting }: { waiting: number },
  log: (line: string) => void,
  row: (metric: string, unit: string, higherIsBetter: boolean) => MetricRow,
  targets: TargetRow[],
): Promise<MetricsScrapeResult> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await peer.clean();
    const service = await startService(url);
    if ('skipped' in service) return service;
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${service.base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.json() as Promise<Record<string, unknown>>);
      await post('/v1/queues', { name: QUEUE });
      // Fill the counters: 20 sent, 10 received and acked, 10 left waiting.
      await post(`/v1/queues/${QUEUE}/messages`, { messages: Array.from({ length: 20 }, (_, n) => ({ body: { n } })) });
      const got = (await post(`/v1/queues/${QUEUE}/receive`, { max: 10 })) as { messages: { receipt: string }[] };
      await post(`/v1/queues/${QUEUE}/ack`, { receipts: got.messages.map((m) => m.receipt) });
      await scrapes(service.base); // warm-up
      const small = await scrapes(service.base);
      log(`  /metrics with 10 waiting: p50 ${small.p50.toFixed(2)} ms (${small.bytes} bytes)`);
      await client.query(
        `insert into postbox.messages (queue, body) select $1, jsonb_build_object('n', g) from generate_series(1, $2) g`,
        [QUEUE, waiting - 10],
      );
      await client.query('vacuum analyze postbox.messages');
      await scrapes(service.base); // warm-up: the first stats call after the insert may count once
      const large = await scrapes(service.base);
      log(`  /metrics with ${waiting} waiting: p50 ${large.p50.toFixed(2)} ms, p99 ${large.p99.toFixed(2)} ms`);
      const at = waiting.toLocaleString('en-US');
      row('GET /metrics with core counters, 10 waiting, p50', 'ms', false).values.postbox = small.p50;
      row(`GET /metrics with core counters, ${at} waiting, p50`, 'ms', false).values.postbox = large.p50;
      const ratio = large.p50 / small.p50;
      targets.push({
        target: `a /metrics scrape at ${at} waiting costs what it does at 10 (≤ 2×)`,
        measured: `${large.p50.toFixed(2)} vs ${small.p50.toFixed(2)} ms (${ratio.toFixed(2)}×)`,
        met: ratio <= 2,
      });
      return {
        waitingSmall: 10,
        waitingLarge: waiting,
        smallP50Ms: small.p50,
        largeP50Ms: large.p50,
        largeP99Ms: large.p99,
        bytes: large.bytes,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await client.end();
  }
}
