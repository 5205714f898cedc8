import type { NestExpressApplication } from '@nestjs/platform-express';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../apps/server/src/app';
import type { Postbox } from '../../libs/core/src/postbox';
import { useTestDatabase } from '../setup/test-database';

describe('REST: /v1/topics', () => {
  let postbox: Postbox;
  let app: NestExpressApplication;
  let base: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    const db = await useTestDatabase();
    postbox = await db.postbox();
    app = await createApp(postbox, { logLevel: 'silent' });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates a topic: 201, the same again 200, other settings 409', async () => {
    const created = await call('POST', '/v1/topics', { name: 'orders', retentionMs: 3_600_000 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'orders', retentionMs: 3_600_000, subscriptions: [] });
    expect((await call('POST', '/v1/topics', { name: 'orders', retentionMs: 3_600_000 })).status).toBe(200);
    const conflict = await call('POST', '/v1/topics', { name: 'orders' });
    expect(conflict).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'topic "orders" already exists with other settings' },
    });
  });

  it('answers 400 naming the field', async () => {
    const badName = await call('POST', '/v1/topics', { name: '-x' });
    expect(badName.status).toBe(400);
    expect(badName.body.message).toMatch(/^name must match/);
    const badRetention = await call('POST', '/v1/topics', { name: 'x', retentionMs: 0 });
    expect(badRetention.body.message).toMatch(/^retentionMs must not be less than 1/);
    const unknown = await call('POST', '/v1/topics', { name: 'x', colour: 'red' });
    expect(unknown.body.message).toBe('property colour should not exist');
    const badTags = await call('POST', '/v1/topics/orders/subscriptions', { group: 'g', tags: 'paid' });
    expect(badTags.status).toBe(400);
    expect(badTags.body.message).toMatch(/^tags must be an array/);
    const badGroup = await call('POST', '/v1/topics/orders/subscriptions', { group: 'a b' });
    expect(badGroup.body.message).toMatch(/^group must match/);
    const badQueueSetting = await call('POST', '/v1/topics/orders/subscriptions', { group: 'g', maxAttempts: 0 });
    expect(badQueueSetting.body.message).toMatch(/^maxAttempts must not be less than 1/);
    const badTag = await call('POST', '/v1/topics/orders/publish', { body: 1, tag: '' });
    expect(badTag.status).toBe(400);
    expect(badTag.body.message).toMatch(/^tag must be longer than or equal to 1/);
    const dedup = await call('POST', '/v1/topics/orders/publish', { body: 1, dedupKey: 'k' });
    expect(dedup.body.message).toBe('property dedupKey should not exist');
    const noBody = await call('POST', '/v1/topics/orders/publish', { headers: { a: 'b' } });
    expect(noBody.body.message).toBe('body is required');
    const badFrom = await call('POST', '/v1/topics/orders/subscriptions/g/replay', { from: 'yesterday' });
    expect(badFrom).toMatchObject({ status: 400, body: { message: 'from must be an ISO-8601 time' } });
  });

  it('answers 404 for unknown topics and subscriptions', async () => {
    const publish = await call('POST', '/v1/topics/nope/publish', { body: 1 });
    expect(publish).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'topic "nope" does not exist' },
    });
    expect((await call('POST', '/v1/topics/nope/subscriptions', { group: 'g' })).status).toBe(404);
    expect((await call('GET', '/v1/topics/nope')).status).toBe(404);
    const replay = await call('POST', '/v1/topics/orders/subscriptions/nobody/replay', {
      from: new Date(0).toISOString(),
    });
    expect(replay).toMatchObject({
      status: 404,
      body: { message: 'subscription "nobody" of topic "orders" does not exist' },
    });
    expect((await call('DELETE', '/v1/topics/orders/subscriptions/nobody')).status).toBe(404);
  });

  it('subscribes groups, publishes to them, lists them, and replays one group', async () => {
    const sub = await call('POST', '/v1/topics/orders/subscriptions', { group: 'billing', maxAttempts: 3 });
    expect(sub.status).toBe(201);
    expect(sub.body).toMatchObject({ topic: 'orders', group: 'billing', queue: 'orders.billing', tags: null });
    expect((await call('POST', '/v1/topics/orders/subscriptions', { group: 'billing', maxAttempts: 3 })).status).toBe(
      200,
    );
    expect((await call('POST', '/v1/topics/orders/subscriptions', { group: 'billing', maxAttempts: 4 })).status).toBe(
      409,
    );
    const shipping = await call('POST', '/v1/topics/orders/subscriptions', {
      group: 'shipping',
      tags: ['paid'],
      queue: 'shipping-in',
    });
    expect(shipping.body).toMatchObject({ queue: 'shipping-in', tags: ['paid'] });

    const { rows } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(postbox.db);
    const before = (rows[0] as { now: Date }).now.toISOString();

    const one = await call('POST', '/v1/topics/orders/publish', { body: { orderId: 1 }, tag: 'paid' });
    expect(one.status).toBe(201);
    expect(one.body).toEqual({ id: expect.stringMatching(/^\d+$/), deliveredTo: 2 });
    const batch = await call('POST', '/v1/topics/orders/publish', {
      messages: [
        { body: { orderId: 2 }, tag: 'created' },
        { body: { orderId: 3 }, tag: 'paid', priority: 1 },
      ],
    });
    expect(batch.status).toBe(201);
    expect(batch.body.results.map((r: { deliveredTo: number }) => r.deliveredTo)).toEqual([1, 2]);
    // Each message of the batch has its own topic message id, in publish order (issue 12 item 6).
    const ids = [one.body.id, ...batch.body.results.map((r: { id: string }) => r.id)].map(Number);
    expect(ids).toEqual([ids[0], ids[0] + 1, ids[0] + 2]);

    const received = await call('POST', '/v1/queues/shipping-in/receive', { max: 10 });
    expect(received.body.messages.map((m: { body: unknown }) => m.body)).toEqual([{ orderId: 1 }, { orderId: 3 }]);
    expect(received.body.messages[0].headers).toMatchObject({ 'x-postbox-topic': 'orders', 'x-postbox-tag': 'paid' });
    await call('POST', '/v1/queues/shipping-in/ack', {
      receipts: received.body.messages.map((m: { receipt: string }) => m.receipt),
    });

    const listed = await call('GET', '/v1/topics');
    expect(listed.status).toBe(200);
    expect(listed.body.find((t: { name: string }) => t.name === 'orders')).toMatchObject({
      name: 'orders',
      subscriptions: [
        { group: 'billing', queue: 'orders.billing', ready: 3 },
        { group: 'shipping', queue: 'shipping-in', ready: 0, tags: ['paid'] },
      ],
    });

    const replay = await call('POST', '/v1/topics/orders/subscriptions/shipping/replay', { from: before });
    expect(replay).toEqual({ status: 200, body: { replayed: 2 } });
    const again = await call('POST', '/v1/queues/shipping-in/receive', { max: 10 });
    expect(again.body.messages.map((m: { body: unknown }) => m.body)).toEqual([{ orderId: 1 }, { orderId: 3 }]);
    expect(again.body.messages[0].headers['x-postbox-replay']).toBe('true');
    expect((await postbox.getQueueStats('orders.billing')).ready).toBe(3);
  });

  it('replays a queue with retention from its archive', async () => {
    expect((await call('POST', '/v1/queues', { name: 'kept', retentionMs: 3_600_000 })).status).toBe(201);
    const from = new Date(Date.now() - 60_000).toISOString();
    await call('POST', '/v1/queues/kept/messages', { body: 'k' });
    const got = await call('POST', '/v1/queues/kept/receive', { max: 1 });
    expect((await call('POST', '/v1/queues/kept/ack', { receipts: [got.body.messages[0].receipt] })).body.acked).toBe(
      1,
    );
    expect(await call('POST', '/v1/queues/kept/replay', { from })).toEqual({ status: 200, body: { replayed: 1 } });
    expect((await call('POST', '/v1/queues/missing/replay', { from })).status).toBe(404);
  });

  it('documents the topic routes in the OpenAPI document', async () => {
    const { status, body } = await call('GET', '/docs-json');
    expect(status).toBe(200);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/topics',
        '/v1/topics/{topic}',
        '/v1/topics/{topic}/subscriptions',
        '/v1/topics/{topic}/publish',
        '/v1/topics/{topic}/subscriptions/{group}/replay',
        '/v1/queues/{queue}/replay',
      ]),
    );
    expect(Object.keys(body.components.schemas.SubscribeDto.properties)).toEqual(
      expect.arrayContaining(['group', 'tags', 'queue', 'maxAttempts', 'retentionMs']),
    );
  });

  it('unsubscribes and deletes topics', async () => {
    await call('POST', '/v1/topics', { name: 'temp' });
    await call('POST', '/v1/topics/temp/subscriptions', { group: 'g' });
    expect((await call('DELETE', '/v1/topics/temp/subscriptions/g')).status).toBe(204);
    expect((await call('POST', '/v1/topics/temp/publish', { body: 1 })).body.deliveredTo).toBe(0);
    expect((await call('DELETE', '/v1/topics/temp')).status).toBe(204);
    expect((await call('DELETE', '/v1/topics/temp')).status).toBe(404);
  });
});
