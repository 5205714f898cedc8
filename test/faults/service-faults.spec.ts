import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../../apps/server/src/database/embedded-postgres';
import { request, sleep, until } from '../server/test-server';

const root = path.resolve(__dirname, '../..');
// Built once for the run by test/setup/global-setup.ts.
const main = path.join(root, 'apps/server/dist/cli/main.js');
const QUEUE = 'faulted';
const MESSAGES = 400;

/**
 * Issue 10 item 13: REST producers (retrying with dedupKey) and REST
 * consumers while the service is SIGKILLed and restarted, the database is
 * stopped immediately (SIGQUIT to the postmaster, what `pg_ctl stop -m
 * immediate` sends) and started again, and every backend is terminated. Its
 * own embedded PostgreSQL, so stopping it leaves the shared one alone.
 */
describe('REST service under faults (issue 10 item 13)', () => {
  let parent: string;
  let dataDir: string;
  let pgPort: number;
  let database: RunningPostgres | undefined;
  let server: ChildProcess | undefined;
  let port: number;
  let url: string;

  const startDatabase = async () => {
    database = await startEmbeddedPostgres({ dataDir, port: pgPort, persistent: true, database: 'faults' });
  };
  const startServer = () => {
    server = spawn(process.execPath, [main, 'serve'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${pgPort}/faults`,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
      },
      stdio: 'ignore',
    });
  };

  beforeAll(async () => {
    if (!existsSync(main)) throw new Error(`no ${main}`);
    parent = mkdtempSync(path.join(os.tmpdir(), 'postbox-faults-'));
    chmodSync(parent, 0o755);
    dataDir = path.join(parent, 'pg');
    pgPort = await freePort();
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    await startDatabase();
    startServer();
    await until(async () => (await request(url, 'GET', '/health').catch(() => null))?.status === 200, 60_000);
    expect((await request(url, 'POST', '/v1/queues', { body: { name: QUEUE } })).status).toBe(201);
  }, 300_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await database?.stop().catch(() => {});
    rmSync(parent, { recursive: true, force: true });
  }, 60_000);

  it('loses nothing, duplicates only unanswered acks, answers only 503 during outages', async () => {
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const acked = new Set<number>();
    const deliveries = new Map<number, number>();
    let unansweredAcks = 0;
    let staleAcks = 0;
    let producing = true;
    let consuming = true;

    const producer = async (from: number, to: number) => {
      for (let n = from; n < to; n++) {
        for (;;) {
          const sent = await request(url, 'POST', `/v1/queues/${QUEUE}/messages`, {
            body: { body: { n }, dedupKey: `m-${n}` },
          }).catch(() => null);
          if (sent) count(sent.status);
          if (sent?.status === 201) break;
          await sleep(50);
        }
      }
    };
    const consumer = async () => {
      while (consuming) {
        const got = await request(url, 'POST', `/v1/queues/${QUEUE}/receive`, {
          body: { max: 10, waitMs: 500, visibilityTimeoutMs: 3_000 },
        }).catch(() => null);
        if (got) count(got.status);
        if (got?.status !== 200) {
          await sleep(50);
          continue;
        }
        const messages: { receipt: string; body: { n: number } }[] = got.body.messages;
        if (messages.length === 0) continue;
        for (const m of messages) deliveries.set(m.body.n, (deliveries.get(m.body.n) ?? 0) + 1);
        const answer = await request(url, 'POST', `/v1/queues/${QUEUE}/ack`, {
          body: { receipts: messages.map((m) => m.receipt) },
        }).catch(() => null);
        if (answer) count(answer.status);
        if (answer?.status === 200) {
          const stale = new Set<string>(answer.body.stale);
          // A stale receipt: the lease ran out during an outage and the message went out again.
          staleAcks += stale.size;
          for (const m of messages) if (!stale.has(m.receipt)) acked.add(m.body.n);
        } else unansweredAcks += messages.length;
      }
    };

    const producers = [producer(0, MESSAGES / 2), producer(MESSAGES / 2, MESSAGES)];
    const consumers = [consumer(), consumer()];
    const healthy = () =>
      until(async () => (await request(url, 'GET', '/health').catch(() => null))?.status === 200, 60_000);

    // (a) the service SIGKILLed and restarted.
    await sleep(1_000);
    server?.kill('SIGKILL');
    await sleep(300);
    startServer();
    await healthy();

    // (b) the database stopped immediately, then started again.
    await sleep(1_000);
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGQUIT');
    await until(() => !existsSync(path.join(dataDir, 'postmaster.pid')), 30_000);
    await sleep(1_000);
    await startDatabase();
    const back = Date.now();
    await until(
      async () => (await request(url, 'GET', `/v1/queues/${QUEUE}`).catch(() => null))?.status === 200,
      30_000,
    );
    const answeringAfterMs = Date.now() - back;
    console.log(`service answering again ${answeringAfterMs} ms after the database was back`);

    // (c) every backend terminated.
    await sleep(1_000);
    const admin = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`);
    await admin.connect();
    const { rowCount: terminated } = await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = 'faults' and pid <> pg_backend_pid()`,
    );
    await admin.end();

    await Promise.all(producers);
    producing = false;
    // An ack whose answer was lost may still have deleted its messages: "done" is every message
    // delivered at least once and none left in the table.
    const check = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${pgPort}/faults`);
    await check.connect();
    const left = async () =>
      (await check.query('select count(*)::int as n from postbox.messages where queue = $1', [QUEUE])).rows[0].n;
    await until(async () => deliveries.size === MESSAGES && (await left()) === 0, 60_000);
    consuming = false;
    await Promise.all(consumers);

    const duplicates = [...deliveries.values()].reduce((sum, times) => sum + times - 1, 0);
    const fiveHundreds = [...statuses].filter(([status]) => status >= 500 && status !== 503);
    console.log(
      `faults: service SIGKILL, database stop -m immediate, ${terminated} backends terminated; ` +
        `${MESSAGES} sent, ${acked.size} acked, ${duplicates} duplicate deliveries, ${unansweredAcks} acks unanswered, ${staleAcks} stale; ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(producing).toBe(false);
    expect([...deliveries.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: MESSAGES }, (_, n) => n)); // nothing lost
    // Redelivered only where an ack never got through (no answer, or its lease had run out in an outage).
    expect(duplicates).toBeLessThanOrEqual(unansweredAcks + staleAcks);
    expect(fiveHundreds).toEqual([]); // 503 only
    // The database: exactly one row per dedupKey was ever enqueued, none left.
    const { rows } = await check.query('select count(*)::int as n from postbox.dead_letters where queue = $1', [QUEUE]);
    expect(await left()).toBe(0);
    expect(rows[0].n).toBe(0);
    await check.end();
  }, 180_000);
});
