import type { INestApplication } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type HandlerContext,
  PostboxClient,
  PostboxModule,
  type ReceivedMessage,
  TopicHandler,
} from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

/** What each group saw; per application instance. */
@Injectable()
class Received {
  readonly billing: unknown[] = [];
  readonly audit: unknown[] = [];
}

@Injectable()
class OrderEventHandlers {
  constructor(private readonly received: Received) {}

  @TopicHandler('order-events', 'billing', {
    tags: ['paid'],
    exactlyOnce: true,
    subscription: { maxAttempts: 2 },
  })
  async bill(message: ReceivedMessage, { trx }: HandlerContext) {
    if (!trx) throw new Error('exactlyOnce should give a transaction');
    this.received.billing.push(message.body);
  }

  @TopicHandler('order-events', 'audit', { concurrency: 1 })
  audit(message: ReceivedMessage) {
    this.received.audit.push(message.body);
  }
}

describe('PostboxModule: @TopicHandler consumer groups', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let app: INestApplication;
  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
  });

  it('subscribes each group at bootstrap and fans a publish out to every matching group', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [PostboxModule.forRoot({ connectionString: db.url, topics: [{ name: 'order-events' }] })],
      providers: [Received, OrderEventHandlers],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const client = app.get(PostboxClient);
      const topic = await client.getTopic('order-events');
      expect(topic.subscriptions.map((s) => [s.group, s.queue, s.tags])).toEqual([
        ['audit', 'order-events.audit', null],
        ['billing', 'order-events.billing', ['paid']],
      ]);
      expect((await client.getQueue('order-events.billing')).maxAttempts).toBe(2);

      // Published inside a rolled-back transaction: no group gets it.
      await expect(
        client.transaction(async (trx) => {
          await client.publish('order-events', { body: 'never', tag: 'paid' }, { trx });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const placed = await client.publish('order-events', { body: 'placed #1', tag: 'placed' });
      const paid = await client.transaction((trx) =>
        client.publish('order-events', { body: 'paid #1', tag: 'paid' }, { trx }),
      );
      expect([placed.deliveredTo, paid.deliveredTo]).toEqual([1, 2]);

      const received = app.get(Received);
      await until(() => received.audit.length === 2 && received.billing.length === 1, { what: 'fan-out handled' });
      expect(received.audit).toEqual(['placed #1', 'paid #1']);
      expect(received.billing).toEqual(['paid #1']);
      // The handler ran; its inbox row commits with the ack just after it returns.
      const inboxRows = async () => (await sql.query('select consumer from postbox.inbox')).rows;
      await until(async () => (await inboxRows()).length > 0, { what: 'the exactly-once commit' });
      expect(await inboxRows()).toEqual([{ consumer: 'OrderEventHandlers.bill' }]);
    } finally {
      await app.close();
    }
  });

  it('fails to boot, naming the handler, when the topic does not exist', async () => {
    @Injectable()
    class LostHandler {
      @TopicHandler('no-such-topic', 'billing')
      handle() {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [PostboxModule.forRoot({ connectionString: db.url })],
      providers: [LostHandler],
    }).compile();
    const other = moduleRef.createNestApplication({ logger: false });
    await expect(other.init()).rejects.toThrow(
      `@TopicHandler('no-such-topic', 'billing') on LostHandler.handle could not start: topic "no-such-topic" does not exist`,
    );
    await other.close();
  });
});
