import http from 'node:http';
import pg from 'pg';
import type { PostboxPeer } from '../peers/postbox-peer';
import { now, percentile, sleep } from '../timing';
import { startService } from './service-process';

export type LongPollResult =
  | { skipped: string }
  | {
      waiters: number;
      /** Receives that failed (socket error or non-200) while holding the waiters. */
      failed: number;
      /** Why they failed: HTTP status or socket error code, with counts. */
      failures: Record<string, number>;
      /** Transactions/s while the polls arrived (each arrival's own claim and queue lookup). */
      arrivalTransactionsPerSecond: number;
      idleTransactionsPerSecond: number;
      wakeups: number;
      wakeupP50Ms: number;
      wakeupP99Ms: number;
    };

interface Answer {
  status: number | string;
  body: { messages?: { body: { k?: number } }[] } | null;
}

const QUEUE = 'bench-waiters';
/** Longer than waitMs: every waiter's poll times out and is re-issued once inside the window. */
const IDLE_SECONDS = 32;

function post(agent: http.Agent, base: string, path: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function committed(client: pg.Client): Promise<number> {
  const { rows } = await client.query('select xact_commit from pg_stat_database where datname = current_database()');
  return Number(rows[0].xact_commit);
}

/**
 * Item 8 of issue 10: `waiters` idle long polls (waitMs 30 s, each on its own
 * socket, re-issued when answered) held by one service process; the
 * database's transactions/s while they all wait (xact_commit over 32 s, so
 * every poll times out and is re-issued once inside the window), then
 * wake-up latency with them all waiting: one message at a time is sent over
 * REST and timed until a waiter's receive answers with it.
 */
export async function longPollWaiters(
  peer: PostboxPeer,
  url: string,
  {
    waiters,
    wakeups,
    idleSeconds = IDLE_SECONDS,
  }: {
    waiters: number;
    wakeups: number /** --quick: shorter than waitMs, so no re-issue is counted. */;
    idleSeconds?: number;
  },
  log: (line: string) => void,
): Promise<LongPollResult> {
  await peer.clean();
  await peer.postbox.createQueue(QUEUE);
  const service = await startService(url);
  if ('skipped' in service) return service;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const sendAgent = new http.Agent({ keepAlive: false });
  const client = new pg.Client(url);
  client.on('error', (error) => log(`  bench connection lost: ${error.message}`));
  await client.connect();
  let running = true;
  let failed = 0;
  const failures: Record<string, number> = {};
  const fail = (reason: string) => {
    failed++;
    failures[reason] = (failures[reason] ?? 0) + 1;
  };
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  const loop = async () => {
    while (running) {
      try {
        const answer = await post(agent, service.base, `/v1/queues/${QUEUE}/receive`, { waitMs: 30_000 });
        if (answer.status !== 200) {
          fail(String(answer.status));
          await sleep(100);
        }
        for (const message of answer.body?.messages ?? []) {
          const at = sentAt.get(String(message.body.k));
          if (at !== undefined) latencies.push(now() - at);
        }
      } catch (error) {
        fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
        await sleep(100);
      }
    }
  };
  try {
    const started = now();
    const atStart = await committed(client);
    const loops: Promise<void>[] = [];
    // In steps of 500: a burst of 10,000 connects overflows the listen backlog (511) into SYN retries.
    for (let i = 0; i < waiters; i += 500) {
      for (let j = i; j < Math.min(waiters, i + 500); j++) loops.push(loop());
      await sleep(50);
    }
    log(`  ${waiters} long polls issued; settling (failures so far ${JSON.stringify(failures)})`);
    // Each poll's arrival costs its own claims (claim, queue lookup, claim: ~30,000 transactions for
    // 10,000 through a pool of 10); the idle window starts once those are through.
    for (let settled = 0, last = await committed(client); settled < 2 && now() < started + 25_000; ) {
      await sleep(1_000);
      const current = await committed(client);
      settled = current - last < 50 ? settled + 1 : 0;
      last = current;
    }
    const before = await committed(client);
    const arrivalTransactionsPerSecond = (before - atStart) / ((now() - started) / 1000);
    await sleep(idleSeconds * 1000);
    const idleTransactionsPerSecond = ((await committed(client)) - before) / idleSeconds;
    log(
      `  idle: ${idleTransactionsPerSecond.toFixed(1)} transactions/s with ${waiters} waiting ` +
        `(arrivals: ${arrivalTransactionsPerSecond.toFixed(0)}/s); failures so far ${JSON.stringify(failures)}`,
    );
    for (let k = 0; k < wakeups; k++) {
      sentAt.set(String(k), now());
      // A fresh socket per send (no keep-alive reuse race); a failed send is counted and retried.
      for (;;) {
        const sent = await post(sendAgent, service.base, `/v1/queues/${QUEUE}/messages`, { body: { k } }).catch(
          (error: NodeJS.ErrnoException) => ({ status: error.code ?? 'error', body: null }),
        );
        if (sent.status === 201) break;
        fail(`send ${sent.status}`);
        await sleep(50);
      }
      await sleep(20);
    }
    const deadline = now() + 10_000;
    while (latencies.length < wakeups && now() < deadline) await sleep(20);
    const failedWhileHeld = failed;
    if (failed > 0) log(`  service stderr (tail): ${service.stderr().slice(-1500)}`);
    running = false;
    await service.stop(); // answers every waiting poll
    await Promise.all(loops);
    const sorted = latencies.sort((a, b) => a - b);
    return {
      waiters,
      failed: failedWhileHeld,
      failures,
      arrivalTransactionsPerSecond,
      idleTransactionsPerSecond,
      wakeups: latencies.length,
      wakeupP50Ms: percentile(sorted, 50),
      wakeupP99Ms: percentile(sorted, 99),
    };
  } finally {
    running = false;
    await service.stop();
    agent.destroy();
    await client.end();
  }
}
