import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../libs/core/src/errors';
import type { Postbox } from '../../libs/core/src/postbox';
import { publish } from '../../libs/core/src/topics/publish';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { drain } from './drain';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('topics and consumer groups', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
  });

  it('creates topics idempotently and refuses other settings', async () => {
    expect((await postbox.createTopic('orders')).created).toBe(true);
    expect((await postbox.createTopic('orders')).created).toBe(false);
    await expect(postbox.createTopic('orders', { retentionMs: 1000 })).rejects.toThrow(ConflictError);
    await expect(postbox.createTopic('-bad')).rejects.toThrow(/^name must match/);
    await expect(postbox.createTopic('ok', { retentionMs: 0 })).rejects.toThrow(/^retentionMs must be/);
  });

  it('subscribes a group to a queue named <topic>.<group> with its queue settings', async () => {
    await postbox.createTopic('subs');
    const result = await postbox.subscribe('subs', 'billing', { maxAttempts: 3, tags: ['b', 'a', 'a'] });
    expect(result.created).toBe(true);
    expect(result.subscription).toMatchObject({
      topic: 'subs',
      group: 'billing',
      queue: 'subs.billing',
      tags: ['a', 'b'],
    });
    expect(result.queue).toMatchObject({ name: 'subs.billing', maxAttempts: 3 });
    expect((await postbox.subscribe('subs', 'billing', { maxAttempts: 3, tags: ['a', 'b'] })).created).toBe(false);
    await expect(postbox.subscribe('subs', 'billing', { maxAttempts: 3, tags: ['c'] })).rejects.toThrow(ConflictError);
    await expect(postbox.subscribe('subs', 'billing', { maxAttempts: 4, tags: ['a', 'b'] })).rejects.toThrow(
      ConflictError,
    );
    await expect(postbox.subscribe('nope', 'g')).rejects.toThrow('topic "nope" does not exist');
    await expect(postbox.subscribe('subs', 'bad group')).rejects.toThrow(/^group must match/);
    await expect(postbox.subscribe('subs', 'g', { tags: [] })).rejects.toThrow(/^tags must be/);
    const own = await postbox.subscribe('subs', 'audit', { queue: 'audit-log' });
    expect(own.subscription.queue).toBe('audit-log');
    const topic = await postbox.getTopic('subs');
    expect(topic.subscriptions.map((s) => [s.group, s.queue])).toEqual([
      ['audit', 'audit-log'],
      ['billing', 'subs.billing'],
    ]);
  });

  it('delivers every message to each of two groups', async () => {
    await postbox.createTopic('fanout');
    await postbox.subscribe('fanout', 'a');
    await postbox.subscribe('fanout', 'b');
    const n = 25;
    const results = await postbox.publishBatch(
      'fanout',
      Array.from({ length: n }, (_, i) => ({ body: { i } })),
    );
    expect(results).toHaveLength(n);
    expect(results.every((r) => r.deliveredTo === 2)).toBe(true);
    const ids = results.map((r) => BigInt(r.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    for (const queue of ['fanout.a', 'fanout.b']) {
      const got = await drain(postbox, queue, n);
      expect(got.map((m) => (m.body as { i: number }).i)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(got[0]?.headers).toMatchObject({
        'x-postbox-topic': 'fanout',
        'x-postbox-topic-message-id': results[0]?.id,
      });
    }
    const single = await postbox.publish('fanout', { body: 'one', headers: { h: 'v' } });
    expect(single.deliveredTo).toBe(2);
    const [copyA] = await drain(postbox, 'fanout.a', 1);
    expect(copyA?.headers).toEqual({
      h: 'v',
      'x-postbox-topic': 'fanout',
      'x-postbox-topic-message-id': single.id,
    });
  });

  it('splits one group among two competing consumers with no duplicates', async () => {
    await postbox.createTopic('compete');
    await postbox.subscribe('compete', 'workers');
    const seen: string[][] = [[], []];
    const consumers = await Promise.all(
      [0, 1].map((c) =>
        postbox.consume(
          'compete.workers',
          async (message) => {
            seen[c]?.push((message.body as { k: string }).k);
            await new Promise((resolve) => setTimeout(resolve, 2));
          },
          { batchSize: 5, concurrency: 2 },
        ),
      ),
    );
    const n = 200;
    await postbox.publishBatch(
      'compete',
      Array.from({ length: n }, (_, i) => ({ body: { k: `m${i}` } })),
    );
    await until(() => (seen[0]?.length ?? 0) + (seen[1]?.length ?? 0) >= n);
    await Promise.all(consumers.map((c) => c.stop()));
    const all = [...(seen[0] ?? []), ...(seen[1] ?? [])];
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
    expect(seen[0]?.length).toBeGreaterThan(0);
    expect(seen[1]?.length).toBeGreaterThan(0);
    expect((await postbox.getQueueStats('compete.workers')).ready).toBe(0);
  });

  it('gives a tag-filtered group only the messages with its tags', async () => {
    await postbox.createTopic('tagged');
    await postbox.subscribe('tagged', 'all');
    await postbox.subscribe('tagged', 'paid', { tags: 'paid' });
    await postbox.subscribe('tagged', 'money', { tags: ['paid', 'refunded'] });
    await postbox.subscribe('tagged', 'star', { tags: ['*'] });
    const results = await postbox.publishBatch('tagged', [
      { body: 1, tag: 'created' },
      { body: 2, tag: 'paid' },
      { body: 3 },
      { body: 4, tag: 'refunded' },
      { body: 5, tag: 'paid' },
    ]);
    expect(results.map((r) => r.deliveredTo)).toEqual([2, 4, 2, 3, 4]);
    const bodies = async (queue: string, n: number) => {
      const got = (await drain(postbox, queue, n)).map((m) => m.body);
      expect(await postbox.peek(queue, 'ready')).toEqual([]); // nothing beyond the expected ones
      return got;
    };
    expect(await bodies('tagged.all', 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await bodies('tagged.star', 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await bodies('tagged.paid', 2)).toEqual([2, 5]);
    expect(await bodies('tagged.money', 3)).toEqual([2, 4, 5]);
  });

  it('publishes inside the caller transaction: rolled back reaches no group, committed reaches all', async () => {
    await postbox.createTopic('outbox');
    await postbox.subscribe('outbox', 'x');
    await postbox.subscribe('outbox', 'y');
    await expect(
      postbox.db.transaction().execute(async (trx) => {
        const r = await postbox.publish('outbox', { body: 'never' }, { trx });
        expect(r.deliveredTo).toBe(2);
        throw new Error('business rollback');
      }),
    ).rejects.toThrow('business rollback');
    expect((await postbox.getQueueStats('outbox.x')).ready).toBe(0);
    expect((await postbox.getQueueStats('outbox.y')).ready).toBe(0);

    // A committed publish wakes a waiting receiver through the in-statement NOTIFY.
    const waiting = postbox.receive('outbox.y', { max: 10, waitMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await postbox.db.transaction().execute(async (trx) => {
      await postbox.publishBatch('outbox', [{ body: 'kept' }], { trx });
    });
    const received = await waiting;
    expect(received.map((m) => m.body)).toEqual(['kept']);
    expect((await drain(postbox, 'outbox.x', 1)).map((m) => m.body)).toEqual(['kept']);
  });

  it('wakes every group queue after a publish outside a transaction', async () => {
    await postbox.createTopic('woken');
    await postbox.subscribe('woken', 'a');
    await postbox.subscribe('woken', 'b', { tags: 'only-b' });
    await postbox.subscribe('woken', 'c', { tags: 'never' });
    const listener = await db.client();
    const heard = new Set<string>();
    listener.on('notification', (n) => {
      if (n.payload) heard.add(n.payload);
    });
    await listener.query('listen "postbox.wakeup"');
    await postbox.publishBatch('woken', [{ body: 1 }, { body: 2, tag: 'only-b' }]);
    await until(() => heard.has('woken.a') && heard.has('woken.b'));
    // The group whose filter matched nothing is not woken.
    expect(heard.has('woken.c')).toBe(false);
  });

  it('rejects bad messages naming the field, and unknown topics with 404', async () => {
    await postbox.createTopic('strict');
    await expect(postbox.publish('strict', { body: 1, tag: '' })).rejects.toThrow(/^tag must be/);
    await expect(postbox.publishBatch('strict', [{ body: 1 }, { body: 2, priority: 1.5 }])).rejects.toThrow(
      /^messages\[1\]\.priority must be/,
    );
    await expect(postbox.publish('strict', { body: 1, dedupKey: 'k' } as never)).rejects.toThrow(InvalidInputError);
    await expect(postbox.publish('missing', { body: 1 })).rejects.toThrow(NotFoundError);
    await expect(postbox.publish('missing', { body: 1 })).rejects.toThrow('topic "missing" does not exist');
    const none = await postbox.publish('strict', { body: 'nobody listens' });
    expect(none.deliveredTo).toBe(0);
  });

  it('fans one publish out to 50 groups in a single statement', async () => {
    await postbox.createTopic('wide');
    for (let g = 0; g < 50; g++) await postbox.subscribe('wide', `g${g}`);
    const statements: string[] = [];
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const first = args[0];
        statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text));
        return query(...args);
      };
    });
    const counted = new Kysely({ dialect: new PostgresDialect({ pool }) });
    try {
      await counted.selectNoFrom((eb) => eb.lit(1).as('warm')).execute(); // opens the connection
      statements.length = 0;
      const result = await counted.transaction().execute((trx) => publish(trx, 'wide', { body: 'hello' }));
      expect(result.deliveredTo).toBe(50);
      // begin + the publish + commit: the fan-out itself is one statement.
      expect(statements.filter((s) => !/^(begin|commit)$/i.test(s.trim()))).toHaveLength(1);
      statements.length = 0;
      const outside = await publish(counted, 'wide', { body: 'again' }, { wakeup: () => {} });
      expect(outside.deliveredTo).toBe(50);
      expect(statements).toHaveLength(1);
    } finally {
      await counted.destroy();
    }
    const topic = await postbox.getTopic('wide');
    expect(topic.subscriptions).toHaveLength(50);
    expect(topic.subscriptions.every((s) => s.ready === 2)).toBe(true);
  });

  it('shows topics, groups, depth and oldest age in the topic_stats view', async () => {
    await postbox.createTopic('viewed', { retentionMs: 60_000 });
    await postbox.subscribe('viewed', 'one');
    await postbox.subscribe('viewed', 'two', { tags: ['t'] });
    await postbox.publishBatch('viewed', [{ body: 1 }, { body: 2, tag: 't' }]);
    const client = await db.client();
    const { rows } = await client.query(
      `select topic, retention_ms, group_name, queue, tags, ready, in_flight, oldest_ready_age_ms
       from postbox.topic_stats where topic = 'viewed' order by group_name`,
    );
    expect(rows).toMatchObject([
      { topic: 'viewed', retention_ms: '60000', group_name: 'one', queue: 'viewed.one', tags: null, ready: '2' },
      { topic: 'viewed', group_name: 'two', queue: 'viewed.two', tags: ['t'], ready: '1', in_flight: '0' },
    ]);
    expect(Number(rows[0].oldest_ready_age_ms)).toBeGreaterThanOrEqual(0);
    // psql users publish with the SQL function: same fan-out, headers and tag filter.
    const published = await client.query(
      `select postbox.publish('viewed', '{"from": "psql"}', '{"h": "1"}', 't') as id`,
    );
    const [viaSql] = (await postbox.peek('viewed.two', 'ready')).filter((m) => m.body !== 2);
    expect(viaSql).toMatchObject({
      body: { from: 'psql' },
      headers: {
        h: '1',
        'x-postbox-topic': 'viewed',
        'x-postbox-topic-message-id': published.rows[0].id,
        'x-postbox-tag': 't',
      },
    });
    await expect(client.query(`select postbox.publish('nope', '1')`)).rejects.toThrow('topic "nope" does not exist');
    await drain(postbox, 'viewed.one', 3);
    await drain(postbox, 'viewed.two', 2);
    await postbox.publish('viewed', { body: 3 });
    const listed = await postbox.listTopics();
    expect(listed.find((t) => t.name === 'viewed')).toMatchObject({
      retentionMs: 60_000,
      subscriptions: [
        { group: 'one', ready: 1 },
        { group: 'two', ready: 0, tags: ['t'] },
      ],
    });
  });

  it('unsubscribes and deletes topics, leaving the queues', async () => {
    await postbox.createTopic('gone');
    await postbox.subscribe('gone', 'g');
    expect(await postbox.unsubscribe('gone', 'g')).toBe(true);
    expect(await postbox.unsubscribe('gone', 'g')).toBe(false);
    expect((await postbox.publish('gone', { body: 1 })).deliveredTo).toBe(0);
    await postbox.subscribe('gone', 'h');
    expect(await postbox.deleteTopic('gone')).toBe(true);
    expect(await postbox.deleteTopic('gone')).toBe(false);
    await expect(postbox.getTopic('gone')).rejects.toThrow('topic "gone" does not exist');
    expect((await postbox.getQueue('gone.h')).name).toBe('gone.h');
  });
});
