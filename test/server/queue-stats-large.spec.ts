import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_STATS_LIMIT, type Postbox } from '../../libs/core/src/index';
import { openTestPostbox } from '../setup/test-database';
import { startTestServer, type TestServer } from './test-server';

describe('queue stats stay cheap on a large queue (issue 10 item 9)', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let server: TestServer;

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('counts a small queue exactly on every call and a large one from a shared snapshot', async () => {
    await postbox.createQueue('small');
    await postbox.createQueue('large');
    const large = EXACT_STATS_LIMIT + 500;
    await client.query(
      `insert into postbox.messages (queue, body) select 'large', to_jsonb(g) from generate_series(1, $1) g`,
      [large],
    );
    await postbox.sendBatch('small', [{ body: 1 }, { body: 2 }, { body: 3, delayMs: 60_000 }]);

    const [first] = (await postbox.listQueues()).filter((q) => q.name === 'large');
    expect(first).toMatchObject({ name: 'large', ready: large, delayed: 0, inFlight: 0, dead: 0, exact: false });
    expect(first?.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
    expect(await postbox.getQueueStats('small')).toMatchObject({ ready: 2, delayed: 1, exact: true });

    // The snapshot is shared: what changed since it was taken shows at the next refresh, not now.
    await client.query(`delete from postbox.messages where queue = 'large' and id in (
      select id from postbox.messages where queue = 'large' limit 100)`);
    expect(await postbox.getQueueStats('large')).toMatchObject({ ready: large, exact: false });
    // The small queue is exact at once.
    await postbox.sendBatch('small', [{ body: 4 }]);
    expect(await postbox.getQueueStats('small')).toMatchObject({ ready: 3, exact: true });

    const listed = await server.request('GET', '/v1/queues');
    expect(listed.status).toBe(200);
    expect(listed.body.map((q: { name: string; ready: number }) => [q.name, q.ready])).toEqual([
      ['large', large],
      ['small', 3],
    ]);
    const metrics = await server.request('GET', '/metrics');
    expect(metrics.text).toContain(`postbox_queue_messages{queue="large",state="ready"} ${large}`);
  }, 60_000);

  it('plans its probes through the indexes whatever the statistics say, and stays exact for small queues', async () => {
    await postbox.createQueue('skew-small', { maxAttempts: 1 });
    // Ready 2, delayed 1, in flight 1 (received, not acked), dead 1 (nacked on its only attempt).
    await postbox.sendBatch('skew-small', [{ body: 1 }, { body: 2 }, { body: 3 }, { body: 4 }]);
    await postbox.sendBatch('skew-small', [{ body: 5, delayMs: 60_000 }]);
    const [leased, dying] = await postbox.receive('skew-small', { max: 2 });
    await postbox.nack('skew-small', [{ receipt: dying?.receipt as string }]);
    expect(leased).toBeDefined();
    // Statistics saying every queue holds every row (one queue with nearly all of them, as at a 1M
    // backlog): an unordered `limit` probe then read the whole table sequentially for each small queue.
    await client.query('alter table postbox.messages alter column queue set (n_distinct = 1)');
    await client.query('analyze postbox.messages');
    try {
      const { rows } = await client.query(
        `explain (format json) select * from postbox.queue_depths(null, ${EXACT_STATS_LIMIT}, '{}')`,
      );
      const plan = JSON.stringify(rows[0]['QUERY PLAN']);
      const scans = [...plan.matchAll(/"Node Type":"([^"]+)"[^{}]*?"Relation Name":"(messages|dead_letters)"/g)].map(
        (m) => `${m[1]} ${m[2]}`,
      );
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.filter((scan) => scan.startsWith('Seq Scan'))).toEqual([]);

      const queues = await postbox.listQueues();
      expect(queues.find((q) => q.name === 'skew-small')).toMatchObject({
        ready: 2,
        delayed: 1,
        inFlight: 1,
        dead: 1,
        exact: true,
      });
      expect(queues.find((q) => q.name === 'skew-small')?.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
      expect(queues.find((q) => q.name === 'large')).toMatchObject({ exact: false });
      const listed = await server.request('GET', '/v1/queues/skew-small');
      expect(listed.body).toMatchObject({ ready: 2, delayed: 1, inFlight: 1, dead: 1 });
    } finally {
      await client.query('alter table postbox.messages alter column queue reset (n_distinct)');
    }
  }, 60_000);
});
