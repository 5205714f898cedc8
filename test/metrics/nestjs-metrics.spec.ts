import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { prometheusMetrics } from '../../libs/core/src/metrics/prometheus-metrics';
import { PostboxClient, PostboxModule, QueueHandler, type ReceivedMessage } from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

@Injectable()
class CountingHandler {
  readonly bodies: unknown[] = [];

  @QueueHandler('metered')
  handle(message: ReceivedMessage) {
    this.bodies.push(message.body);
  }
}

describe('PostboxModule.forRoot({ metrics }): an app using the NestJS module gets the core metrics', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await useTestDatabase();
  });

  it("counts the app's sends, deliveries and acks in the app's registry, with handler timings", async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        PostboxModule.forRoot({
          connectionString: db.url,
          maintenance: false,
          queues: [{ name: 'metered' }],
          metrics: prometheusMetrics(registry),
        }),
      ],
      providers: [CountingHandler],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const client = app.get(PostboxClient);
      await client.sendBatch('metered', [{ body: 1 }, { body: 2 }, { body: 3 }]);
      await until(() => app.get(CountingHandler).bodies.length === 3);
      await until(async () => (await registry.metrics()).includes('postbox_messages_acked_total{queue="metered"} 3'));
      const text = await registry.metrics();
      expect(text).toContain('postbox_messages_sent_total{queue="metered"} 3');
      expect(text).toContain('postbox_messages_delivered_total{queue="metered"} 3');
      expect(text).toContain('postbox_handler_duration_seconds_count{queue="metered",outcome="success"} 3');
    } finally {
      await app.close();
    }
  });
});
