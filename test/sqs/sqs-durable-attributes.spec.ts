import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { rejection, useSqsTestServer } from './sqs-test-server';

/**
 * The queue attributes an SQS client sets must survive a restart and be the
 * same in every service instance: two services (each its own Postbox, one
 * database) stand for two instances; what one sets, the other reads and
 * applies.
 */
describe('SQS queue attributes are durable and shared between service instances', () => {
  const a = useSqsTestServer();
  // A second instance of the service: its own Postbox on the same database.
  const b = useSqsTestServer({ sameDatabaseAs: a });

  const queueRow = async (name: string) =>
    (
      await a.client.query(
        `select protocol_attributes, max_message_bytes, message_ttl_ms::int as message_ttl_ms, expired_to
           from postbox.queues where name = $1`,
        [name],
      )
    ).rows[0];
  const attributesVia = async (sqs: SQSClient, url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};

  it('CreateQueue on one instance: the other reports every attribute and applies DelaySeconds and the size limit', async () => {
    const { QueueUrl } = await a.sqs.send(
      new CreateQueueCommand({
        QueueName: 'durable-std',
        Attributes: {
          DelaySeconds: '5',
          ReceiveMessageWaitTimeSeconds: '1',
          MaximumMessageSize: '1024',
          MessageRetentionPeriod: '120',
        },
      }),
    );
    const url = QueueUrl as string;
    expect(await queueRow('durable-std')).toEqual({
      protocol_attributes: { 'sqs.DelaySeconds': 5, 'sqs.ReceiveMessageWaitTimeSeconds': 1 },
      max_message_bytes: 1024,
      message_ttl_ms: 120_000,
      expired_to: 'drop',
    });
    expect(await attributesVia(b.sqs, url)).toMatchObject({
      DelaySeconds: '5',
      ReceiveMessageWaitTimeSeconds: '1',
      MaximumMessageSize: '1024',
      MessageRetentionPeriod: '120',
    });

    // A send through B without DelaySeconds takes the queue's 5 s.
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later' }));
    const { rows } = await a.client.query(
      `select extract(epoch from available_at - enqueued_at)::float as delay,
              extract(epoch from expires_at - enqueued_at)::float as ttl
         from postbox.messages where queue = 'durable-std'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].delay).toBeCloseTo(5, 1);
    expect(rows[0].ttl).toBeCloseTo(120, 1);
    expect(
      (await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }))).Messages ?? [],
    ).toHaveLength(0);
    expect((await attributesVia(a.sqs, url)).ApproximateNumberOfMessagesDelayed).toBe('1');

    // MaximumMessageSize 1024 through B: SQS's error, nothing stored.
    const tooLarge = await rejection(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1025) })),
    );
    expect(tooLarge.name).toBe('InvalidParameterValue');
    expect(tooLarge.message).toBe(
      'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
    );
    // Exactly the limit passes SQS's measure but not the core's (the body as JSON text: 2 quotes more), which
    // refuses it with SQS's error code and its own reason (queue-attributes.ts: the one known gap).
    const atLimit = await rejection(
      b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1024) })),
    );
    expect(atLimit.name).toBe('InvalidParameterValue');
    expect(atLimit.message).toBe(
      'One or more parameters are invalid. Reason: message is 1026 bytes, more than queue "durable-std" allows (maxMessageBytes 1024).',
    );
    await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1000) }));
    expect(
      (await a.client.query(`select count(*)::int as n from postbox.messages where queue = 'durable-std'`)).rows[0].n,
    ).toBe(2);
  });

  it('MessageRetentionPeriod drops an expired message (no dead letter), as SQS deletes it', async () => {
    const { QueueUrl } = await a.sqs.send(new CreateQueueCommand({ QueueName: 'durable-retention' }));
    const url = QueueUrl as string;
    // CreateQueue gives SQS's default 4 days.
    expect(await queueRow('durable-retention')).toMatchObject({ message_ttl_ms: 345_600_000, expired_to: 'drop' });
    await b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MessageRetentionPeriod: '60' } }));
    expect((await attributesVia(a.sqs, url)).MessageRetentionPeriod).toBe('60');
    await a.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    const { rows } = await a.client.query(
      `select extract(epoch from expires_at - enqueued_at)::float as ttl from postbox.messages where queue = 'durable-retention'`,
    );
    expect(rows[0].ttl).toBeCloseTo(60, 1);
    // 60 s is SQS's least period; age the message instead of waiting.
    await a.client.query(
      `update postbox.messages set expires_at = now() - interval '1 second' where queue = 'durable-retention'`,
    );
    expect(
      (await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }))).Messages ?? [],
    ).toHaveLength(0);
    expect(
      (await a.client.query(`select count(*)::int as n from postbox.messages where queue = 'durable-retention'`))
        .rows[0].n,
    ).toBe(0);
    expect(
      (await a.client.query(`select count(*)::int as n from postbox.dead_letters where queue = 'durable-retention'`))
        .rows[0].n,
    ).toBe(0);
  });

  it('ContentBasedDeduplication set on one instance dedups by body on the other; turned off, it is required again', async () => {
    const { QueueUrl } = await a.sqs.send(
      new CreateQueueCommand({
        QueueName: 'durable.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    const url = QueueUrl as string;
    expect((await attributesVia(b.sqs, url)).ContentBasedDeduplication).toBe('true');
    const first = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    const again = await b.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    expect(again.MessageId).toBe(first.MessageId);
    expect(
      (await a.client.query(`select count(*)::int as n from postbox.messages where queue = 'durable.fifo'`)).rows[0].n,
    ).toBe(1);

    await b.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ContentBasedDeduplication: 'false' } }),
    );
    expect((await queueRow('durable.fifo')).protocol_attributes).toEqual({ 'sqs.ContentBasedDeduplication': false });
    const refused = await rejection(
      a.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'other', MessageGroupId: 'g' })),
    );
    expect(refused.name).toBe('InvalidParameterValue');
    expect(refused.message).toBe(
      'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
    );
  });

  it('ReceiveMessageWaitTimeSeconds set on one instance makes the other long-poll; concurrent sets of different attributes both land', async () => {
    const { QueueUrl } = await a.sqs.send(new CreateQueueCommand({ QueueName: 'durable-wait' }));
    const url = QueueUrl as string;
    expect((await queueRow('durable-wait')).protocol_attributes).toEqual({});
    await Promise.all([
      a.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ReceiveMessageWaitTimeSeconds: '1' } })),
      b.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: '3' } })),
    ]);
    expect((await queueRow('durable-wait')).protocol_attributes).toEqual({
      'sqs.DelaySeconds': 3,
      'sqs.ReceiveMessageWaitTimeSeconds': 1,
    });
    const started = Date.now();
    const { Messages } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(Messages ?? []).toHaveLength(0);
    // Waited the queue's 1 s (a lower bound only: the machine is noisy).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('a restarted service reads the attributes back; a refused SetQueueAttributes changes nothing', async () => {
    await a.restart();
    const url = `${a.server.url}/000000000000/durable-std`;
    expect(await attributesVia(a.sqs, url)).toMatchObject({
      DelaySeconds: '5',
      ReceiveMessageWaitTimeSeconds: '1',
      MaximumMessageSize: '1024',
      MessageRetentionPeriod: '120',
    });
    const before = await queueRow('durable-std');
    const refused = await rejection(
      a.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          // VisibilityTimeout above SQS's 12 hours: the whole request is refused.
          Attributes: { DelaySeconds: '0', MaximumMessageSize: '2048', VisibilityTimeout: '43201' },
        }),
      ),
    );
    expect(refused.name).toBe('InvalidAttributeValue');
    expect(await queueRow('durable-std')).toEqual(before);
  });

  it('setProtocolAttributes merges, null removes a key, a missing queue is QueueNotFoundError', async () => {
    await a.postbox.createQueue('durable-core');
    expect(await a.postbox.setProtocolAttributes('durable-core', { 'x.a': 1, 'x.b': 'two' })).toEqual({
      'x.a': 1,
      'x.b': 'two',
    });
    expect(await b.postbox.setProtocolAttributes('durable-core', { 'x.a': null, 'x.c': true })).toEqual({
      'x.b': 'two',
      'x.c': true,
    });
    expect(await b.postbox.getProtocolAttributes('durable-core')).toEqual({ 'x.b': 'two', 'x.c': true });
    await expect(a.postbox.getProtocolAttributes('no-such-queue')).rejects.toMatchObject({
      name: 'QueueNotFoundError',
    });
    await expect(a.postbox.setProtocolAttributes('no-such-queue', { 'x.a': 1 })).rejects.toMatchObject({
      name: 'QueueNotFoundError',
    });
  });
});
