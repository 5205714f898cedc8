import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { expireMessages } from '../../libs/core/src/messages/expire-messages';
import { extend } from '../../libs/core/src/messages/extend';
import { peek } from '../../libs/core/src/messages/peek';
import { release } from '../../libs/core/src/messages/release';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues } from '../setup/fresh-queues';
import { openTestPostbox } from '../setup/test-database';

/**
 * Range checks, empty inputs and exact results of extend, release, peek and
 * expire-messages (the verbs the lifecycle specs call only with ordinary
 * input). Written to kill survivors of `npm run test:mutation`
 * (docs/mutation-testing.md).
 */
describe('verbs beside the claim, exactly', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('verb', () => postbox);

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  it('extend takes 0 to 43200000 ms, integers only, and an empty list extends nothing', async () => {
    const queue = await fresh();
    await postbox.send(queue, { body: 1 });
    const [m] = await postbox.receive(queue, { max: 1 });
    const receipt = m?.receipt as string;
    for (const ms of [-1, 43_200_001, 1.5]) {
      await expect(extend(postbox.db, queue, [receipt], ms)).rejects.toThrow(
        /^visibilityTimeoutMs must be an integer between 0 and 43200000$/,
      );
    }
    expect(await extend(postbox.db, queue, [], 1_000)).toEqual({ extended: 0, stale: [] });
    expect(await extend(postbox.db, queue, [receipt], 43_200_000)).toEqual({ extended: 1, stale: [] });
    const { rows } = await client.query(
      `select extract(epoch from leased_until - now())::int as left_s from postbox.messages where queue = $1`,
      [queue],
    );
    expect(rows[0].left_s).toBeGreaterThan(43_190);
    // 0: the lease ends now (SQS's ChangeMessageVisibility to 0); the message is ready again.
    expect(await extend(postbox.db, queue, [receipt], 0)).toEqual({ extended: 1, stale: [] });
    expect((await postbox.receive(queue, { max: 1 })).map((r) => r.body)).toEqual([1]);
  });

  it('release of nothing releases nothing; of a receipt, exactly that one', async () => {
    const queue = await fresh();
    await postbox.sendBatch(queue, [{ body: 1 }, { body: 2 }]);
    const [a, b] = await postbox.receive(queue, { max: 2 });
    expect(await release(postbox.db, queue, [])).toBe(0);
    expect(await release(postbox.db, queue, [a?.receipt as string])).toBe(1);
    expect(await release(postbox.db, queue, [a?.receipt as string])).toBe(0);
    const { rows } = await client.query(
      `select body, attempts, lease_token is null as free from postbox.messages where queue = $1 order by id`,
      [queue],
    );
    expect(rows).toEqual([
      { body: 1, attempts: 0, free: true },
      { body: 2, attempts: 1, free: false },
    ]);
    expect(b?.body).toBe(2);
  });

  it('peek refuses an unknown state and a limit over 1000, takes 1000, and gives {} for no headers', async () => {
    const queue = await fresh();
    await postbox.sendBatch(queue, [{ body: 'plain' }, { body: 'with', headers: { h: '1' } }]);
    await expect(peek(postbox.db, queue, 'sleeping' as 'ready')).rejects.toThrow(
      /^state must be one of ready, delayed, inFlight, dead$/,
    );
    await expect(peek(postbox.db, queue, 'ready', 1001)).rejects.toThrow(
      /^limit must be an integer between 1 and 1000$/,
    );
    const ready = await peek(postbox.db, queue, 'ready', 1000);
    expect(ready.map((m) => [m.body, m.headers])).toEqual([
      ['plain', {}],
      ['with', { h: '1' }],
    ]);
  });

  it('expire-messages removes what is past its expiry and counts it per queue', async () => {
    const keep = await fresh();
    const lose = await fresh();
    await postbox.send(keep, { body: 'fresh' });
    await postbox.sendBatch(lose, [{ body: 'old-1' }, { body: 'old-2' }, { body: 'new' }]);
    await client.query(
      `update postbox.messages set expires_at = now() - interval '1 second' where queue = $1 and body::text like '"old%'`,
      [lose],
    );
    const expired = await expireMessages(postbox.db, { limit: 100 });
    expect([...expired.entries()]).toEqual([[lose, 2]]);
    expect((await peek(postbox.db, lose, 'ready')).map((m) => m.body)).toEqual(['new']);
    expect((await peek(postbox.db, keep, 'ready')).map((m) => m.body)).toEqual(['fresh']);
    expect([...(await expireMessages(postbox.db, { limit: 100 })).entries()]).toEqual([]);
  });
});
