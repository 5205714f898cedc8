import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import type { MetricRow, TargetRow } from '../report';
import { now, percentile } from '../timing';

export interface PurgeRun {
  messages: number;
  purged: number;
  purgeMs: number;
  sends: number;
  sendP50Ms: number;
  sendP99Ms: number;
  sendMaxMs: number;
}

export interface PurgeResult {
  /** Single sends to the queue with nothing else running. */
  idle: Omit<PurgeRun, 'purged' | 'purgeMs' | 'messages'>;
  /** postbox.purgeQueue: committed batches of 10,000. */
  batched: PurgeRun;
  /** The naive way, for comparison: one DELETE of every ready row in one transaction. */
  oneStatement: PurgeRun;
}

const QUEUE = 'bench-purge';
const PRODUCERS = 8;

async function fill(client: pg.Client, messages: number): Promise<void> {
  await client.query(
    `insert into postbox.messages (queue, body) select $1, jsonb_build_object('n', g) from generate_series(1, $2) g`,
    [QUEUE, messages],
  );
  await client.query('vacuum analyze postbox.messages');
}

/** PRODUCERS loops of single sends (the library's group commit) until `done()`; their latencies. */
async function sendWhile(peer: PostboxPeer, done: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (!done()) {
        const start = now();
        await peer.postbox.send(QUEUE, { body: { t: start } });
        latencies.push(now() - start);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

function summary(latencies: number[]) {
  return {
    sends: latencies.length,
    sendP50Ms: percentile(latencies, 50),
    sendP99Ms: percentile(latencies, 99),
    sendMaxMs: latencies[latencies.length - 1] ?? Number.NaN,
  };
}

async function purgeWhileSending(peer: PostboxPeer, purge: () => Promise<number>, messages: number): Promise<PurgeRun> {
  let finished = false;
  const started = now();
  const purging = purge().finally(() => {
    finished = true;
  });
  const latencies = await sendWhile(peer, () => finished);
  const purged = await purging;
  return { messages, purged, purgeMs: now() - started, ...summary(latencies) };
}

/**
 * Issue 13 item 2: purging `messages` ready messages must not hold up sends
 * to the same queue. Fills the queue (generate_series), then purges it while
 * 8 producers send single messages to it, and reports their latency; once
 * with postbox.purgeQueue (10k-row committed batches) and once as a single
 * DELETE, after a baseline of sends with nothing else running.
 */
export async function purge1m(
  peer: PostboxPeer,
  url: string,
  { messages }: { messages: number },
  log: (line: string) => void,
): Promise<PurgeResult> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await peer.clean();
    await peer.postbox.createQueue(QUEUE);
    const idleUntil = now() + 3000;
    const idle = summary(await sendWhile(peer, () => now() > idleUntil));
    log(`  idle sends: p50 ${idle.sendP50Ms.toFixed(1)} ms, p99 ${idle.sendP99Ms.toFixed(1)} ms`);
    await peer.clean(); // the purge below counts exactly the messages filled in

    await fill(client, messages);
    const batched = await purgeWhileSending(peer, () => peer.postbox.purgeQueue(QUEUE, ['ready']), messages);
    log(
      `  purgeQueue of ${batched.purged}: ${(batched.purgeMs / 1000).toFixed(1)} s, send p99 ${batched.sendP99Ms.toFixed(1)} ms`,
    );

    await peer.clean();
    await fill(client, messages);
    const oneStatement = await purgeWhileSending(
      peer,
      async () =>
        (await client.query('delete from postbox.messages where queue = $1 and available_at <= now()', [QUEUE]))
          .rowCount ?? 0,
      messages,
    );
    log(
      `  one DELETE of ${oneStatement.purged}: ${(oneStatement.purgeMs / 1000).toFixed(1)} s, send p99 ${oneStatement.sendP99Ms.toFixed(1)} ms`,
    );
    await peer.clean();
    return { idle, batched, oneStatement };
  } finally {
    await client.end();
  }
}

/** The rows and target this workload adds to the report (run.ts registers it in one line). */
export async function reportPurge1m(
  peer: PostboxPeer,
  url: string,
  quick: boolean,
  log: (line: string) => void,
  row: (metric: string, unit: string, higherIsBetter: boolean) => MetricRow,
  targets: TargetRow[],
  raw: Record<string, unknown>,
): Promise<void> {
  const messages = quick ? 100_000 : 1_000_000;
  const at = messages.toLocaleString('en-US');
  log(`purge of ${at} ready messages while sending to the same queue`);
  const r = await purge1m(peer, url, { messages }, log);
  raw.purge = r;
  row('single send p99, nothing else running', 'ms', false).values.postbox = r.idle.sendP99Ms;
  row(`single send p99 during purgeQueue of ${at}`, 'ms', false).values.postbox = r.batched.sendP99Ms;
  row(`single send max during purgeQueue of ${at}`, 'ms', false).values.postbox = r.batched.sendMaxMs;
  row(`purgeQueue of ${at} ready`, 'ms', false).values.postbox = r.batched.purgeMs;
  row(`single send p99 during one DELETE of ${at} (comparison)`, 'ms', false).values.postbox = r.oneStatement.sendP99Ms;
  targets.push({
    target: `sends not held up by a purge of ${at}: p99 under 100 ms`,
    measured: `${r.batched.sendP99Ms.toFixed(1)} ms`,
    met: r.batched.sendP99Ms < 100,
  });
}
