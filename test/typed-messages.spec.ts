import type pg from 'pg';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type Postbox, type ReceivedMessage, UnrecoverableError } from '../libs/core/src/index';
import { openTestPostbox } from './setup/test-database';
import { until } from './setup/until';

/** Issue 11 item 6: bodies typed end to end, checked at runtime by any Standard Schema validator (zod here). */
describe('typed messages', () => {
  let postbox: Postbox;
  let sql: pg.Client;
  beforeAll(async () => {
    const opened = await openTestPostbox();
    postbox = opened.postbox;
    sql = await opened.db.client();
  });

  const Order = z.object({ orderId: z.string().min(1), amountCents: z.coerce.number().int().positive() });

  for (const claimMode of ['lease', 'lock'] as const) {
    it(`hands the schema's output to the handler and dead-letters a rejected body at once (${claimMode} mode)`, async () => {
      const queue = `typed-${claimMode}`;
      await postbox.createQueue(queue, { maxAttempts: 5 });
      const seen: { orderId: string; amountCents: number }[] = [];
      const consumer = await postbox.consume(
        queue,
        (message) => {
          expectTypeOf(message.body).toEqualTypeOf<{ orderId: string; amountCents: number }>();
          seen.push(message.body);
        },
        { bodySchema: Order, claimMode, pollIntervalMs: 50 },
      );
      // The coercion is the schema's: "250" arrives as 250.
      await postbox.send(queue, { body: { orderId: 'o-1', amountCents: '250' } });
      await postbox.send(queue, { body: { orderId: '', amountCents: -3 } });
      await until(async () => seen.length === 1 && (await postbox.peek(queue, 'dead')).length === 1);
      await consumer.stop();

      expect(seen).toEqual([{ orderId: 'o-1', amountCents: 250 }]);
      const [dead] = await postbox.peek(queue, 'dead');
      // Dead on its first attempt of five, with the validator's own words and paths.
      expect(dead?.attempts).toBe(1);
      expect(dead?.body).toEqual({ orderId: '', amountCents: -3 });
      expect(dead?.lastError).toMatch(/^UnrecoverableError: body rejected by zod: orderId: .+; amountCents: .+$/);
      expect(await postbox.peek(queue, 'ready')).toEqual([]);
    });
  }

  it("a handler's UnrecoverableError dead-letters at once, into the dead-letter queue with the headers saying why", async () => {
    await postbox.createQueue('payments.dlq');
    await postbox.createQueue('payments', { maxAttempts: 5, deadLetterQueue: 'payments.dlq' });
    let calls = 0;
    const consumer = await postbox.consume(
      'payments',
      () => {
        calls++;
        throw new UnrecoverableError('card reported stolen');
      },
      { pollIntervalMs: 50 },
    );
    const { id } = await postbox.send('payments', { body: { card: 'x' } });
    await until(async () => (await postbox.peek('payments.dlq', 'ready')).length === 1);
    await consumer.stop();
    expect(calls).toBe(1);
    const [moved] = await postbox.peek('payments.dlq', 'ready');
    expect(moved?.headers).toMatchObject({
      'x-postbox-dead-letter-from': 'payments',
      'x-postbox-original-id': id,
      'x-postbox-attempts': '1',
      'x-postbox-last-error': 'UnrecoverableError: card reported stolen',
    });
    const { rows } = await sql.query(`select count(*)::int as n from postbox.messages where queue = 'payments'`);
    expect(rows[0].n).toBe(0);
  });

  it('psql nack(receipt, error, delay, dead_letter => true) dead-letters at once; without it the message is retried', async () => {
    await postbox.createQueue('psql-dead-now', { maxAttempts: 5 });
    await postbox.sendBatch('psql-dead-now', [{ body: 1 }, { body: 2 }]);
    const { rows: claimed } = await sql.query(
      `select receipt, body from postbox.receive('psql-dead-now', 2, 30000) order by id`,
    );
    expect(claimed).toHaveLength(2);
    const { rows: outcomes } = await sql.query(
      `select postbox.nack($1, 'poison', null, dead_letter => true) as first, postbox.nack($2, 'flaky') as second`,
      [claimed[0].receipt, claimed[1].receipt],
    );
    expect(outcomes[0]).toEqual({ first: 'dead', second: 'retried' });
    const { rows: dead } = await sql.query(
      `select body, attempts, last_error from postbox.dead_letters where queue = 'psql-dead-now'`,
    );
    expect(dead).toEqual([{ body: 1, attempts: 1, last_error: 'poison' }]);
  });

  it('send<T> checks bodies at compile time; without T any JSON goes, a mixed batch included', () => {
    type Invoice = { invoiceId: number };
    const typed = (p: Postbox) => p.send<Invoice>('q', { body: { invoiceId: 7 } });
    // @ts-expect-error a body that is not an Invoice
    const wrong = (p: Postbox) => p.send<Invoice>('q', { body: { invoiceId: '7' } });
    const mixed = (p: Postbox) => p.sendBatch('q', [{ body: { n: 1 } }, { body: 'two' }, { body: [3] }]);
    expectTypeOf<ReceivedMessage<Invoice>['body']>().toEqualTypeOf<Invoice>();
    expect([typed, wrong, mixed]).toHaveLength(3);
  });
});
