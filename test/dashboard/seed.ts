import type { Postbox } from '../../libs/core/src/postbox';

/**
 * A small but lively installation: a few queues in every state, a FIFO
 * queue, a topic with two groups, dead letters with errors and half
 * messages. Used by the browser tests and the screenshots.
 */
export async function seed(postbox: Postbox): Promise<void> {
  await postbox.createQueue('orders', { maxAttempts: 1, visibilityTimeoutMs: 60_000 });
  await postbox.createQueue('payments', { fifo: true, maxAttempts: 5 });
  await postbox.createQueue('emails', { maxAttempts: 3 });
  await postbox.sendBatch(
    'orders',
    Array.from({ length: 40 }, (_, i) => ({
      body: {
        orderId: 1000 + i,
        customer: `customer-${i % 7}`,
        total: Math.round((i * 13.37 + 9) * 100) / 100,
        items: [{ sku: `SKU-${i % 5}`, qty: 1 + (i % 3) }],
      },
      headers: { 'content-type': 'application/json', tenant: i % 2 ? 'acme' : 'globex' },
      groupKey: `customer-${i % 7}`,
    })),
  );
  await postbox.sendBatch('orders', [
    { body: { orderId: 2000, note: 'scheduled' }, delayMs: 3_600_000, headers: { tenant: 'acme' } },
    { body: { orderId: 2001, note: 'scheduled' }, delayMs: 7_200_000 },
  ]);
  // Two dead letters with their errors, and three in flight.
  const failing = await postbox.receive('orders', { max: 2 });
  await postbox.nack(
    'orders',
    failing.map((m, i) => ({
      receipt: m.receipt,
      error: i
        ? 'TypeError: cannot read properties of undefined (reading "sku")'
        : 'payment gateway timeout after 30000 ms',
    })),
  );
  await postbox.receive('orders', { max: 3 });
  await postbox.sendBatch(
    'payments',
    Array.from({ length: 12 }, (_, i) => ({
      body: { paymentId: `pay_${i}`, amount: 10 * i },
      groupKey: `account-${i % 3}`,
    })),
  );
  await postbox.sendBatch(
    'emails',
    Array.from({ length: 5 }, (_, i) => ({ body: { to: `user${i}@example.com`, template: 'welcome' } })),
  );

  await postbox.createTopic('events', { retentionMs: 86_400_000 });
  await postbox.subscribe('events', 'billing');
  await postbox.subscribe('events', 'audit', { tags: ['order.created'] });
  for (let i = 0; i < 6; i++)
    await postbox.publish('events', { body: { event: 'order.created', orderId: 1000 + i }, tag: 'order.created' });

  await postbox.prepare({ queue: 'orders' }, { body: { orderId: 3000, pending: true } }, { checkAfterMs: 600_000 });
  await postbox.prepare({ queue: 'emails' }, { body: { to: 'late@example.com' } }, { checkAfterMs: 600_000 });
  const committed = await postbox.prepare({ topic: 'events' }, { body: { event: 'order.paid' }, tag: 'order.paid' });
  await postbox.commitTransaction(committed);
  const rolledBack = await postbox.prepare({ queue: 'orders' }, { body: { orderId: 3001 } });
  await postbox.rollbackTransaction(rolledBack);
}
