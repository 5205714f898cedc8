import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/index';
import { send } from '../libs/core/src/messages/send';
import { openTestPostbox } from './setup/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 14: a send inside the caller's transaction no longer carries a
 * NOTIFY (which serialized those commits on Postgres's notify lock); the
 * client's commit watcher (wakeups/commit-watcher.ts) wakes the queue once
 * the transaction commits. The consumers here poll every 10 minutes, so
 * only a wake-up can deliver within the test.
 */
describe('sends inside a transaction wake consumers at commit', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let listener: pg.Client;
  const heard: { queue: string; at: number }[] = [];

  beforeAll(async () => {
    let db: Awaited<ReturnType<typeof openTestPostbox>>['db'];
    ({ db, postbox, client } = await openTestPostbox());
    for (const q of ['outbox-a', 'outbox-b', 'outbox-c']) await postbox.createQueue(q);
    listener = await db.client();
    listener.on('notification', (n) => heard.push({ queue: n.payload ?? '', at: performance.now() }));
    await listener.query('listen "postbox.wakeup"');
  });

  afterAll(async () => {
    await listener.query('unlisten *');
  });

  it('the statement carries no NOTIFY: nothing is heard while the transaction is open, the queue once after it commits', async () => {
    heard.length = 0;
    let committedAt = 0;
    await postbox.db.transaction().execute(async (trx) => {
      await postbox.send('outbox-a', { body: 1 }, { trx });
      await postbox.send('outbox-a', { body: 2 }, { trx });
      await postbox.sendBatch('outbox-b', [{ body: 3 }, { body: 4 }], { trx });
      await sleep(150); // a wake-up in the statement would still wait for commit; the watcher must wait too
      expect(heard).toEqual([]);
      // The transaction's rows are not visible outside it yet.
      const { rows } = await client.query(
        `select count(*)::int as n from postbox.messages where queue like 'outbox-%'`,
      );
      expect(rows[0].n).toBe(0);
      committedAt = performance.now();
    });
    await waitFor(() => heard.length >= 2);
    await sleep(100);
    expect(heard.map((h) => h.queue).sort()).toEqual(['outbox-a', 'outbox-b']);
    for (const h of heard) expect(h.at).toBeGreaterThanOrEqual(committedAt);
  });

  it('a rolled-back transaction wakes nobody and leaves nothing watched', async () => {
    heard.length = 0;
    await expect(
      postbox.db.transaction().execute(async (trx) => {
        await postbox.send('outbox-c', { body: 'never' }, { trx });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await sleep(200);
    expect(heard).toEqual([]);
    const { rows } = await client.query(`select count(*)::int as n from postbox.messages where queue = 'outbox-c'`);
    expect(rows[0].n).toBe(0);
  });

  it('an idle consumer that never polls gets every message of 20 concurrent transactions', async () => {
    const seen: number[] = [];
    const consumer = await postbox.consume(
      'outbox-c',
      (m) => {
        seen.push(m.body as number);
      },
      { pollIntervalMs: 600_000 },
    );
    await sleep(200); // the first claim found nothing: only wake-ups can deliver now
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postbox.db.transaction().execute(async (trx) => {
          await client.query('select 1'); // another connection's work in between, as an app would do
          await postbox.send('outbox-c', { body: i }, { trx });
          await sleep(i * 5);
        }),
      ),
    );
    await waitFor(() => seen.length >= 20);
    await consumer.stop();
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a plain executor (no Postbox client) keeps the NOTIFY in the statement', async () => {
    // Its own queue: a wake-up of the test before (outbox-c) may still be on its way.
    await postbox.createQueue('outbox-d');
    heard.length = 0;
    await postbox.db.transaction().execute(async (trx) => {
      await send(trx, 'outbox-d', { body: 'plain' });
    });
    await waitFor(() => heard.some((h) => h.queue === 'outbox-d'));
    await sleep(100);
    expect(heard.filter((h) => h.queue === 'outbox-d')).toHaveLength(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}
