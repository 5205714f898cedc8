import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { type RequestOptions, startTestServer, type TestServer } from '../server/test-server';
import { openTestPostbox } from '../setup/test-database';

const as = (key: string, options: RequestOptions = {}): RequestOptions => ({
  ...options,
  headers: { authorization: `Bearer ${key}`, ...options.headers },
});

describe('REST operations under scoped keys', () => {
  let postbox: Postbox;
  let server: TestServer;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    ({ postbox } = await openTestPostbox());
    server = await startTestServer(postbox);
    keys.root = (await server.request('POST', '/v1/keys', { body: { name: 'root', scopes: ['admin'] } })).body.key;
    const create = async (name: string, scopes: string[], names?: string) => {
      const res = await server.request('POST', '/v1/keys', as(keys.root ?? '', { body: { name, scopes, names } }));
      expect(res.status).toBe(201);
      keys[name] = res.body.key;
    };
    await create('orders-admin', ['admin'], 'orders*');
    await create('producer', ['produce']);
    await create('reader', ['read']);
    for (const queue of ['orders', 'orders-dlq', 'billing']) await postbox.createQueue(queue);
    await postbox.createSchedule('billing-tick', { queue: 'billing', everyMs: 60_000, message: { body: 1 } });
    await postbox.createSchedule('orders-tick', { queue: 'orders', everyMs: 60_000, message: { body: 1 } });
  });
  afterAll(() => server.close());

  const status = async (key: string, method: string, path: string, body?: unknown) =>
    (await server.request(method, path, as(keys[key] ?? '', body === undefined ? {} : { body }))).status;

  it("purge, move and delete need admin; cancel is a producer's", async () => {
    expect(await status('producer', 'POST', '/v1/queues/orders/purge', { states: ['ready'] })).toBe(403);
    expect(await status('reader', 'POST', '/v1/queues/orders-dlq/move', {})).toBe(403);
    expect(await status('producer', 'DELETE', '/v1/queues/orders/messages/1')).toBe(403);
    expect(await status('producer', 'POST', '/v1/queues/orders/cancel', { dedupKey: 'k' })).toBe(404);
    expect(await status('orders-admin', 'POST', '/v1/queues/orders/purge', { states: ['ready'] })).toBe(200);
    expect(await status('orders-admin', 'POST', '/v1/queues/billing/purge', { states: ['ready'] })).toBe(403);
  });

  it('a names-limited admin moves only between its queues, and reads only its tasks', async () => {
    // Without `to` the dead letters may go back to any queue: the key must cover every name.
    expect(await status('orders-admin', 'POST', '/v1/queues/orders-dlq/move', {})).toBe(403);
    expect(await status('orders-admin', 'POST', '/v1/queues/orders-dlq/move', { to: 'billing' })).toBe(403);
    const res = await server.request(
      'POST',
      '/v1/queues/orders-dlq/move',
      as(keys['orders-admin'] ?? '', { body: { to: 'orders' } }),
    );
    expect(res.status).toBe(202);
    expect(await status('orders-admin', 'GET', `/v1/tasks/${res.body.taskId}`)).toBe(200);
    const other = await postbox.moveDeadLetters('billing');
    expect(await status('orders-admin', 'GET', `/v1/tasks/${other}`)).toBe(403);
    expect(await status('reader', 'GET', `/v1/tasks/${other}`)).toBe(200);
  });

  it('schedules: checked against the queue they send to; the list needs a key for every name', async () => {
    expect(await status('orders-admin', 'GET', '/v1/schedules/orders-tick')).toBe(200);
    expect(await status('orders-admin', 'GET', '/v1/schedules/billing-tick')).toBe(403);
    expect(await status('orders-admin', 'POST', '/v1/schedules/billing-tick/pause')).toBe(403);
    expect(await status('orders-admin', 'DELETE', '/v1/schedules/billing-tick')).toBe(403);
    expect(await status('orders-admin', 'GET', '/v1/schedules')).toBe(403);
    expect(await status('reader', 'GET', '/v1/schedules')).toBe(200);
    expect(await status('reader', 'POST', '/v1/schedules/orders-tick/pause')).toBe(403);
    const body = { name: 'x', queue: 'billing', everyMs: 1000, message: { body: 1 } };
    expect(await status('orders-admin', 'POST', '/v1/schedules', body)).toBe(403);
    expect(await status('orders-admin', 'POST', '/v1/schedules', { ...body, queue: 'orders' })).toBe(201);
    expect((await postbox.getSchedule('billing-tick')).paused).toBe(false);
  });
});
