import { beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { sleep } from '../setup/until';

describe('competing consumers', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await useTestDatabase();
  });

  it('4 consumers in separate pools, 5,000 messages: every id delivered exactly once while leases hold', async () => {
    const producer = await db.postbox();
    await producer.createQueue('shared', { visibilityTimeoutMs: 120_000 });
    const total = 5_000;
    for (let i = 0; i < total; i += 1000) {
      await producer.sendBatch(
        'shared',
        Array.from({ length: 1000 }, (_, j) => ({ body: i + j })),
      );
    }
    const deliveries = new Map<string, number>();
    const perConsumer = [0, 0, 0, 0];
    const consumers = await Promise.all(
      [0, 1, 2, 3].map(async (n) => {
        const postbox = await db.postbox();
        return postbox.consume(
          'shared',
          (m) => {
            deliveries.set(m.id, (deliveries.get(m.id) ?? 0) + 1);
            perConsumer[n] = (perConsumer[n] as number) + 1;
          },
          { concurrency: 8, batchSize: 25 },
        );
      }),
    );
    const deadline = Date.now() + 120_000;
    while ([...deliveries.values()].length < total && Date.now() < deadline) await sleep(50);
    await Promise.all(consumers.map((c) => c.stop()));
    expect(deliveries.size).toBe(total);
    expect([...deliveries.values()].filter((count) => count !== 1)).toEqual([]);
    // Every consumer took part (SKIP LOCKED spreads the work instead of serializing it).
    expect(perConsumer.every((count) => count > 0)).toBe(true);
    const stats = await producer.getQueueStats('shared');
    expect(stats.ready + stats.inFlight + stats.delayed).toBe(0);
  });
});
