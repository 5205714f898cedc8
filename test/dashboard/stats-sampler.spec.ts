import { beforeAll, describe, expect, it } from 'vitest';
import { SPARKLINE_POINTS, sparklines } from '../../apps/server/src/dashboard/sparklines';
import { type Sample, StatsHistory } from '../../apps/server/src/dashboard/stats-history';
import { StatsSampler } from '../../apps/server/src/dashboard/stats-sampler';
import { visibleSample } from '../../apps/server/src/dashboard/visible-sample';
import { DEFAULT_SERVER_OPTIONS } from '../../apps/server/src/server-options';
import { countTransactions } from '../../libs/core/src/half-messages/count-transactions';
import { listTransactions } from '../../libs/core/src/half-messages/list-transactions';
import type { Postbox } from '../../libs/core/src/postbox';
import { readActivityCounters } from '../../libs/core/src/queues/read-activity-counters';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

const sample = (at: number, names: string[]): Sample => ({
  at,
  queues: names.map((name, i) => ({
    name,
    ready: i + 1,
    delayed: 0,
    inFlight: 0,
    dead: i,
    oldestReadyAgeMs: 1000 * i,
    paused: false,
  })),
  rates: { sent: 5, acked: 4, deadLettered: 1 },
  transactions: names.map((name) => ({ name, state: 'prepared' as const, count: 2 })),
});

describe('dashboard sampling', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
  });

  it('keeps the newest samples, oldest first, within its capacity', () => {
    const history = new StatsHistory(3);
    for (let at = 1; at <= 5; at++)
      history.push({ ...sample(at, ['q']), catalog: { queues: [{ name: 'q' }], topics: [] } });
    expect(history.samples().map((s) => s.at)).toEqual([3, 4, 5]);
    expect(history.latest()?.at).toBe(5);
    // Settings and topics ride on the latest sample only: an hour of history holds depth alone.
    expect(history.samples().map((s) => s.catalog !== undefined)).toEqual([false, false, true]);
  });

  it('shows a names-limited key only its queues and half messages, and no database-wide rates', () => {
    const s = sample(1, ['orders.a', 'orders.b', 'payments']);
    const all = visibleSample(s, null);
    expect(all.queues.map((q) => q.name)).toEqual(['orders.a', 'orders.b', 'payments']);
    expect(all.total).toMatchObject({ ready: 6, dead: 3, oldestReadyAgeMs: 2000, sent: 5, acked: 4, deadLettered: 1 });
    const limited = visibleSample(s, 'orders.*');
    expect(limited.queues.map((q) => q.name)).toEqual(['orders.a', 'orders.b']);
    expect(limited.transactions.map((t) => t.name)).toEqual(['orders.a', 'orders.b']);
    expect(limited.total).toEqual({ at: 1, ready: 3, delayed: 0, inFlight: 0, dead: 1, oldestReadyAgeMs: 1000 });
    expect(limited.ratesShown).toBe(false);
    const topics = [
      {
        name: 'orders.events',
        retentionMs: null,
        createdAt: new Date(0),
        groups: [
          { group: 'a', queue: 'orders.group-a', tags: null, subscribedAt: new Date(0) },
          { group: 'b', queue: 'payments.b', tags: null, subscribedAt: new Date(0) },
        ],
      },
      { name: 'payments.events', retentionMs: null, createdAt: new Date(0), groups: [] },
    ];
    const withCatalog = { ...s, catalog: { queues: [{ name: 'orders.a' }, { name: 'payments' }], topics } };
    expect(visibleSample(withCatalog, 'orders.*').catalog).toEqual({
      queues: [{ name: 'orders.a' }],
      topics: [{ ...topics[0], groups: [topics[0]?.groups[0]] }],
    });
  });

  it('sparklines: waiting messages per queue in 60 buckets over the kept history, for the queues the key sees', () => {
    const samples = [0, 30_000, 60_000, 3_599_000].map((at) => sample(at, ['orders.a', 'payments']));
    const lines = sparklines(samples, 'orders.*', 3_600_000);
    expect(Object.keys(lines)).toEqual(['orders.a']);
    expect(lines['orders.a']).toHaveLength(SPARKLINE_POINTS);
    expect(lines['orders.a']?.filter((v) => v !== null)).toEqual([1, 1, 1]);
    expect(lines['orders.a']?.[0]).toBe(1);
    expect(lines['orders.a']?.[59]).toBe(1);
    expect(sparklines([], null)).toEqual({});
  });

  it('reads throughput from the table statistics: sends, acks and dead letters of every client', async () => {
    await postbox.createQueue('rates.q', { maxAttempts: 1 });
    const before = await readActivityCounters(postbox.db);
    expect(before).not.toBeNull();
    await postbox.sendBatch(
      'rates.q',
      Array.from({ length: 30 }, (_, i) => ({ body: i })),
    );
    const got = await postbox.receive('rates.q', { max: 15 });
    await postbox.ack(
      'rates.q',
      got.slice(0, 10).map((m) => m.receipt),
    );
    await postbox.nack(
      'rates.q',
      got.slice(10).map((m) => ({ receipt: m.receipt, error: 'x' })),
    );
    // Backends publish their counts at most once a second (10 s when idle): wait, never assume.
    let now = before;
    await until(async () => {
      now = await readActivityCounters(postbox.db);
      return (
        now !== null &&
        before !== null &&
        now.deadLettered - before.deadLettered >= 5 &&
        now.inserted - before.inserted >= 30
      );
    });
    expect(now && before && now.inserted - before.inserted).toBe(30);
    expect(now && before && now.deleted - before.deleted).toBe(15);
    expect(now && before && now.deadLettered - before.deadLettered).toBe(5);
  });

  it('counts and lists half messages by state, newest first', async () => {
    await postbox.createQueue('tx.count');
    const a = await postbox.prepare({ queue: 'tx.count' }, { body: 'a' });
    const b = await postbox.prepare({ queue: 'tx.count' }, { body: 'b' });
    await postbox.commitTransaction(a);
    const counts = (await countTransactions(postbox.db)).filter((c) => c.name === 'tx.count');
    expect(counts).toEqual([
      { name: 'tx.count', state: 'committed', count: 1 },
      { name: 'tx.count', state: 'prepared', count: 1 },
    ]);
    const prepared = await listTransactions(postbox.db, { state: 'prepared' });
    expect(prepared.map((t) => t.transactionId)).toContain(b);
    expect(prepared.map((t) => t.transactionId)).not.toContain(a);
    expect((await listTransactions(postbox.db, { limit: 1 })).map((t) => t.transactionId)).toEqual([b]);
  });

  it('samples once per interval for the whole service and pushes each sample to subscribers', async () => {
    await postbox.createQueue('sampled.q');
    await postbox.sendBatch('sampled.q', [{ body: 1 }, { body: 2 }]);
    const sampler = new StatsSampler(postbox, { ...DEFAULT_SERVER_OPTIONS, dashboardSampleMs: 100 });
    const seen: Sample[] = [];
    const stop = sampler.subscribe((s) => seen.push(s));
    sampler.onModuleInit();
    try {
      await until(() => seen.length >= 3);
      expect(sampler.history.capacity).toBe(36_000);
      const last = seen.at(-1) as Sample;
      expect(last.queues.find((q) => q.name === 'sampled.q')).toMatchObject({ ready: 2, dead: 0 });
      expect(last.rates).not.toBeNull();
    } finally {
      stop();
      await sampler.onModuleDestroy();
    }
  });
});
