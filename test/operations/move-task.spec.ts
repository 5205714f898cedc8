import { fork } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

const fixture = path.join(__dirname, 'fixtures', 'move-process.ts');

/** Dead-letters `count` messages of `queue` (maxAttempts 1) into its deadLetterQueue. */
async function deadLetter(postbox: Postbox, queue: string, count: number, prefix = queue) {
  for (let sent = 0; sent < count; sent += 500) {
    const n = Math.min(500, count - sent);
    await postbox.sendBatch(
      queue,
      Array.from({ length: n }, (_, i) => ({ body: `${prefix}-${sent + i}`, headers: { trace: `t${sent + i}` } })),
    );
    const claimed = await postbox.receive(queue, { max: n });
    await postbox.nack(
      queue,
      claimed.map((m) => ({ receipt: m.receipt, error: 'card declined' })),
    );
  }
}

describe('moving dead letters back (message move task)', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    client = await db.client();
  });

  const waitDone = async (taskId: string) => {
    await until(async () => (await postbox.getTask(taskId)).state !== 'running', { what: 'task finished' });
    return postbox.getTask(taskId);
  };

  it('moves each dead letter back to the queue it came from, attempts reset, dead-letter headers dropped', async () => {
    await postbox.createQueue('pay.dlq');
    await postbox.createQueue('pay', { maxAttempts: 1, deadLetterQueue: 'pay.dlq' });
    await postbox.createQueue('ship', { maxAttempts: 1, deadLetterQueue: 'pay.dlq' });
    await deadLetter(postbox, 'pay', 30);
    await deadLetter(postbox, 'ship', 20);
    await postbox.send('pay.dlq', { body: 'not a dead letter' }); // sent there directly: stays
    const [held] = await postbox.receive('pay.dlq'); // in flight: stays
    expect(held?.headers['x-postbox-dead-letter-from']).toBe('pay');
    const taskId = await postbox.moveDeadLetters('pay.dlq');
    const task = await waitDone(taskId);
    expect(task).toMatchObject({ state: 'completed', moved: 49, total: 49, source: 'pay.dlq', destination: null });
    const { rows } = await client.query(
      `select queue, count(*)::int as n, max(attempts)::int as attempts,
              bool_or(headers ? 'x-postbox-dead-letter-from') as marked, bool_and(coalesce(headers, '{}') ? 'trace') as traced
       from postbox.messages group by queue order by queue`,
    );
    expect(rows).toEqual([
      { queue: 'pay', n: 29, attempts: 0, marked: false, traced: true },
      { queue: 'pay.dlq', n: 2, attempts: 1, marked: true, traced: false },
      { queue: 'ship', n: 20, attempts: 0, marked: false, traced: true },
    ]);
    const back = await postbox.receive('ship', { max: 20 });
    expect(back.map((m) => m.body).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `ship-${i}`).sort());
    expect(back.every((m) => m.attempts === 1)).toBe(true);
  });

  it("moves to a named queue instead, and moves a queue's own dead letters (no deadLetterQueue) too", async () => {
    await postbox.createQueue('mail', { maxAttempts: 1 });
    await postbox.createQueue('mail.retry');
    await deadLetter(postbox, 'mail', 12);
    expect(
      (await client.query("select count(*)::int as n from postbox.dead_letters where queue = 'mail'")).rows[0].n,
    ).toBe(12);
    const taskId = await postbox.moveDeadLetters('mail', { to: 'mail.retry' });
    expect(await waitDone(taskId)).toMatchObject({
      state: 'completed',
      moved: 12,
      total: 12,
      destination: 'mail.retry',
    });
    const { rows } = await client.query(
      "select count(*)::int as n, max(attempts)::int as attempts from postbox.messages where queue = 'mail.retry'",
    );
    expect(rows[0]).toEqual({ n: 12, attempts: 0 });
  });

  it('refuses an unknown source or destination and bad options, naming the field', async () => {
    await expect(postbox.moveDeadLetters('nope')).rejects.toThrow('queue "nope" does not exist');
    await expect(postbox.moveDeadLetters('pay.dlq', { to: 'gone' })).rejects.toThrow('queue "gone" does not exist');
    await expect(postbox.moveDeadLetters('pay.dlq', { to: 'bad name' })).rejects.toThrow('to must match');
    await expect(postbox.moveDeadLetters('pay.dlq', { maxPerSecond: 0 })).rejects.toThrow('maxPerSecond must be');
    await expect(postbox.getTask('123')).rejects.toThrow('taskId must be a UUID');
    await expect(postbox.getTask('00000000-0000-4000-8000-000000000000')).rejects.toThrow('does not exist');
  });

  it('is a psql function too', async () => {
    await postbox.createQueue('sql.dlq');
    await postbox.createQueue('sql', { maxAttempts: 1, deadLetterQueue: 'sql.dlq' });
    await deadLetter(postbox, 'sql', 5);
    const { rows } = await client.query("select postbox.move_dead_letters('sql.dlq') as moved");
    expect(Number(rows[0].moved)).toBe(5);
    const { rows: left } = await client.query(
      "select queue, count(*)::int as n from postbox.messages where queue like 'sql%' group by queue",
    );
    expect(left).toEqual([{ queue: 'sql', n: 5 }]);
  });

  it('survives its process being killed mid-move: another process takes it over, nothing lost or doubled', async () => {
    await postbox.createQueue('orders.dlq');
    await postbox.createQueue('orders', { maxAttempts: 1, deadLetterQueue: 'orders.dlq' });
    await deadLetter(postbox, 'orders', 600);
    const child = fork(fixture, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, DATABASE_URL: db.url, QUEUE: 'orders.dlq', MAX_PER_SECOND: '100' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const taskId = await new Promise<string>((resolve, reject) => {
      child.once('message', (id) => resolve(String(id)));
      child.once('exit', (code) => reject(new Error(`move process exited early with ${code}`)));
    });
    await until(async () => (await postbox.getTask(taskId)).moved >= 100, { what: 'first batches moved' });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const atKill = await postbox.getTask(taskId);
    expect(atKill.state).toBe('running');
    expect(atKill.moved).toBeLessThan(600);
    // Committed progress and messages agree at the kill: nothing half-moved.
    const counts = async () =>
      (
        await client.query(
          "select count(*) filter (where queue = 'orders')::int as back, count(*) filter (where queue = 'orders.dlq')::int as dlq from postbox.messages",
        )
      ).rows[0];
    expect(await counts()).toEqual({ back: atKill.moved, dlq: 600 - atKill.moved });

    // A second process's maintenance finds the task once the dead runner's lease (1.5 s) ran out.
    const rescuer = await db.postbox({
      maintenance: { schedules: false, tasks: { intervalMs: 200, leaseMs: 1500, batchSize: 500 } },
    });
    const task = await waitDone(taskId);
    expect(task).toMatchObject({ state: 'completed', moved: 600, total: 600 });
    expect(await counts()).toEqual({ back: 600, dlq: 0 });
    const { rows } = await client.query(
      "select count(distinct body)::int as distinct_bodies, max(attempts)::int as attempts from postbox.messages where queue = 'orders'",
    );
    expect(rows[0]).toEqual({ distinct_bodies: 600, attempts: 0 });
    await rescuer.close();
  });
});
