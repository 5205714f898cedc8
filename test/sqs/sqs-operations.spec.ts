import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { request, sleep } from '../server/test-server';
import { ACCOUNT, rejection, SQS_SECRET, useSqsTestServer } from './sqs-test-server';

const arn = (queue: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${queue}`;

describe('SQS endpoint: PurgeQueue and the message move tasks (@aws-sdk/client-sqs)', () => {
  const t = useSqsTestServer();

  const rows = async (queue: string) =>
    (
      await t.client.query(
        `select body, attempts, headers, postbox.message_state(available_at, leased_until, lease_token) as state
         from postbox.messages where queue = $1 order by id`,
        [queue],
      )
    ).rows;

  it('PurgeQueue deletes ready and delayed messages and keeps the in-flight one (its receipt still works)', async () => {
    const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'purged' }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'in flight' }));
    const { Messages } = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 60 }));
    expect(Messages?.map((m) => m.Body)).toEqual(['in flight']);
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'ready 1' }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'ready 2' }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'delayed', DelaySeconds: 600 }));
    expect((await rows('purged')).map((r) => [r.body, r.state])).toEqual([
      ['in flight', 'inFlight'],
      ['ready 1', 'ready'],
      ['ready 2', 'ready'],
      ['delayed', 'delayed'],
    ]);

    const answer = await t.sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect((await rows('purged')).map((r) => [r.body, r.state])).toEqual([['in flight', 'inFlight']]);
    const { Attributes } = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    // A message sent after the purge is kept; the in-flight message is deleted through its receipt.
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after' }));
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages?.[0]?.ReceiptHandle }));
    expect((await rows('purged')).map((r) => r.body)).toEqual(['after']);

    const missing = await rejection(
      t.sqs.send(new PurgeQueueCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/no-such-queue` })),
    );
    expect(missing.name).toBe('QueueDoesNotExist');
    expect(missing.message).toBe('The specified queue no-such-queue does not exist.');
  });

  it('PurgeQueue needs the admin scope, as the REST purge route; a produce+consume key is denied and purges nothing', async () => {
    const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'purge-scoped' }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'stays' }));
    const created = await request(t.server.url, 'POST', '/v1/keys', {
      body: { name: 'worker', scopes: ['produce', 'consume'] },
      headers: { authorization: `Bearer ${SQS_SECRET}` },
    });
    expect(created.status).toBe(201);
    const { accessKeyId, secretAccessKey } = created.body.sqs as { accessKeyId: string; secretAccessKey: string };
    const worker = t.sdk({ accessKeyId, secret: secretAccessKey });
    const denied = await rejection(worker.send(new PurgeQueueCommand({ QueueUrl })));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toBe('Access to the resource purge-scoped is denied for action PurgeQueue.');
    const moveDenied = await rejection(
      worker.send(new StartMessageMoveTaskCommand({ SourceArn: arn('purge-scoped') })),
    );
    expect(moveDenied.name).toBe('AccessDenied');
    expect((await rows('purge-scoped')).map((r) => r.body)).toEqual(['stays']);

    // An admin key limited to mv-limited*: a move "back where each came from" may reach any queue, so it is denied.
    const limited = await request(t.server.url, 'POST', '/v1/keys', {
      body: { name: 'limited-admin', scopes: ['admin'], names: 'mv-limited*' },
      headers: { authorization: `Bearer ${SQS_SECRET}` },
    });
    const keys = limited.body.sqs as { accessKeyId: string; secretAccessKey: string };
    const admin = t.sdk({ accessKeyId: keys.accessKeyId, secret: keys.secretAccessKey });
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'mv-limited-dlq' }));
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'mv-limited-to' }));
    const back = await rejection(admin.send(new StartMessageMoveTaskCommand({ SourceArn: arn('mv-limited-dlq') })));
    expect(back.name).toBe('AccessDenied');
    const outside = await rejection(
      admin.send(new StartMessageMoveTaskCommand({ SourceArn: arn('mv-limited-dlq'), DestinationArn: arn('purged') })),
    );
    expect(outside.name).toBe('AccessDenied');
    const inside = await admin.send(
      new StartMessageMoveTaskCommand({ SourceArn: arn('mv-limited-dlq'), DestinationArn: arn('mv-limited-to') }),
    );
    expect(inside.TaskHandle).toEqual(expect.any(String));
    const { rows: tasks } = await t.client.query('select source, destination from postbox.tasks where source = $1', [
      'mv-limited-dlq',
    ]);
    expect(tasks).toEqual([{ source: 'mv-limited-dlq', destination: 'mv-limited-to' }]);
  });

  it('StartMessageMoveTask moves the dead letters back; ListMessageMoveTasks shows it COMPLETED with counts', async () => {
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'mv-dlq' }));
    const policy = JSON.stringify({ deadLetterTargetArn: arn('mv-dlq'), maxReceiveCount: 1 });
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({ QueueName: 'mv-work', Attributes: { RedrivePolicy: policy, VisibilityTimeout: '30' } }),
    );
    for (const body of ['a', 'b', 'c']) await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const received = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }),
    );
    expect(received.Messages?.map((m) => m.Body).sort()).toEqual(['a', 'b', 'c']);
    // The 1 s lease runs out; the next receive finds each at its maxReceiveCount and dead-letters it.
    await sleep(1_100);
    expect(
      (await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages,
    ).toBeUndefined();
    const dead = await rows('mv-dlq');
    expect(dead.map((r) => [r.body, r.headers['x-postbox-dead-letter-from']])).toEqual([
      ['a', 'mv-work'],
      ['b', 'mv-work'],
      ['c', 'mv-work'],
    ]);
    expect(await rows('mv-work')).toEqual([]);

    const before = Date.now();
    const started = await t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('mv-dlq') }));
    expect(started.TaskHandle).toEqual(expect.any(String));
    let entry: Record<string, unknown> | undefined;
    for (let i = 0; i < 100; i++) {
      const listed = await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('mv-dlq') }));
      entry = listed.Results?.[0] as Record<string, unknown> | undefined;
      if (entry?.Status !== 'RUNNING') break;
      await sleep(50);
    }
    expect(entry).toEqual({
      Status: 'COMPLETED',
      SourceArn: arn('mv-dlq'),
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
      StartedTimestamp: expect.any(Number),
    });
    expect(entry?.StartedTimestamp as number).toBeGreaterThanOrEqual(before - 1_000);
    expect(entry?.StartedTimestamp as number).toBeLessThanOrEqual(Date.now() + 1_000);
    // Back in mv-work as sent: ready, attempts 0, the dead-letter headers dropped; the dead-letter queue is empty.
    const back = await rows('mv-work');
    expect(back.map((r) => [r.body, r.attempts, r.state])).toEqual([
      ['a', 0, 'ready'],
      ['b', 0, 'ready'],
      ['c', 0, 'ready'],
    ]);
    expect(back.every((r) => !('x-postbox-dead-letter-from' in (r.headers ?? {})))).toBe(true);
    expect(await rows('mv-dlq')).toEqual([]);
    const again = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(again.Messages?.map((m) => m.Body).sort()).toEqual(['a', 'b', 'c']);

    // A second task to a named destination, throttled: nothing left to move, so COMPLETED 0 of 0 at once.
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'mv-elsewhere' }));
    await t.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: arn('mv-dlq'),
        DestinationArn: arn('mv-elsewhere'),
        MaxNumberOfMessagesPerSecond: 100,
      }),
    );
    const newest = await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('mv-dlq') }));
    expect(newest.Results).toEqual([
      expect.objectContaining({
        Status: 'COMPLETED',
        DestinationArn: arn('mv-elsewhere'),
        MaxNumberOfMessagesPerSecond: 100,
        ApproximateNumberOfMessagesMoved: 0,
        ApproximateNumberOfMessagesToMove: 0,
      }),
    ]);
    const both = await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('mv-dlq'), MaxResults: 10 }));
    expect(both.Results?.map((r) => [r.DestinationArn, r.ApproximateNumberOfMessagesMoved])).toEqual([
      [arn('mv-elsewhere'), 0],
      [undefined, 3],
    ]);
    expect((await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('mv-work') }))).Results).toEqual([]);

    // CancelMessageMoveTask: the core cannot cancel a task, so an existing handle answers UnsupportedOperation.
    const cancel = await rejection(t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: started.TaskHandle })));
    expect(cancel.name).toBe('UnsupportedOperation');
    expect(cancel.message).toMatch(
      /^CancelMessageMoveTask is not supported by Postbox: a move task cannot be cancelled/,
    );
  });

  it('move-task errors: unknown queues, bad ARNs, rates and handles; nothing is recorded', async () => {
    const { rows: before } = await t.client.query('select count(*)::int as n from postbox.tasks');
    const unknownSource = await rejection(t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('nope-dlq') })));
    expect(unknownSource.name).toBe('ResourceNotFoundException');
    expect(unknownSource.message).toBe(
      `The resource ${arn('nope-dlq')} that you specified for the SourceArn parameter does not exist.`,
    );
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'err-dlq' }));
    const unknownDestination = await rejection(
      t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('err-dlq'), DestinationArn: arn('nope') })),
    );
    expect(unknownDestination.name).toBe('ResourceNotFoundException');
    expect(unknownDestination.message).toContain('DestinationArn');
    const otherAccount = await rejection(
      t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:123456789012:err-dlq' })),
    );
    expect(otherAccount.name).toBe('ResourceNotFoundException');
    const notArn = await rejection(t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: 'err-dlq' })));
    expect(notArn.name).toBe('InvalidParameterValue');
    const tooFast = await rejection(
      t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn('err-dlq'), MaxNumberOfMessagesPerSecond: 501 })),
    );
    expect(tooFast.name).toBe('InvalidParameterValue');
    expect(tooFast.message).toContain('MaxNumberOfMessagesPerSecond');
    const tooMany = await rejection(
      t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('err-dlq'), MaxResults: 11 })),
    );
    expect(tooMany.name).toBe('InvalidParameterValue');
    const listUnknown = await rejection(t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn('nope-dlq') })));
    expect(listUnknown.name).toBe('ResourceNotFoundException');
    const garbage = await rejection(t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'garbage' })));
    expect(garbage.name).toBe('InvalidParameterValue');
    const unknownTask = Buffer.from(
      JSON.stringify({ taskId: '00000000-0000-4000-8000-000000000000', sourceArn: arn('err-dlq') }),
    ).toString('base64url');
    const gone = await rejection(t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: unknownTask })));
    expect(gone.name).toBe('ResourceNotFoundException');
    const { rows: after } = await t.client.query('select count(*)::int as n from postbox.tasks');
    expect(after).toEqual(before);
  });
});
