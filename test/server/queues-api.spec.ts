import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox } from '../setup/test-database';
import { startTestServer, type TestServer, tableCounts } from './test-server';

const NAME_RULE = 'must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$';

describe('REST /v1/queues', () => {
  let postbox: Postbox;
  let server: TestServer;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
  });
  afterAll(() => server.close());

  it('creates a queue: 201 with its settings and depth', async () => {
    const res = await server.request('POST', '/v1/queues', { body: { name: 'orders' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      name: 'orders',
      ready: 0,
      delayed: 0,
      inFlight: 0,
      dead: 0,
      oldestReadyAgeMs: null,
      maxAttempts: 5,
      visibilityTimeoutMs: 30_000,
      deadLetterQueue: null,
      fifo: false,
      retentionMs: null,
      backoff: { initialMs: 1_000, maxMs: 300_000 },
      dedupWindowMs: 300_000,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      paused: false,
      messageTtlMs: null,
      expiredTo: 'deadLetter',
      maxLength: null,
      overflow: 'reject',
      maxMessageBytes: 1_048_576,
    });
    const { rows } = await client.query('select name, max_attempts from postbox.queues');
    expect(rows).toEqual([{ name: 'orders', max_attempts: 5 }]);
  });

  it('answers 200 for the same settings again and 409 for other settings', async () => {
    const settings = {
      name: 'payments',
      maxAttempts: 3,
      visibilityTimeoutMs: 10_000,
      fifo: true,
      retentionMs: 3_600_000,
      backoff: { initialMs: 100, maxMs: 5_000 },
    };
    const created = await server.request('POST', '/v1/queues', { body: settings });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...settings, ready: 0 });
    const again = await server.request('POST', '/v1/queues', { body: settings });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    const other = await server.request('POST', '/v1/queues', { body: { ...settings, maxAttempts: 4 } });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'queue "payments" already exists with other settings',
    });
    expect((await postbox.getQueue('payments')).maxAttempts).toBe(3);
  });

  it('creates a queue with a dead-letter queue, and refuses one that does not exist', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'graveyard' } });
    const res = await server.request('POST', '/v1/queues', { body: { name: 'risky', deadLetterQueue: 'graveyard' } });
    expect(res.status).toBe(201);
    expect(res.body.deadLetterQueue).toBe('graveyard');
    const missing = await server.request('POST', '/v1/queues', {
      body: { name: 'risky2', deadLetterQueue: 'nowhere' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'deadLetterQueue names queue "nowhere", which does not exist',
    });
  });

  it('lists queues with depth by state and settings', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'depth', visibilityTimeoutMs: 60_000 } });
    await postbox.sendBatch('depth', [{ body: 1 }, { body: 2 }, { body: 3 }, { body: 4, delayMs: 60_000 }]);
    await postbox.receive('depth', { max: 1 });
    const res = await server.request('GET', '/v1/queues');
    expect(res.status).toBe(200);
    expect(res.body.map((q: { name: string }) => q.name)).toEqual([
      'depth',
      'graveyard',
      'orders',
      'payments',
      'risky',
    ]);
    const depth = res.body.find((q: { name: string }) => q.name === 'depth');
    expect(depth).toMatchObject({ ready: 2, delayed: 1, inFlight: 1, dead: 0, visibilityTimeoutMs: 60_000 });
    expect(depth.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
  });

  it('gets one queue, 404 for an unknown one, 400 for a bad name', async () => {
    const res = await server.request('GET', '/v1/queues/depth');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'depth', ready: 2, delayed: 1, inFlight: 1 });
    const missing = await server.request('GET', '/v1/queues/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'queue "nope" does not exist' });
    const bad = await server.request('GET', '/v1/queues/-bad');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ statusCode: 400, error: 'Bad Request', message: `queue ${NAME_RULE}` });
  });

  it('deletes a queue with its messages: 204, then 404', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'doomed' } });
    await postbox.send('doomed', { body: 'x' });
    const res = await server.request('DELETE', '/v1/queues/doomed');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const { rows } = await client.query("select count(*)::int as n from postbox.messages where queue = 'doomed'");
    expect(rows[0].n).toBe(0);
    const again = await server.request('DELETE', '/v1/queues/doomed');
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'queue "doomed" does not exist' });
  });

  const badBodies: [string, unknown, string][] = [
    ['an unknown field', { name: 'q1', foo: 1 }, 'property foo should not exist'],
    ['a wrong type', { name: 'q1', maxAttempts: '5' }, 'maxAttempts must be an integer number'],
    ['a fraction', { name: 'q1', visibilityTimeoutMs: 1.5 }, 'visibilityTimeoutMs must be an integer number'],
    ['a number out of range', { name: 'q1', maxAttempts: 0 }, 'maxAttempts must not be less than 1'],
    ['a number above the range', { name: 'q1', maxAttempts: 1001 }, 'maxAttempts must not be greater than 1000'],
    ['a missing name', { maxAttempts: 3 }, `name ${NAME_RULE}`],
    ['a bad queue name', { name: '-bad' }, `name ${NAME_RULE}`],
    ['a too long queue name', { name: 'x'.repeat(129) }, `name ${NAME_RULE}`],
    ['a non-boolean fifo', { name: 'q1', fifo: 'yes' }, 'fifo must be a boolean value'],
    [
      'an unknown nested field',
      { name: 'q1', backoff: { initialMs: 1, maxMs: 2, x: 1 } },
      'property backoff.x should not exist',
    ],
    ['a non-object nested field', { name: 'q1', backoff: 5 }, 'backoff must be an object'],
    ['a missing nested field', { name: 'q1', backoff: { initialMs: 1 } }, 'backoff.maxMs must be an integer number'],
    [
      'inconsistent backoff',
      { name: 'q1', backoff: { initialMs: 10, maxMs: 5 } },
      'backoff.maxMs must be greater than or equal to backoff.initialMs',
    ],
    ['a bad dead-letter queue name', { name: 'q1', deadLetterQueue: 'a b' }, `deadLetterQueue ${NAME_RULE}`],
    ['an array body', [{ name: 'q1' }], 'body must be a JSON object'],
  ];
  it.each(badBodies)('answers 400 naming the field for %s, and creates nothing', async (_case, body, message) => {
    const before = await tableCounts(client);
    const res = await server.request('POST', '/v1/queues', { body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
    expect(await tableCounts(client)).toEqual(before);
  });

  it('lists every failed field of one body in the message', async () => {
    const res = await server.request('POST', '/v1/queues', { body: { name: '', maxAttempts: 'x', extra: true } });
    expect(res.status).toBe(400);
    expect(res.body.message.split('; ').sort()).toEqual(
      ['property extra should not exist', `name ${NAME_RULE}`, 'maxAttempts must be an integer number'].sort(),
    );
  });
});
