import { CreateQueueCommand, ListQueuesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { request } from '../server/test-server';
import { ACCOUNT, SQS_SECRET, useSqsTestServer } from './sqs-test-server';

const JSON_10 = 'application/x-amz-json-1.0';
const FORM = 'application/x-www-form-urlencoded';

describe('SQS endpoint: SigV4 and the two protocols on the wire', () => {
  const t = useSqsTestServer();
  // The same service without any key: dev mode, as the REST API without POSTBOX_API_KEY.
  const open = useSqsTestServer({ apiKey: null });

  it('refuses unsigned requests when a key is configured, in each protocol’s error shape', async () => {
    const json = await request(t.server.url, 'POST', '/', {
      raw: '{}',
      headers: { 'content-type': JSON_10, 'x-amz-target': 'AmazonSQS.ListQueues' },
    });
    expect(json.status).toBe(403);
    expect(json.body).toEqual({
      __type: 'com.amazonaws.sqs#MissingAuthenticationToken',
      message: 'Request is missing Authentication Token',
    });
    expect(json.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationToken;Sender');

    const query = await request(t.server.url, 'POST', '/', {
      raw: 'Action=ListQueues&Version=2012-11-05',
      headers: { 'content-type': FORM },
    });
    expect(query.status).toBe(403);
    expect(query.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(query.text).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(query.text).toContain('<Type>Sender</Type>');
  });

  it('refuses a signature made more than 5 minutes off the server clock', async () => {
    const skewed = t.sdk({ systemClockOffset: -6 * 60 * 1000 });
    const error = await skewed.send(new ListQueuesCommand({})).catch((e: Error) => e);
    expect((error as Error).name).toBe('SignatureDoesNotMatch');
    expect((error as Error).message).toMatch(/^Signature expired/);
  });

  it('refuses a signed request whose body was changed after signing', async () => {
    const client = t.sdk();
    client.middlewareStack.add(
      (next) => async (args) => {
        // Same length (content-length stays right), different bytes.
        const req = args.request as { body: string | Uint8Array };
        const text = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
        req.body = text.replace('"orders"', '"orderz"');
        return next(args);
      },
      { step: 'deserialize' },
    );
    const error = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'orders' })).catch((e: Error) => e);
    expect((error as Error).name).toBe('SignatureDoesNotMatch');
  });

  it('dev mode: no key configured, unsigned requests are served; the queue URL path is served too', async () => {
    const created = await request(open.server.url, 'POST', '/', {
      raw: 'Action=CreateQueue&QueueName=dev&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=12',
      headers: { 'content-type': FORM },
    });
    expect(created.status).toBe(200);
    expect(created.text).toContain(`<QueueUrl>${open.server.url}/${ACCOUNT}/dev</QueueUrl>`);
    // Older SDKs POST to the queue URL itself, without QueueUrl in the form.
    const sent = await request(open.server.url, 'POST', `/${ACCOUNT}/dev`, {
      raw: 'Action=SendMessage&MessageBody=hi%20there&MessageAttribute.1.Name=k&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v',
      headers: { 'content-type': FORM },
    });
    expect(sent.status).toBe(200);
    expect(sent.text).toMatch(/<SendMessageResponse[^>]*><SendMessageResult><MessageId>\d+<\/MessageId>/);
    const received = await request(open.server.url, 'POST', '/', {
      raw: JSON.stringify({ QueueUrl: `${open.server.url}/${ACCOUNT}/dev`, MessageAttributeNames: ['k'] }),
      headers: { 'content-type': JSON_10, 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
    });
    expect(received.status).toBe(200);
    expect(received.headers.get('content-type')).toBe(JSON_10);
    expect(received.body.Messages).toEqual([
      expect.objectContaining({ Body: 'hi there', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }),
    ]);
  });

  it('a stored API key signs as its SigV4 credentials; its scopes and names apply; a revoke holds at once', async () => {
    const admin = t.sdk();
    await admin.send(new CreateQueueCommand({ QueueName: 'scoped-orders' }));
    await admin.send(new CreateQueueCommand({ QueueName: 'scoped-billing' }));
    // A producer key limited to scoped-orders*, created over REST as a user would.
    const created = await request(t.server.url, 'POST', '/v1/keys', {
      body: { name: 'orders-producer', scopes: ['produce'], names: 'scoped-orders*' },
      headers: { authorization: `Bearer ${SQS_SECRET}` },
    });
    expect(created.status).toBe(201);
    const { accessKeyId, secretAccessKey } = created.body.sqs as { accessKeyId: string; secretAccessKey: string };
    expect(accessKeyId).toMatch(/^pbk_[0-9a-f]{24}$/);
    // Only the sha256 of the secret is stored; the signing secret is derived from it, never the bearer key.
    const { rows: stored } = await t.client.query('select encode(secret_sha256, $1) as h from postbox.api_keys', [
      'hex',
    ]);
    expect(JSON.stringify(stored)).not.toContain(created.body.key.split('_').pop());

    const sqs = t.sdk({ accessKeyId, secret: secretAccessKey });
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'scoped' }));
    expect(listed.QueueUrls).toEqual([`${t.server.url}/${ACCOUNT}/scoped-orders`]);
    await sqs.send(new SendMessageCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/scoped-orders`, MessageBody: 'ok' }));
    const otherQueue = await sqs
      .send(new SendMessageCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/scoped-billing`, MessageBody: 'no' }))
      .catch((e: Error) => e);
    expect((otherQueue as Error).name).toBe('AccessDenied');
    const notItsScope = await sqs
      .send(new CreateQueueCommand({ QueueName: 'scoped-orders-new' }))
      .catch((e: Error) => e);
    expect((notItsScope as Error).name).toBe('AccessDenied');
    const wrongSecret = t.sdk({ accessKeyId, secret: `${secretAccessKey}x` });
    const forged = await wrongSecret.send(new ListQueuesCommand({})).catch((e: Error) => e);
    expect((forged as Error).name).toBe('SignatureDoesNotMatch');

    const revoked = await request(t.server.url, 'DELETE', '/v1/keys/orders-producer', {
      headers: { authorization: `Bearer ${SQS_SECRET}` },
    });
    expect(revoked.status).toBe(204);
    const afterRevoke = await sqs
      .send(new SendMessageCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/scoped-orders`, MessageBody: 'late' }))
      .catch((e: Error) => e);
    expect((afterRevoke as Error).name).toBe('InvalidClientTokenId');
    const { rows } = await t.client.query(
      "select queue, body from postbox.messages where queue like 'scoped-%' order by queue",
    );
    expect(rows).toEqual([{ queue: 'scoped-orders', body: 'ok' }]);
  });

  it('query protocol: PurgeQueue and the move-task actions answer in XML; in-flight kept, rows purged', async () => {
    const form = (raw: string) => request(open.server.url, 'POST', '/', { raw, headers: { 'content-type': FORM } });
    expect((await form('Action=CreateQueue&QueueName=xml-dlq')).status).toBe(200);
    expect((await form('Action=CreateQueue&QueueName=xml-work')).status).toBe(200);
    const url = encodeURIComponent(`${open.server.url}/${ACCOUNT}/xml-work`);
    await form(`Action=SendMessage&QueueUrl=${url}&MessageBody=held`);
    const held = await form(`Action=ReceiveMessage&QueueUrl=${url}&VisibilityTimeout=60`);
    expect(held.text).toContain('<Body>held</Body>');
    await form(`Action=SendMessage&QueueUrl=${url}&MessageBody=gone`);
    await form(`Action=SendMessage&QueueUrl=${url}&MessageBody=later&DelaySeconds=600`);
    const purged = await form(`Action=PurgeQueue&QueueUrl=${url}`);
    expect(purged.status).toBe(200);
    expect(purged.text).toMatch(
      /^<\?xml version="1.0"\?><PurgeQueueResponse [^>]*><PurgeQueueResult><\/PurgeQueueResult>/,
    );
    const { rows } = await open.client.query("select body from postbox.messages where queue = 'xml-work'");
    expect(rows).toEqual([{ body: 'held' }]);
    const missing = await form(
      `Action=PurgeQueue&QueueUrl=${encodeURIComponent(`${open.server.url}/${ACCOUNT}/xml-nope`)}`,
    );
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');

    const source = encodeURIComponent(`arn:aws:sqs:us-east-1:${ACCOUNT}:xml-dlq`);
    const destination = encodeURIComponent(`arn:aws:sqs:us-east-1:${ACCOUNT}:xml-work`);
    const started = await form(
      `Action=StartMessageMoveTask&SourceArn=${source}&DestinationArn=${destination}&MaxNumberOfMessagesPerSecond=50`,
    );
    expect(started.status).toBe(200);
    const handle = /<TaskHandle>([^<]+)<\/TaskHandle>/.exec(started.text)?.[1];
    expect(handle).toEqual(expect.any(String));
    const listed = await form(`Action=ListMessageMoveTasks&SourceArn=${source}&MaxResults=10`);
    expect(listed.status).toBe(200);
    expect(listed.text).toMatch(
      new RegExp(
        '<ListMessageMoveTasksResult><ListMessageMoveTasksResultEntry><Status>COMPLETED</Status>' +
          `<SourceArn>arn:aws:sqs:us-east-1:${ACCOUNT}:xml-dlq</SourceArn>` +
          `<DestinationArn>arn:aws:sqs:us-east-1:${ACCOUNT}:xml-work</DestinationArn>` +
          '<MaxNumberOfMessagesPerSecond>50</MaxNumberOfMessagesPerSecond>' +
          '<ApproximateNumberOfMessagesMoved>0</ApproximateNumberOfMessagesMoved>' +
          '<ApproximateNumberOfMessagesToMove>0</ApproximateNumberOfMessagesToMove>' +
          '<StartedTimestamp>\\d{13}</StartedTimestamp></ListMessageMoveTasksResultEntry></ListMessageMoveTasksResult>',
      ),
    );
    const cancel = await form(`Action=CancelMessageMoveTask&TaskHandle=${handle}`);
    expect(cancel.status).toBe(400);
    expect(cancel.text).toContain('<Code>AWS.SimpleQueueService.UnsupportedOperation</Code>');
  });

  it('refuses a body over 3 MiB without reading it all', async () => {
    const { rows: before } = await open.client.query('select count(*)::int as n from postbox.messages');
    const answer = await request(open.server.url, 'POST', '/', {
      raw: `Action=SendMessage&QueueUrl=dev&MessageBody=${'x'.repeat(3 * 1024 * 1024 + 10)}`,
      headers: { 'content-type': FORM },
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('<Code>AWS.SimpleQueueService.BatchRequestTooLong</Code>');
    const { rows: after } = await open.client.query('select count(*)::int as n from postbox.messages');
    expect(after).toEqual(before);
  });

  it('unknown actions, other accounts and the REST routes keep their own answers', async () => {
    const unknown = await request(open.server.url, 'POST', '/', {
      raw: '{}',
      headers: { 'content-type': JSON_10, 'x-amz-target': 'AmazonSQS.TagQueue' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.__type).toBe('com.amazonaws.sqs#InvalidAction');
    const badJson = await request(open.server.url, 'POST', '/', {
      raw: '{not json',
      headers: { 'content-type': JSON_10, 'x-amz-target': 'AmazonSQS.ListQueues' },
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.__type).toBe('com.amazonaws.sqs#SerializationException');
    // POST /<other account>/<queue> is not a queue URL of this endpoint: the API's 404.
    const otherAccount = await request(open.server.url, 'POST', '/123456789012/dev', {
      raw: 'Action=SendMessage&MessageBody=x',
      headers: { 'content-type': FORM },
    });
    expect(otherAccount.status).toBe(404);
    expect(otherAccount.body).toMatchObject({ statusCode: 404 });
    const malformed = await request(open.server.url, 'POST', `/${ACCOUNT}/%E0%A4%A`, {
      raw: 'Action=SendMessage&MessageBody=x',
      headers: { 'content-type': FORM },
    });
    // Express refuses a malformed percent-encoding in the path before any route: a 400, never a 5xx.
    expect(malformed.status).toBe(400);
    // Two-segment REST routes are not shadowed by the queue-URL route.
    const rest = await request(open.server.url, 'POST', '/v1/queues', { body: { name: 'rest-made' } });
    expect(rest.status).toBe(201);
    const { rows } = await open.client.query("select name from postbox.queues where name = 'rest-made'");
    expect(rows).toEqual([{ name: 'rest-made' }]);
  });
});
