import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer, until } from '../server/test-server';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';
import { answer, ProducerServer } from './producer-server';

const UNKNOWN_ID = '0b9c6a7e-1f2d-4e3c-8b5a-6d7e8f9a0b1c';

describe('REST /v1/transactions (half messages)', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let server: TestServer;
  let client: pg.Client;
  let producer: ProducerServer;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
    // The producer listens on loopback, which check-backs refuse unless allowed.
    process.env.POSTBOX_CHECKBACK_ALLOW = '127.0.0.1';
    server = await startTestServer(postbox);
    producer = await new ProducerServer().start();
    await server.request('POST', '/v1/queues', { body: { name: 'payments' } });
  });
  afterAll(async () => {
    await server.close();
    await producer.close();
  });

  async function receiveAll(queue: string) {
    const res = await server.request('POST', `/v1/queues/${queue}/receive`, { body: { max: 100 } });
    expect(res.status).toBe(200);
    return res.body.messages as { id: string; body: unknown; receipt: string }[];
  }

  async function prepare(body: Record<string, unknown>): Promise<string> {
    const res = await server.request('POST', '/v1/transactions', { body });
    expect(res.status, res.text).toBe(201);
    return res.body.transactionId;
  }

  it('prepare: 201 {transactionId}; the message is invisible; GET shows prepared with 0 checks', async () => {
    const res = await server.request('POST', '/v1/transactions', {
      body: { queue: 'payments', body: { amount: 10 }, headers: { trace: 'x' } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ transactionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(await receiveAll('payments')).toEqual([]);
    const got = await server.request('GET', `/v1/transactions/${res.body.transactionId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      transactionId: res.body.transactionId,
      queue: 'payments',
      state: 'prepared',
      checks: 0,
      maxChecks: 15,
      checkAfterMs: 60_000,
      checkbackUrl: null,
      resolvedAt: null,
    });
    await server.request('POST', `/v1/transactions/${res.body.transactionId}/rollback`);
  });

  it('commit: 200 and exactly one delivery; commit again: 200 and still one', async () => {
    const id = await prepare({ queue: 'payments', body: 'charge' });
    const first = await server.request('POST', `/v1/transactions/${id}/commit`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ transactionId: id, state: 'committed', resolvedBy: 'producer' });
    const again = await server.request('POST', `/v1/transactions/${id}/commit`);
    expect(again.status).toBe(200);
    expect(again.body.messageId).toBe(first.body.messageId);
    const messages = await receiveAll('payments');
    expect(messages.map((m) => [m.id, m.body])).toEqual([[first.body.messageId, 'charge']]);
    await server.request('POST', '/v1/queues/payments/ack', { body: { receipts: messages.map((m) => m.receipt) } });
    expect((await server.request('GET', `/v1/transactions/${id}`)).body).toMatchObject({
      state: 'committed',
      checks: 0,
    });
  });

  it('rollback: 200 and nothing delivered; commit after rollback: 409; rollback after commit: 409', async () => {
    const rolled = await prepare({ queue: 'payments', body: 'cancel' });
    expect((await server.request('POST', `/v1/transactions/${rolled}/rollback`)).status).toBe(200);
    expect((await server.request('POST', `/v1/transactions/${rolled}/rollback`)).status).toBe(200);
    const late = await server.request('POST', `/v1/transactions/${rolled}/commit`);
    expect(late.status).toBe(409);
    expect(late.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: `transaction "${rolled}" is already rolled back and cannot be committed`,
    });
    expect(await receiveAll('payments')).toEqual([]);
    expect((await server.request('GET', `/v1/transactions/${rolled}`)).body.state).toBe('rolledBack');

    const committed = await prepare({ queue: 'payments', body: 'keep' });
    await server.request('POST', `/v1/transactions/${committed}/commit`);
    const undo = await server.request('POST', `/v1/transactions/${committed}/rollback`);
    expect(undo.status).toBe(409);
    expect(undo.body.message).toBe(`transaction "${committed}" is already committed and cannot be rolled back`);
    const messages = await receiveAll('payments');
    expect(messages.map((m) => m.body)).toEqual(['keep']);
    await server.request('POST', '/v1/queues/payments/ack', { body: { receipts: messages.map((m) => m.receipt) } });
  });

  it('404 for an unknown transaction id (any route) and for an unknown queue or topic', async () => {
    for (const [method, path] of [
      ['GET', `/v1/transactions/${UNKNOWN_ID}`],
      ['POST', `/v1/transactions/${UNKNOWN_ID}/commit`],
      ['POST', `/v1/transactions/${UNKNOWN_ID}/rollback`],
      ['GET', '/v1/transactions/not-a-uuid'],
    ] as const) {
      const res = await server.request(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error).toBe('Not Found');
    }
    const noQueue = await server.request('POST', '/v1/transactions', { body: { queue: 'nowhere', body: 1 } });
    expect(noQueue.status).toBe(404);
    expect(noQueue.body.message).toBe('queue "nowhere" does not exist');
    const noTopic = await server.request('POST', '/v1/transactions', { body: { topic: 'nowhere', body: 1 } });
    expect(noTopic.status).toBe(404);
    expect(noTopic.body.message).toBe('topic "nowhere" does not exist');
  });

  it('400 naming the field for bad bodies, storing nothing', async () => {
    const before = await client.query('select count(*)::int as n from postbox.transactions');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ queue: 'payments' }, /^body is required/],
      [{ body: 1 }, /^queue or topic is required/],
      [{ queue: 'payments', topic: 'events', body: 1 }, /^topic cannot be combined with queue/],
      [{ queue: 'payments', body: 1, checkAfterMs: -5 }, /^checkAfterMs must not be less than 0/],
      [{ queue: 'payments', body: 1, checkAfterMs: 'soon' }, /^checkAfterMs must be an integer/],
      [{ queue: 'payments', body: 1, maxChecks: 0 }, /^maxChecks must not be less than 1/],
      [{ queue: 'payments', body: 1, checkbackUrl: 'ftp://host/x' }, /^checkbackUrl must be an absolute http\(s\) URL/],
      [{ queue: 'payments', body: 1, checkbackUrl: 'not a url' }, /^checkbackUrl must be an absolute http\(s\) URL/],
      [{ queue: 'payments', body: 1, priority: 1.5 }, /^priority must be an integer/],
      [{ queue: 'payments', body: 1, headers: { a: 1 } }, /^headers must be an object whose values are strings/],
      [{ queue: 'payments', body: 1, surprise: true }, /^property surprise should not exist/],
      [{ queue: 'bad name!', body: 1 }, /^queue must match/],
      [{ queue: 'payments', body: 1, tag: 'x' }, /^tag is only for messages to a topic/],
    ];
    for (const [body, message] of cases) {
      const res = await server.request('POST', '/v1/transactions', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      expect(res.body.message).toMatch(message);
    }
    const after = await client.query('select count(*)::int as n from postbox.transactions');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('a retried prepare with the same dedupKey returns the same transactionId', async () => {
    const body = { queue: 'payments', body: 'once', dedupKey: 'order-42' };
    const first = await prepare(body);
    const again = await prepare(body);
    expect(again).toBe(first);
    await server.request('POST', `/v1/transactions/${first}/commit`);
    expect(await prepare(body)).toBe(first);
    const messages = await receiveAll('payments');
    expect(messages.map((m) => m.body)).toEqual(['once']);
    await server.request('POST', '/v1/queues/payments/ack', { body: { receipts: messages.map((m) => m.receipt) } });
  });

  it('a topic target: every subscribed group gets the message at commit', async () => {
    await server.request('POST', '/v1/topics', { body: { name: 'orders' } });
    await server.request('POST', '/v1/topics/orders/subscriptions', { body: { group: 'billing' } });
    await server.request('POST', '/v1/topics/orders/subscriptions', { body: { group: 'mail' } });
    const id = await prepare({ topic: 'orders', body: { order: 1 }, tag: 'created' });
    expect(await receiveAll('orders.billing')).toEqual([]);
    expect((await server.request('POST', `/v1/transactions/${id}/commit`)).status).toBe(200);
    expect((await server.request('GET', `/v1/transactions/${id}`)).body).toMatchObject({
      topic: 'orders',
      state: 'committed',
    });
    expect((await receiveAll('orders.billing')).map((m) => m.body)).toEqual([{ order: 1 }]);
    expect((await receiveAll('orders.mail')).map((m) => m.body)).toEqual([{ order: 1 }]);
  });

  it('the service checks back over HTTP: "commit" delivers, "rollback" discards', async () => {
    const toCommit = await prepare({
      queue: 'payments',
      body: 'checked',
      checkbackUrl: producer.url,
      checkAfterMs: 100,
    });
    const toRollback = await prepare({
      queue: 'payments',
      body: 'dropped',
      checkbackUrl: producer.url,
      checkAfterMs: 100,
    });
    producer.script(toCommit, answer('commit'));
    producer.script(toRollback, answer('rollback'));
    await until(async () => {
      const [a, b] = await Promise.all([
        server.request('GET', `/v1/transactions/${toCommit}`),
        server.request('GET', `/v1/transactions/${toRollback}`),
      ]);
      return a.body.state !== 'prepared' && b.body.state !== 'prepared';
    }, 60_000);
    expect((await server.request('GET', `/v1/transactions/${toCommit}`)).body).toMatchObject({
      state: 'committed',
      checks: 1,
      resolvedBy: 'checkback',
    });
    expect((await server.request('GET', `/v1/transactions/${toRollback}`)).body).toMatchObject({
      state: 'rolledBack',
      checks: 1,
    });
    expect(producer.callsFor(toCommit).map((c) => c.body)).toEqual([
      { transactionId: toCommit, queue: 'payments', headers: {}, check: 1 },
    ]);
    const messages = await receiveAll('payments');
    expect(messages.map((m) => m.body)).toEqual(['checked']);
    await server.request('POST', '/v1/queues/payments/ack', { body: { receipts: messages.map((m) => m.receipt) } });
  });

  it('the service expires a transaction whose producer keeps answering "unknown" after maxChecks', async () => {
    const id = await prepare({
      queue: 'payments',
      body: 'undecided',
      checkbackUrl: producer.url,
      checkAfterMs: 50,
      maxChecks: 2,
    });
    producer.script(id, answer('unknown'));
    await until(async () => (await server.request('GET', `/v1/transactions/${id}`)).body.state === 'expired', 60_000);
    expect((await server.request('GET', `/v1/transactions/${id}`)).body).toMatchObject({
      state: 'expired',
      checks: 2,
      resolvedBy: 'expiry',
      lastError: 'the producer answered unknown',
    });
    expect(producer.callsFor(id).map((c) => c.body.check)).toEqual([1, 2]);
    expect((await server.request('POST', `/v1/transactions/${id}/commit`)).status).toBe(409);
    expect(await receiveAll('payments')).toEqual([]);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await server.request('GET', '/docs-json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/transactions',
        '/v1/transactions/{id}',
        '/v1/transactions/{id}/commit',
        '/v1/transactions/{id}/rollback',
      ]),
    );
  });

  it('the service restarted between prepare and check-back still checks it', async () => {
    const id = await prepare({
      queue: 'payments',
      body: 'after restart',
      checkbackUrl: producer.url,
      checkAfterMs: 1_500,
    });
    producer.script(id, answer('commit'));
    // The whole service goes away: HTTP app, check-back runner, Postbox, pool.
    await server.close();
    await postbox.close();
    expect(producer.callsFor(id)).toEqual([]);
    const { rows } = await client.query('select state, checks from postbox.transactions where id = $1', [id]);
    expect(rows).toEqual([{ state: 'prepared', checks: 0 }]);

    postbox = await db.postbox();
    server = await startTestServer(postbox);
    await until(async () => (await server.request('GET', `/v1/transactions/${id}`)).body.state === 'committed', 60_000);
    expect(producer.callsFor(id)).toHaveLength(1);
    expect((await receiveAll('payments')).map((m) => m.body)).toEqual(['after restart']);
  });
});
