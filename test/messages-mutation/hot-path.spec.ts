import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { ack } from '../../libs/core/src/messages/ack';
import { claim } from '../../libs/core/src/messages/claim';
import { nack } from '../../libs/core/src/messages/nack';
import { send, sendBatch } from '../../libs/core/src/messages/send';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues } from '../setup/fresh-queues';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';
import { sleep, until } from '../setup/until';

/**
 * Edges of the hot-path verbs (send.ts, claim.ts, ack.ts, nack.ts) that the
 * lifecycle specs pass over, asserted exactly: empty batches, range limits,
 * field names in errors, the columns a batch carries, when the wake-up
 * NOTIFY goes out. Written to kill survivors of `npm run test:mutation`
 * (docs/mutation-testing.md).
 */
describe('message verbs at their edges', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('edge', () => postbox);

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
  });

  /** A LISTEN connection on the wake-up channel; `heard` lists the queues notified. */
  async function listen() {
    const listener = new pg.Client(db.url);
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (note) => heard.push(note.payload as string));
    await listener.query('listen "postbox.wakeup"');
    return { heard, end: () => listener.end() };
  }

  it('send says whether the message was a duplicate of an earlier dedupKey', async () => {
    const queue = await fresh();
    const first = await send(postbox.db, queue, { body: 1, dedupKey: 'k' });
    const again = await send(postbox.db, queue, { body: 2, dedupKey: 'k' });
    const plain = await send(postbox.db, queue, { body: 3 });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ id: first.id, duplicate: true });
    expect(plain.duplicate).toBe(false);
    expect(plain.id).not.toBe(first.id);
  });

  it('an empty batch sends nothing and asks the database nothing, whatever the queue', async () => {
    const queue = await fresh();
    expect(await sendBatch(postbox.db, queue, [])).toEqual({ ids: [], duplicates: [] });
    expect(await ack(postbox.db, queue, [])).toEqual({ acked: 0, stale: [] });
    expect(await nack(postbox.db, queue, [])).toEqual({ retried: 0, deadLettered: 0, stale: [] });
    expect(await postbox.peek(queue, 'ready')).toEqual([]);
  });

  it('a batch takes exactly 1000 messages, not 1001', async () => {
    const queue = await fresh();
    const many = (count: number) => Array.from({ length: count }, (_, i) => ({ body: i }));
    await expect(sendBatch(postbox.db, queue, many(1001))).rejects.toThrow(
      /^messages must hold at most 1000 messages$/,
    );
    const { ids } = await sendBatch(postbox.db, queue, many(1000));
    expect(ids).toHaveLength(1000);
  });

  it('names the field of a lone message without an index, and of a batch member with one', async () => {
    const queue = await fresh({ maxMessageBytes: 1024 });
    await expect(send(postbox.db, queue, { body: 1, priority: 1.5 })).rejects.toMatchObject({ field: 'priority' });
    await expect(sendBatch(postbox.db, queue, [{ body: 1, priority: 1.5 }])).rejects.toMatchObject({
      field: 'priority',
    });
    await expect(sendBatch(postbox.db, queue, [{ body: 1 }, { body: 1, priority: 1.5 }])).rejects.toMatchObject({
      field: 'messages[1].priority',
    });
    // Too large: checked by the database, named the same way.
    const big = 'x'.repeat(2_000);
    await expect(send(postbox.db, queue, { body: big })).rejects.toThrow(/^message /);
    await expect(sendBatch(postbox.db, queue, [{ body: 1 }, { body: big }])).rejects.toThrow(/^messages\[1\] /);
    await expect(sendBatch(postbox.db, queue, [{ body: 1 }, { body: big, dedupKey: 'd' }])).rejects.toThrow(
      /^messages\[1\] /,
    );
    expect(await postbox.peek(queue, 'ready')).toEqual([]);
  });

  it('a batch carries each message’s headers, expiry and queue TTL into its row', async () => {
    const queue = await fresh({ messageTtlMs: 3_600_000 });
    const expiresAt = new Date(Date.now() + 60_000);
    const { ids } = await sendBatch(postbox.db, queue, [
      { body: 'h', headers: { trace: 't1' } },
      { body: 'e', expiresAt },
      { body: 'plain' },
    ]);
    const single = await send(postbox.db, queue, { body: 'one', headers: { a: 'b' } });
    const { rows } = await client.query(
      `select id::text, headers, extract(epoch from expires_at - now())::int as ttl_s,
              floor(extract(epoch from expires_at) * 1000)::bigint::text as expires_ms
       from postbox.messages where queue = $1 order by id`,
      [queue],
    );
    expect(rows.map((r) => r.id)).toEqual([...ids, single.id]);
    expect(rows.map((r) => r.headers)).toEqual([{ trace: 't1' }, null, null, { a: 'b' }]);
    expect(rows[1].expires_ms).toBe(String(expiresAt.getTime()));
    // The others expire with the queue's TTL (an hour).
    for (const i of [0, 2, 3]) {
      expect(rows[i].ttl_s).toBeGreaterThan(3_500);
      expect(rows[i].ttl_s).toBeLessThanOrEqual(3_600);
    }
  });

  it('a send in a transaction wakes consumers at its commit, not before, and a rolled-back one never', async () => {
    const queue = await fresh();
    const { heard, end } = await listen();
    try {
      await postbox.db.transaction().execute(async (trx) => {
        await send(trx, queue, { body: 'one' });
        await sendBatch(trx, queue, [{ body: 'a' }, { body: 'b' }]);
        await sleep(150);
        expect(heard).toEqual([]);
      });
      await until(() => heard.length > 0, { timeoutMs: 5_000 });
      // Postgres folds one transaction's identical notifications into one.
      await sleep(100);
      expect(heard).toEqual([queue]);
      heard.length = 0;
      await postbox.db
        .transaction()
        .execute(async (trx) => {
          await send(trx, queue, { body: 'gone' });
          throw new Error('roll back');
        })
        .catch(() => {});
      await sleep(200);
      expect(heard).toEqual([]);
      // Outside a transaction, with no notifier: a wake-up after the insert.
      await send(postbox.db, queue, { body: 'alone' });
      await until(() => heard.length === 1, { timeoutMs: 5_000 });
      await sendBatch(postbox.db, queue, [{ body: 'x' }, { body: 'y' }]);
      await until(() => heard.length === 2, { timeoutMs: 5_000 });
      expect(heard).toEqual([queue, queue]);
    } finally {
      await end();
    }
  });

  it('claim takes a visibility timeout of exactly 1 ms, and the one asked for over the queue’s', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 30_000 });
    await sendBatch(postbox.db, queue, [{ body: 1 }, { body: 2 }]);
    const before = Date.now();
    const [long] = await claim(postbox.db, queue, 1, { visibilityTimeoutMs: 600_000 });
    expect(long?.body).toBe(1);
    const leaseMs = (long?.leaseExpiresAt.getTime() as number) - before;
    expect(leaseMs).toBeGreaterThan(590_000);
    expect(leaseMs).toBeLessThan(610_000);
    const [short] = await claim(postbox.db, queue, 1, { visibilityTimeoutMs: 1 });
    expect(short?.body).toBe(2);
    await sleep(5);
    await expect(claim(postbox.db, queue, 1, { visibilityTimeoutMs: 0 })).rejects.toThrow(
      /^visibilityTimeoutMs must be an integer between 1 and 43200000$/,
    );
    await expect(claim(postbox.db, queue, 1001)).rejects.toThrow(/^max must be an integer between 1 and 1000$/);
    // The 1 ms lease is over: only that message is claimable again.
    expect((await claim(postbox.db, queue, 1000, { visibilityTimeoutMs: 43_200_000 })).map((m) => m.body)).toEqual([2]);
  });
});
