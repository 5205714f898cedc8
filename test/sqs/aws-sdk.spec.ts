import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { md5OfAttributes } from '../../apps/server/src/sqs/md5-of-message';
import { sleep } from '../server/test-server';
import { ACCOUNT, rejection, useSqsTestServer } from './sqs-test-server';

describe('SQS endpoint with @aws-sdk/client-sqs (AWS JSON 1.0)', () => {
  const t = useSqsTestServer();

  const rows = async (queue: string) =>
    (
      await t.client.query(
        'select m.id::text as id, body, headers, group_key, dedup_key, attempts from postbox.messages m where queue = $1 order by m.id',
        [queue],
      )
    ).rows;

  it('computes MD5OfMessageAttributes as SQS does (published vectors)', () => {
    expect(md5OfAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } })).toBe(
      'cd28f3b68aeee4b2eac9c66f2f694b58',
    );
    expect(
      md5OfAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });

  it('creates, finds, lists and describes queues; the queue row carries the mapped settings', async () => {
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '45', DelaySeconds: '0' } }),
    );
    expect(QueueUrl).toBe(`${t.server.url}/${ACCOUNT}/orders`);
    // Same attributes again: the same URL; other attributes: QueueNameExists (query code QueueAlreadyExists).
    expect((await t.sqs.send(new CreateQueueCommand({ QueueName: 'orders' }))).QueueUrl).toBe(QueueUrl);
    const exists = await rejection(
      t.sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '10' } })),
    );
    expect(exists.name).toBe('QueueNameExists');
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'orders-eu' }));
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'billing' }));
    expect((await t.sqs.send(new GetQueueUrlCommand({ QueueName: 'billing' }))).QueueUrl).toBe(
      `${t.server.url}/${ACCOUNT}/billing`,
    );
    const listed = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'orders' }));
    expect(listed.QueueUrls).toEqual([`${t.server.url}/${ACCOUNT}/orders`, `${t.server.url}/${ACCOUNT}/orders-eu`]);
    const { rows: queues } = await t.client.query(
      "select visibility_timeout_ms, max_attempts, fifo from postbox.queues where name = 'orders'",
    );
    expect(queues).toEqual([{ visibility_timeout_ms: 45_000, max_attempts: 1000, fifo: false }]);

    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b', DelaySeconds: 60 }));
    await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'c' }));
    const { Attributes } = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      VisibilityTimeout: '45',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      MaximumMessageSize: '1048576',
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`,
    });
    expect(Number(Attributes?.CreatedTimestamp)).toBeGreaterThan(1_600_000_000);
    const picked = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout'] }));
    expect(picked.Attributes).toEqual({ VisibilityTimeout: '45' });

    // Every attribute changes in place: the endpoint's own and the core's (VisibilityTimeout, RedrivePolicy).
    await t.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { ReceiveMessageWaitTimeSeconds: '2' } }));
    const changed = await t.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ReceiveMessageWaitTimeSeconds'] }),
    );
    expect(changed.Attributes).toEqual({ ReceiveMessageWaitTimeSeconds: '2' });
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'orders-dlq' }));
    await t.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          VisibilityTimeout: '5',
          RedrivePolicy: JSON.stringify({
            maxReceiveCount: 3,
            deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-dlq`,
          }),
        },
      }),
    );
    const { rows: updated } = await t.client.query(
      "select visibility_timeout_ms, max_attempts, dead_letter_queue from postbox.queues where name = 'orders'",
    );
    expect(updated).toEqual([{ visibility_timeout_ms: 5_000, max_attempts: 3, dead_letter_queue: 'orders-dlq' }]);
    const bad = await rejection(
      t.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '-1', DelaySeconds: '9' } }),
      ),
    );
    expect(bad.name).toBe('InvalidAttributeValue');
    const { rows: unchanged } = await t.client.query(
      "select visibility_timeout_ms, protocol_attributes from postbox.queues where name = 'orders'",
    );
    expect(unchanged[0].visibility_timeout_ms).toBe(5_000);
    // DelaySeconds 0 was set at CreateQueue; the refused 9 left it so.
    expect(unchanged[0].protocol_attributes).toEqual({ 'sqs.DelaySeconds': 0, 'sqs.ReceiveMessageWaitTimeSeconds': 2 });

    await t.sqs.send(new DeleteQueueCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/billing` }));
    const { rows: left } = await t.client.query("select count(*)::int as n from postbox.queues where name = 'billing'");
    expect(left[0].n).toBe(0);
  });

  it('answers errors with SQS names and codes', async () => {
    const missing = await rejection(t.sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })));
    expect(missing.name).toBe('QueueDoesNotExist');
    expect(missing.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect((missing.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    const sendMissing = await rejection(
      t.sqs.send(new SendMessageCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/nope`, MessageBody: 'x' })),
    );
    expect(sendMissing.name).toBe('QueueDoesNotExist');
    const receiveMissing = await rejection(
      t.sqs.send(new ReceiveMessageCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/nope` })),
    );
    expect(receiveMissing.name).toBe('QueueDoesNotExist');

    const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'errors' }));
    const badAttribute = await rejection(
      t.sqs.send(new CreateQueueCommand({ QueueName: 'errors2', Attributes: { Colour: 'blue' } as never })),
    );
    expect(badAttribute.name).toBe('InvalidAttributeName');
    const badReceipt = await rejection(t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' })));
    expect(badReceipt.name).toBe('ReceiptHandleIsInvalid');
    const badBatch = await rejection(t.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] })));
    expect(badBatch.name).toBe('EmptyBatchRequest');
    const repeated = await rejection(
      t.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: 'a', MessageBody: '1' },
            { Id: 'a', MessageBody: '2' },
          ],
        }),
      ),
    );
    expect(repeated.name).toBe('BatchEntryIdsNotDistinct');
    const purge = await rejection(t.sqs.send(new PurgeQueueCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/nope` })));
    expect(purge.name).toBe('QueueDoesNotExist');
    const nul = await rejection(t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a\u0000b' })));
    expect(nul.name).toBe('InvalidMessageContents');
    expect(await rows('errors')).toEqual([]);

    // Signatures: a wrong secret, an unknown key id.
    const wrongSecret = t.sdk({ secret: 'not-the-secret' });
    const forged = await rejection(wrongSecret.send(new ListQueuesCommand({})));
    expect(forged.name).toBe('SignatureDoesNotMatch');
    const stranger = t.sdk({ accessKeyId: 'AKIASTRANGER' });
    const unknown = await rejection(stranger.send(new ListQueuesCommand({})));
    expect(unknown.name).toBe('InvalidClientTokenId');
  });

  it('sends a batch with attributes; the rows are Postbox messages; receive checks the MD5s', async () => {
    const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'batch' }));
    const sent = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          {
            Id: 'one',
            MessageBody: '{"order":1}',
            MessageAttributes: {
              ordinal: { DataType: 'Number', StringValue: '1' },
              category: { DataType: 'String', StringValue: 'test' },
            },
          },
          {
            Id: 'two',
            MessageBody: 'plain text ü',
            MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) } },
          },
          { Id: 'bad', MessageBody: '' },
        ],
      }),
    );
    expect(sent.Successful?.map((s) => s.Id)).toEqual(['one', 'two']);
    expect(sent.Successful?.[0]?.MD5OfMessageAttributes).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(sent.Failed).toEqual([expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'MissingParameter' })]);
    const stored = await rows('batch');
    expect(stored.map((r) => r.id)).toEqual(sent.Successful?.map((s) => s.MessageId));
    expect(stored[0]).toMatchObject({
      body: '{"order":1}',
      headers: { ordinal: '1', category: 'test', 'x-postbox-sqs-types': '{"ordinal":"Number"}' },
    });
    expect(stored[1]).toMatchObject({ body: 'plain text ü', headers: { blob: 'AAEC/w==' } });

    const received = await t.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'ApproximateFirstReceiveTimestamp'],
      }),
    );
    expect(received.Messages?.map((m) => m.Body)).toEqual(['{"order":1}', 'plain text ü']);
    const [first, second] = received.Messages ?? [];
    expect(first?.MD5OfMessageAttributes).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(first?.MessageAttributes).toEqual({
      ordinal: { DataType: 'Number', StringValue: '1' },
      category: { DataType: 'String', StringValue: 'test' },
    });
    expect(Array.from(second?.MessageAttributes?.blob?.BinaryValue ?? [])).toEqual([0, 1, 2, 255]);
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(first?.Attributes?.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(first?.Attributes?.ApproximateFirstReceiveTimestamp).toBeDefined();

    const deleted = await t.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: (received.Messages ?? []).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(deleted.Successful).toHaveLength(2);
    expect(await rows('batch')).toEqual([]);
  });

  it('long-polls: a receive waiting 10 s gets a message sent while it waits', async () => {
    const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'long-poll' }));
    const waiting = t.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await sleep(300);
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'woken' }));
    const { Messages } = await waiting;
    expect(Messages?.map((m) => m.Body)).toEqual(['woken']);
  });

  it('changes visibility, deletes; a stale receipt deletes nothing and still succeeds', async () => {
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({ QueueName: 'visibility', Attributes: { VisibilityTimeout: '30' } }),
    );
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'm' }));
    const first = (await t.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.[0];
    expect(first?.Body).toBe('m');
    expect((await t.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    // Visible again at once, under the same lease: the next receive gets it with a new receipt.
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    const second = (
      await t.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      )
    ).Messages?.[0];
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    const stale = await rejection(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 5 }),
      ),
    );
    expect(stale.name).toBe('InvalidParameterValue');
    // SQS's DeleteMessage with an old receipt succeeds and deletes nothing.
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first?.ReceiptHandle }));
    expect(await rows('visibility')).toHaveLength(1);
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: second?.ReceiptHandle }));
    expect(await rows('visibility')).toEqual([]);
  });

  it('FIFO: order per group, dedup by id and by content, group key and dedup key in the rows', async () => {
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({
        QueueName: 'jobs.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    const send = (body: string, group: string, dedup?: string) =>
      t.sqs.send(
        new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup }),
      );
    const a1 = await send('a1', 'A', 'a1');
    await send('b1', 'B');
    await send('a2', 'A', 'a2');
    const again = await send('a1 again', 'A', 'a1');
    expect(again.MessageId).toBe(a1.MessageId);
    await send('b1', 'B'); // same content: deduplicated by sha256(body)
    expect(a1.SequenceNumber).toBe(a1.MessageId);
    const stored = await rows('jobs.fifo');
    expect(stored.map((r) => [r.body, r.group_key])).toEqual([
      ['a1', 'A'],
      ['b1', 'B'],
      ['a2', 'A'],
    ]);
    expect(stored[0]?.dedup_key).toBe('a1');
    expect(stored[1]?.dedup_key).toMatch(/^[0-9a-f]{64}$/);

    // One in flight per group: the first receive gets the heads of A and B only.
    const heads = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'] }),
    );
    expect(heads.Messages?.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([
      ['a1', 'A'],
      ['b1', 'B'],
    ]);
    for (const m of heads.Messages ?? [])
      await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    const next = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(next.Messages?.map((m) => m.Body)).toEqual(['a2']);

    const noGroup = await rejection(t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })));
    expect(noGroup.name).toBe('MissingParameter');
    const plain = await t.sqs.send(
      new CreateQueueCommand({ QueueName: 'nodedup.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    const noDedup = await rejection(
      t.sqs.send(new SendMessageCommand({ QueueUrl: plain.QueueUrl, MessageBody: 'x', MessageGroupId: 'g' })),
    );
    expect(noDedup.name).toBe('InvalidParameterValue');
  });

  it('redrive policy: after maxReceiveCount receives the message moves to the dead-letter queue', async () => {
    const dlq = await t.sqs.send(new CreateQueueCommand({ QueueName: 'work-dlq' }));
    const dlqArn = (
      await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const policy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({ QueueName: 'work', Attributes: { RedrivePolicy: policy, VisibilityTimeout: '1' } }),
    );
    const { rows: queue } = await t.client.query(
      "select max_attempts, dead_letter_queue from postbox.queues where name = 'work'",
    );
    expect(queue).toEqual([{ max_attempts: 2, dead_letter_queue: 'work-dlq' }]);
    const attributes = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(attributes.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: 2,
    });
    const sources = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.QueueUrl }));
    expect(sources.queueUrls).toEqual([QueueUrl]);

    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    for (let receive = 1; receive <= 2; receive++) {
      const { Messages } = await t.sqs.send(
        new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['All'] }),
      );
      expect(Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(receive));
      // Not deleted: the 1 s lease runs out.
    }
    await sleep(1_100);
    expect((await t.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    const dead = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MessageAttributeNames: ['All'] }),
    );
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison']);
    expect(dead.Messages?.[0]?.MessageAttributes?.['x-postbox-dead-letter-from']?.StringValue).toBe('work');
    expect(await rows('work')).toEqual([]);
  });

  it('messages cross over: SQS → REST and library, REST → SQS', async () => {
    const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'bridge' }));
    await t.sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'from sqs',
        MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
      }),
    );
    const auth = { authorization: `Bearer ${'sqs-test-secret'}` };
    const rest = await t.server.request('POST', '/v1/queues/bridge/receive', { body: { max: 10 }, headers: auth });
    expect(rest.body.messages.map((m: { body: unknown; headers: unknown }) => [m.body, m.headers])).toEqual([
      ['from sqs', { tenant: 'acme' }],
    ]);
    await t.server.request('POST', '/v1/queues/bridge/ack', {
      body: { receipts: [rest.body.messages[0].receipt] },
      headers: auth,
    });

    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'for the library' }));
    const [viaLibrary] = await t.postbox.receive('bridge');
    expect(viaLibrary?.body).toBe('for the library');
    // The library's receipt is an SQS receipt handle.
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: viaLibrary?.receipt }));

    await t.server.request('POST', '/v1/queues/bridge/messages', {
      body: { body: { total: 42 }, headers: { source: 'rest' } },
      headers: auth,
    });
    await t.postbox.send('bridge', { body: 'from the library' });
    const { Messages } = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    expect(Messages?.map((m) => m.Body)).toEqual(['{"total":42}', 'from the library']);
    expect(Messages?.[0]?.MessageAttributes).toEqual({ source: { DataType: 'String', StringValue: 'rest' } });
    expect(await rows('bridge')).toHaveLength(2);
  });
});
