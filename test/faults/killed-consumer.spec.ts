import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { sleep, until } from '../setup/until';

const fixture = path.join(__dirname, '..', 'fixtures', 'consumer-process.ts');

function startConsumerProcess(url: string, queue: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: url, QUEUE: queue, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`consumer process exited early with ${code}`)));
  });
}

describe('a consumer process killed mid-batch', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await useTestDatabase();
  });

  /** A queue of 200 messages and an empty `deliveries` table, where the child records each handler start. */
  async function setUp(queue: string, visibilityTimeoutMs: number) {
    const postbox = await db.postbox();
    const client = await db.client();
    await client.query('create table if not exists deliveries (message_id bigint not null, pid int not null)');
    await client.query('truncate deliveries');
    await postbox.createQueue(queue, { visibilityTimeoutMs });
    const { ids } = await postbox.sendBatch(
      queue,
      Array.from({ length: 200 }, (_, i) => ({ body: i })),
    );
    return { postbox, client, ids };
  }

  it('loses nothing: its claimed, buffered and running messages reappear after the lease', async () => {
    const { postbox, client, ids } = await setUp('victim', 1_000);

    const child = await startConsumerProcess(db.url, 'victim', { HOLD: '1', VISIBILITY_MS: '1000' });
    // Wait until its handlers are running (5) with more claimed in its buffer.
    await until(async () => (await client.query('select count(*)::int as n from deliveries')).rows[0].n >= 5);
    const inFlightAtKill = (await postbox.getQueueStats('victim')).inFlight;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(inFlightAtKill).toBeGreaterThanOrEqual(5);

    const handled = new Map<string, number>();
    const consumer = await postbox.consume('victim', (m) => void handled.set(m.id, m.attempts), {
      concurrency: 10,
      batchSize: 50,
      pollIntervalMs: 100,
    });
    const deadline = Date.now() + 60_000;
    while (handled.size < ids.length && Date.now() < deadline) await sleep(50);
    await consumer.stop();
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    // The ones the dead process held came back as second attempts.
    const { rows } = await client.query('select message_id::text as id from deliveries');
    for (const { id } of rows) expect(handled.get(id)).toBe(2);
    const stats = await postbox.getQueueStats('victim');
    expect(stats.ready + stats.inFlight + stats.delayed + stats.dead).toBe(0);
  });

  it("in lock mode: the killed process's locks die with it, so its messages come back at once, no attempt counted", async () => {
    // A 10-minute lease: only the end of the locks can bring them back within the test.
    const { postbox, client, ids } = await setUp('locked-victim', 600_000);
    const child = await startConsumerProcess(db.url, 'locked-victim', { HOLD: '1', CLAIM_MODE: 'lock' });
    await until(async () => (await client.query('select count(*)::int as n from deliveries')).rows[0].n >= 5);
    // Held by row locks, not leases: nothing was written to the rows.
    const { rows: written } = await client.query(
      'select count(*)::int as n from postbox.messages where lease_token is not null or attempts > 0',
    );
    expect(written[0].n).toBe(0);
    const { rows: locked } = await client.query(
      `select count(*)::int as n from postbox.messages m
       where not exists (select 1 from postbox.messages l where l.id = m.id for update skip locked)`,
    );
    expect(locked[0].n).toBeGreaterThanOrEqual(20);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const handled = new Map<string, number>();
    const consumer = await postbox.consume('locked-victim', (m) => void handled.set(m.id, m.attempts), {
      concurrency: 10,
      batchSize: 50,
      claimMode: 'lock',
    });
    await until(() => handled.size === ids.length, { what: 'all 200 handled after the kill' });
    await consumer.stop();
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    // Lock mode counts failures, not deliveries: the dead process's messages are first attempts again.
    expect(new Set(handled.values())).toEqual(new Set([1]));
    const { rows: left } = await client.query('select count(*)::int as n from postbox.messages');
    expect(left[0].n).toBe(0);
  });
});
