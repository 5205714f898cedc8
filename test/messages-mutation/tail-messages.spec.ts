import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { tailMessages } from '../../libs/core/src/messages/tail-messages';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues } from '../setup/fresh-queues';
import { openTestPostbox } from '../setup/test-database';

/**
 * tail-messages.ts (what `postbox tail` follows), exactly: its argument
 * checks with their error texts and range edges, the default of the newest
 * 100, paging after an id, and every field of the rows in each state.
 * Written to kill survivors of `npm run test:mutation` (docs/mutation-testing.md).
 */
describe('tail of a queue', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('tail', () => postbox);

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  it('refuses an after that is no message id and a limit outside 1 … 1000, naming the field', async () => {
    const queue = await fresh();
    for (const after of ['', 'x', '1.5', '99999999999999999999']) {
      await expect(tailMessages(postbox.db, queue, after)).rejects.toThrow(/^after must be a message id$/);
    }
    for (const limit of [0, 1001, 1.5, -1]) {
      await expect(tailMessages(postbox.db, queue, undefined, limit)).rejects.toThrow(
        /^limit must be an integer between 1 and 1000$/,
      );
      await expect(tailMessages(postbox.db, queue, '1', limit)).rejects.toThrow(
        /^limit must be an integer between 1 and 1000$/,
      );
    }
    // The edges themselves are taken.
    expect(await tailMessages(postbox.db, queue, undefined, 1)).toEqual([]);
    expect(await tailMessages(postbox.db, queue, undefined, 1000)).toEqual([]);
    expect(await tailMessages(postbox.db, queue, '0', 1000)).toEqual([]);
  });

  it('without after: the newest `limit` (default 100), oldest first; with after: the next ones in id order', async () => {
    const queue = await fresh();
    const other = await fresh();
    await postbox.send(other, { body: 'elsewhere' });
    const { ids } = await postbox.sendBatch(
      queue,
      Array.from({ length: 103 }, (_, i) => ({ body: i })),
    );
    await postbox.send(other, { body: 'elsewhere too' });

    const newest = await tailMessages(postbox.db, queue, undefined);
    expect(newest.map((m) => m.body)).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
    expect((await tailMessages(postbox.db, queue, undefined, 2)).map((m) => m.body)).toEqual([101, 102]);

    expect((await tailMessages(postbox.db, queue, ids[0], 3)).map((m) => m.body)).toEqual([1, 2, 3]);
    expect((await tailMessages(postbox.db, queue, ids[99])).map((m) => m.body)).toEqual([100, 101, 102]);
    expect(await tailMessages(postbox.db, queue, ids[102])).toEqual([]);
    // The default limit after an id is 100 as well.
    expect(await tailMessages(postbox.db, queue, '0')).toHaveLength(100);
    expect((await postbox.tail(queue, ids[101])).map((m) => m.id)).toEqual([ids[102]]);
  });

  it('shows each state with its fields: ready, delayed, in flight (its lease end), headers or {}', async () => {
    const queue = await fresh();
    const before = await tailMessages(postbox.db, queue, undefined);
    expect(before).toEqual([]);
    const { ids } = await postbox.sendBatch(queue, [
      { body: { n: 1 }, headers: { h: 'x' }, priority: 3, dedupKey: 'd-1', groupKey: 'g-1' },
      { body: 'later', delayMs: 3_600_000 },
      { body: 'taken', priority: -2 },
    ]);
    const [taken] = await postbox.receive(queue, { max: 1, visibilityTimeoutMs: 120_000 });
    expect(taken?.body).toBe('taken');
    await client.query(`update postbox.messages set last_error = 'earlier failure' where id = $1`, [ids[2]]);
    const { rows } = await client.query(
      `select id::text, enqueued_at, available_at, leased_until from postbox.messages where queue = $1 order by id`,
      [queue],
    );

    const tail = await tailMessages(postbox.db, queue, undefined, 10);
    expect(tail).toEqual([
      {
        id: ids[0],
        state: 'ready',
        body: { n: 1 },
        headers: { h: 'x' },
        attempts: 0,
        priority: 3,
        enqueuedAt: rows[0].enqueued_at,
        availableAt: rows[0].available_at,
        groupKey: 'g-1',
        dedupKey: 'd-1',
        lastError: null,
      },
      {
        id: ids[1],
        state: 'delayed',
        body: 'later',
        headers: {},
        attempts: 0,
        priority: 0,
        enqueuedAt: rows[1].enqueued_at,
        availableAt: rows[1].available_at,
        groupKey: null,
        dedupKey: null,
        lastError: null,
      },
      {
        id: ids[2],
        state: 'inFlight',
        body: 'taken',
        headers: {},
        attempts: 1,
        priority: -2,
        enqueuedAt: rows[2].enqueued_at,
        availableAt: rows[2].leased_until,
        groupKey: null,
        dedupKey: null,
        lastError: 'earlier failure',
      },
    ]);
    expect(typeof tail[0]?.id).toBe('string');
    // The same rows after an id (the other statement).
    expect(await tailMessages(postbox.db, queue, String(BigInt(ids[0] as string) - 1n), 10)).toEqual(tail);
  });
});
