import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Issue 10 item 13: REST producers (retrying with dedupKey) and REST
 * consumers while the service is SIGKILLed and restarted, the database is
 * stopped immediately (SIGQUIT to the postmaster, what `pg_ctl stop -m
 * immediate` sends) and started again, its postmaster is SIGKILLed (crash
 * recovery on the next start), and every backend is terminated. Its own
 * embedded PostgreSQL, so stopping it leaves the shared one alone.
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
    let outage = false;
    let outageAnswers = 0;
    const outageStatuses = new Map<number, number>();
    const count = (status: number) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (!outage) return;
      outageAnswers++;
      outageStatuses.set(status, (outageStatuses.get(status) ?? 0) + 1);
    };
    /** The id each send of n was answered with: a retry with the same dedupKey must get the same one. */
    const sentIds = new Map<number, Set<string>>();
    const deliveredIds = new Map<number, Set<string>>();
    const acked = new Set<number>();
    const deliveries = new Map<number, number>();
    let retriedSends = 0;
    let unansweredAcks = 0;
    let staleAcks = 0;
    let producing = true;
    let consuming = true;
    const add = (map: Map<number, Set<string>>, n: number, id: string) => map.set(n, (map.get(n) ?? new Set()).add(id));

    // Paced (one send per ~20 ms each), so every fault below lands while producers are still sending.
    const producer = async (first: number, step: number) => {
      for (let n = first; producing; n += step) {
        for (let attempt = 0; ; attempt++) {
          if (attempt > 0) retriedSends++;
          const answer = await request(url, 'POST', `/v1/queues/${QUEUE}/messages`, {
            body: { body: { n }, dedupKey: `m-${n}` },
          }).catch(() => null);
          if (answer) count(answer.status);
          if (answer?.status === 201) {
            add(sentIds, n, answer.body.ids[0]);
            break;
          }
          await sleep(50);
        }
        await sleep(20);
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
        const messages: { id: string; receipt: string; body: { n: number } }[] = got.body.messages;
        if (messages.length === 0) continue;
        for (const m of messages) {
          deliveries.set(m.body.n, (deliveries.get(m.body.n) ?? 0) + 1);
          add(deliveredIds, m.body.n, m.id);
        }
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

    const producers = [producer(0, 2), producer(1, 2)];
    const consumers = [consumer(), consumer()];
    const healthy = () =>
      until(async () => (await request(url, 'GET', '/health').catch(() => null))?.status === 200, 60_000);
    const pidFile = path.join(dataDir, 'postmaster.pid');
    const postmasterPid = () => Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    /** Starts the database again and times the service until it answers a database-backed request. */
    const restartDatabase = async () => {
      await sleep(1_000);
      await startDatabase();
      const back = Date.now();
      await until(
        async () => (await request(url, 'GET', `/v1/queues/${QUEUE}`).catch(() => null))?.status === 200,
        30_000,
      );
      outage = false;
      return Date.now() - back;
    };

    // (a) the service SIGKILLed and restarted.
    await sleep(1_500);
    server?.kill('SIGKILL');
    await sleep(300);
    startServer();
    await healthy();

    // (b) the database stopped immediately (SIGQUIT to the postmaster: `pg_ctl stop -m immediate`), then started.
    await sleep(1_500);
    outage = true;
    process.kill(postmasterPid(), 'SIGQUIT');
    await until(() => !existsSync(pidFile), 30_000);
    const afterImmediateStopMs = await restartDatabase();

    // (c) the postmaster SIGKILLed: no shutdown at all, postmaster.pid left behind, its backends
    // orphaned until they notice; the next start runs crash recovery.
    await sleep(1_500);
    outage = true;
    const postmaster = postmasterPid();
    const children = childrenOf(postmaster);
    process.kill(postmaster, 'SIGKILL');
    // A new postmaster refuses the data directory while an old backend still holds its shared memory.
    await until(() => [postmaster, ...children].every((pid) => !alive(pid)), 30_000);
    const afterPostmasterKillMs = await restartDatabase();

    // (d) every backend terminated.
    await sleep(1_500);
    const admin = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`);
    await admin.connect();
    const { rowCount: terminated } = await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = 'faults' and pid <> pg_backend_pid()`,
    );
    await admin.end();

    await sleep(1_000);
    producing = false;
    await Promise.all(producers);
    // An ack whose answer was lost may still have deleted its messages: "done" is every message
    // delivered at least once and none left in the table.
    const check = new pg.Client(`postgres://postgres:postgres@127.0.0.1:${pgPort}/faults`);
    check.on('error', () => {}); // the database is stopped in afterAll
    await check.connect();
    const left = async () =>
      (await check.query('select count(*)::int as n from postbox.messages where queue = $1', [QUEUE])).rows[0].n;
    // Each producer stops at its own pace: the numbers sent are the ones answered 201, not 0..max.
    const all = [...sentIds.keys()].sort((a, b) => a - b);
    const sent = all.length;
    await until(async () => all.every((n) => deliveries.has(n)) && (await left()) === 0, 60_000).catch(
      async (error) => {
        const missing = all.filter((n) => !deliveries.has(n));
        throw new Error(
          `${error.message}: ${missing.length} of ${sent} never delivered (${missing.slice(0, 10)}), ${await left()} left`,
        );
      },
    );
    consuming = false;
    await Promise.all(consumers);

    const duplicates = [...deliveries.values()].reduce((sum, times) => sum + times - 1, 0);
    console.log(
      `faults injected: 4 (service SIGKILL, database stop -m immediate, postmaster SIGKILL, ${terminated} backends terminated); ` +
        `${sent} sent (${retriedSends} send attempts retried), ${acked.size} acked, 0 lost, ${duplicates} duplicate deliveries ` +
        `(${unansweredAcks} acks unanswered, ${staleAcks} stale); answering again ${afterImmediateStopMs} ms after ` +
        `an immediate stop, ${afterPostmasterKillMs} ms after a postmaster SIGKILL; ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}, during outages ${JSON.stringify(Object.fromEntries(outageStatuses))}`,
    );
    expect(sent).toBeGreaterThan(100); // producers ran through every fault
    expect([...deliveries.keys()].sort((a, b) => a - b)).toEqual(all); // nothing lost
    // One message per dedupKey: every retry of a send got the first id, and that id is what was delivered.
    expect(all.filter((n) => sentIds.get(n)?.size !== 1)).toEqual([]);
    expect(all.filter((n) => [...(deliveredIds.get(n) ?? [])].join() !== [...(sentIds.get(n) ?? [])].join())).toEqual(
      [],
    );
    // Redelivered only where an ack never got through (no answer, or its lease had run out in an outage).
    expect(duplicates).toBeLessThanOrEqual(unansweredAcks + staleAcks);
    // No 5xx but 503, and the outages were seen as 503s (not hangs or dropped connections only).
    expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);
    expect(outageStatuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(outageAnswers).toBeGreaterThan(0);
    // The bound: the pool keeps no broken connection and has no back-off, so the first
    // request after the database is back already succeeds (measured 20-200 ms).
    expect(afterImmediateStopMs).toBeLessThan(2_000);
    expect(afterPostmasterKillMs).toBeLessThan(2_000);
    const { rows } = await check.query('select count(*)::int as n from postbox.dead_letters where queue = $1', [QUEUE]);
    expect(await left()).toBe(0);
    expect(rows[0].n).toBe(0);
    await check.end();
  }, 180_000);
});

/** Processes whose parent is `pid` (the postmaster's backends and auxiliary processes), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // Field 4 of /proc/<pid>/stat, after the parenthesised command name.
        return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie has exited
  } catch {
    return false;
  }
}
