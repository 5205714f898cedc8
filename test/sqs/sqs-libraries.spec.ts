import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { Producer } from 'sqs-producer';
import { describe, expect, it } from 'vitest';
import { until } from '../server/test-server';
import { useSqsTestServer } from './sqs-test-server';

/** sqs-producer and sqs-consumer (npm), unchanged, pointed at Postbox's SQS endpoint. */
describe('SQS endpoint with sqs-producer and sqs-consumer', () => {
  const t = useSqsTestServer();

  it('produces 25 messages in batches and consumes each once; a failed handler retries the message', async () => {
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({ QueueName: 'library-jobs', Attributes: { VisibilityTimeout: '20' } }),
    );
    const queueUrl = QueueUrl as string;
    const producer = Producer.create({ queueUrl, sqs: t.sqs, batchSize: 10 });
    const messages = Array.from({ length: 25 }, (_, i) => ({
      id: `m${i}`,
      body: JSON.stringify({ n: i }),
      messageAttributes: { kind: { DataType: 'String', StringValue: i % 2 ? 'odd' : 'even' } },
    }));
    const sent = await producer.send(messages);
    expect(sent).toHaveLength(25);
    expect(await producer.queueSize()).toBe(25);
    const { rows: stored } = await t.client.query(
      "select count(*)::int as n from postbox.messages where queue = 'library-jobs'",
    );
    expect(stored[0].n).toBe(25);

    const handled: number[] = [];
    const receiveCounts = new Map<number, string | undefined>();
    let failedOnce = false;
    const errors: Error[] = [];
    const consumer = Consumer.create({
      queueUrl,
      sqs: t.sqs,
      batchSize: 10,
      waitTimeSeconds: 1,
      // A thrown handler makes its message visible again at once (ChangeMessageVisibility 0).
      terminateVisibilityTimeout: true,
      messageAttributeNames: ['All'],
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      handleMessage: async (message) => {
        const { n } = JSON.parse(message.Body ?? '{}') as { n: number };
        expect(message.MessageAttributes?.kind?.StringValue).toBe(n % 2 ? 'odd' : 'even');
        if (n === 7 && !failedOnce) {
          failedOnce = true;
          throw new Error('first attempt of 7 fails');
        }
        handled.push(n);
        receiveCounts.set(n, message.Attributes?.ApproximateReceiveCount);
        return message;
      },
    });
    consumer.on('error', (error) => errors.push(error));
    consumer.start();
    try {
      await until(() => handled.length === 25);
      await until(async () => (await producer.queueSize()) === 0);
      await until(async () => {
        const { rows } = await t.client.query(
          "select count(*)::int as n from postbox.messages where queue = 'library-jobs'",
        );
        return rows[0].n === 0;
      });
    } finally {
      const stopped = new Promise((resolve) => consumer.once('stopped', () => resolve(undefined)));
      consumer.stop();
      await stopped;
    }
    expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(receiveCounts.get(7)).toBe('2');
    expect(receiveCounts.get(8)).toBe('1');
    expect(errors).toEqual([]);
  });

  it('produces to a FIFO queue; the consumer sees each group in order', async () => {
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({
        QueueName: 'library-orders.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    const queueUrl = QueueUrl as string;
    const producer = Producer.create({ queueUrl, sqs: t.sqs });
    const messages = [];
    for (let i = 0; i < 6; i++) {
      for (const group of ['g1', 'g2']) messages.push({ id: `${group}-${i}`, body: `${group}:${i}`, groupId: group });
    }
    await producer.send(messages);
    // A resend of the same bodies is deduplicated by content.
    await producer.send(messages.slice(0, 4));
    expect(await producer.queueSize()).toBe(12);

    const seen: string[] = [];
    const errors: Error[] = [];
    const consumer = Consumer.create({
      queueUrl,
      sqs: t.sqs,
      batchSize: 10,
      waitTimeSeconds: 1,
      suppressFifoWarning: true,
      handleMessage: async (message) => {
        seen.push(message.Body ?? '');
        return message;
      },
    });
    consumer.on('error', (error) => errors.push(error));
    consumer.start();
    try {
      await until(() => seen.length === 12);
      await until(async () => (await producer.queueSize()) === 0);
    } finally {
      const stopped = new Promise((resolve) => consumer.once('stopped', () => resolve(undefined)));
      consumer.stop();
      await stopped;
    }
    for (const group of ['g1', 'g2']) {
      expect(seen.filter((b) => b.startsWith(group))).toEqual(Array.from({ length: 6 }, (_, i) => `${group}:${i}`));
    }
    expect(errors).toEqual([]);
  });
});
