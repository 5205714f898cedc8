import { Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { prometheusMetrics } from '../../libs/core/src/metrics/prometheus-metrics';
import type { Postbox } from '../../libs/core/src/postbox';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

/** The value of one series in Prometheus text ("name{labels} value"), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics the core reports (prometheusMetrics adapter)', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  const registry = new Registry();
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox({ metrics: prometheusMetrics(registry) });
  });

  it('counts sends, deliveries, acks, retries and dead letters per queue, and times handlers end to end', async () => {
    await postbox.createQueue('m.work', { maxAttempts: 2, backoff: { initialMs: 10, maxMs: 10 } });
    await postbox.sendBatch('m.work', [{ body: 1 }, { body: 2 }, { body: 'bad' }, { body: 3, dedupKey: 'k' }]);
    await postbox.send('m.work', { body: 'dup', dedupKey: 'k' }); // a duplicate: not sent again
    const consumer = await postbox.consume(
      'm.work',
      (m) => {
        if (m.body === 'bad') throw new Error('bad body');
      },
      { pollIntervalMs: 20 },
    );
    await postbox.send('m.work', { body: 4 }); // sent while listening: its NOTIFY reaches the listener
    await until(async () => (await postbox.getQueueStats('m.work')).dead === 1 && consumer.stats.acked === 4);
    await consumer.stop();
    const text = await registry.metrics();
    const q = '{queue="m.work"}';
    expect(sample(text, `postbox_messages_sent_total${q}`)).toBe(5);
    // 5 first deliveries + 1 retry of "bad"
    expect(sample(text, `postbox_messages_delivered_total${q}`)).toBe(6);
    expect(sample(text, `postbox_messages_redelivered_total${q}`)).toBe(1);
    expect(sample(text, `postbox_messages_acked_total${q}`)).toBe(4);
    expect(sample(text, `postbox_messages_retried_total${q}`)).toBe(1);
    expect(sample(text, `postbox_messages_dead_lettered_total${q}`)).toBe(1);
    expect(sample(text, 'postbox_handler_duration_seconds_count{queue="m.work",outcome="success"}')).toBe(4);
    expect(sample(text, 'postbox_handler_duration_seconds_count{queue="m.work",outcome="failure"}')).toBe(2);
    expect(sample(text, `postbox_end_to_end_latency_seconds_count${q}`)).toBe(4);
    expect(sample(text, `postbox_claim_duration_seconds_count${q}`)).toBeGreaterThanOrEqual(2);
    // The listener woke the consumer: connected, and a notification seen seconds ago at most.
    expect(sample(text, 'postbox_listener_connected')).toBe(1);
    const age = sample(text, 'postbox_listener_last_notification_age_seconds') ?? -1;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
  });

  it('counts receive and ack over the client API (what the REST service calls), and lock-mode consumers', async () => {
    await postbox.createQueue('m.rest');
    await postbox.sendBatch('m.rest', [{ body: 'a' }, { body: 'b' }]);
    const got = await postbox.receive('m.rest', { max: 2 });
    await postbox.ack('m.rest', [got[0]?.receipt as string, '999999.1']);
    await postbox.nack('m.rest', [{ receipt: got[1]?.receipt as string }]);
    await postbox.createQueue('m.lock');
    await postbox.sendBatch('m.lock', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    let handled = 0;
    const consumer = await postbox.consume('m.lock', () => void handled++, { claimMode: 'lock', pollIntervalMs: 20 });
    await until(() => consumer.stats.acked === 3);
    await consumer.stop();
    const text = await registry.metrics();
    expect(sample(text, 'postbox_messages_delivered_total{queue="m.rest"}')).toBe(2);
    expect(sample(text, 'postbox_messages_acked_total{queue="m.rest"}')).toBe(1);
    expect(sample(text, 'postbox_messages_retried_total{queue="m.rest"}')).toBe(1);
    expect(sample(text, 'postbox_messages_delivered_total{queue="m.lock"}')).toBe(3);
    expect(sample(text, 'postbox_messages_acked_total{queue="m.lock"}')).toBe(3);
    expect(handled).toBe(3);
  });

  it('counts half messages by the state they reach', async () => {
    await postbox.createQueue('m.tx');
    const a = await postbox.prepare({ queue: 'm.tx' }, { body: 'a' });
    const b = await postbox.prepare({ queue: 'm.tx' }, { body: 'b' });
    await postbox.commitTransaction(a);
    await postbox.rollbackTransaction(b);
    const text = await registry.metrics();
    expect(sample(text, 'postbox_transactions_total{state="prepared"}')).toBe(2);
    expect(sample(text, 'postbox_transactions_total{state="committed"}')).toBe(1);
    expect(sample(text, 'postbox_transactions_total{state="rolledBack"}')).toBe(1);
  });

  it('counts check-back outcomes, and an expiry as a half message state', async () => {
    await postbox.createQueue('m.check');
    const unregister = postbox.registerChecker('m.check', (tx) => (tx.message.body === 'yes' ? 'commit' : 'unknown'));
    const yes = await postbox.prepare({ queue: 'm.check' }, { body: 'yes' }, { checkAfterMs: 0 });
    const maybe = await postbox.prepare({ queue: 'm.check' }, { body: 'maybe' }, { checkAfterMs: 0, maxChecks: 1 });
    const runner = postbox.startCheckbackRunner({ pollIntervalMs: 20 });
    await until(async () => (await postbox.getTransaction(maybe)).state === 'expired');
    await until(async () => (await postbox.getTransaction(yes)).state === 'committed');
    await runner.stop();
    unregister();
    const text = await registry.metrics();
    expect(sample(text, 'postbox_checkbacks_total{outcome="committed"}')).toBe(1);
    expect(sample(text, 'postbox_checkbacks_total{outcome="expired"}')).toBe(1);
    expect(sample(text, 'postbox_transactions_total{state="expired"}')).toBe(1);
  });
});
