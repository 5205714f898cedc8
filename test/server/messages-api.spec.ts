import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LongPolls } from '../../apps/server/src/messages/long-polls';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox } from '../setup/test-database';
import { sleep, startTestServer, type TestServer, tableCounts, until } from './test-server';

interface Received {
  id: string;
  receipt: string;
  body: unknown;
  headers: Record<string, string>;
  attempts: number;
  enqueuedAt: string;
  groupKey?: string;
  priority: number;
  leaseExpiresAt: string;
}

describe('REST message routes', () => {
  let postbox: Postbox;
  let server: TestServer;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
  });
  afterAll(() => server.close());

  const createQueue = async (body: Record<string, unknown>) => {
    const res = await server.request('POST', '/v1/queues', { body });
    expect(res.status).toBe(201);
  };
  const receive = async (queue: string, body: Record<string, unknown> = {}) => {
    const res = await server.request<{ messages: Received[] }>('POST', `/v1/queues/${queue}/receive`, { body });
    expect(res.status).toBe(200);
    return res.body.messages;
  };

  it('sends one message: 201 {ids}, stored with its headers and priority', async () => {
    await createQueue({ name: 'single' });
    const res = await server.request('POST', '/v1/queues/single/messages', {
      body: { body: { orderId: 42, items: [1, 2] }, headers: { traceId: 'abc' }, priority: 3 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ids: [expect.stringMatching(/^\d+$/)] });
    const { rows } = await client.query(
      'select id::text, body, headers, priority from postbox.messages where queue = $1',
      ['single'],
    );
    expect(rows).toEqual([
      { id: res.body.ids[0], body: { orderId: 42, items: [1, 2] }, headers: { traceId: 'abc' }, priority: 3 },
    ]);
  });

  it('accepts any JSON value as a body, null included', async () => {
    await createQueue({ name: 'bodies' });
    for (const body of [null, 0, 'text', [1, 'two'], { nested: { deep: true } }]) {
      const res = await server.request('POST', '/v1/queues/bodies/messages', { body: { body } });
      expect(res.status).toBe(201);
    }
    const messages = await receive('bodies', { max: 10 });
    expect(messages.map((m) => m.body)).toEqual([null, 0, 'text', [1, 'two'], { nested: { deep: true } }]);
  });

  it('sends a batch in input order and reports dedup duplicates with the original id', async () => {
    await createQueue({ name: 'batch' });
    const res = await server.request('POST', '/v1/queues/batch/messages', {
      body: { messages: [{ body: 'a', dedupKey: 'k1' }, { body: 'b' }, { body: 'c', dedupKey: 'k1' }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.ids).toHaveLength(3);
    expect(res.body.ids[2]).toBe(res.body.ids[0]);
    expect(res.body.duplicates).toEqual([2]);
    const retry = await server.request('POST', '/v1/queues/batch/messages', {
      body: { body: 'again', dedupKey: 'k1' },
    });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual({ ids: [res.body.ids[0]], duplicates: [0] });
    const { rows } = await client.query("select body from postbox.messages where queue = 'batch' order by id");
    expect(rows.map((r) => r.body)).toEqual(['a', 'b']);
  });

  it('sends 1000 messages in one batch', async () => {
    await createQueue({ name: 'thousand' });
    const messages = Array.from({ length: 1000 }, (_, i) => ({ body: i }));
    const res = await server.request('POST', '/v1/queues/thousand/messages', { body: { messages } });
    expect(res.status).toBe(201);
    expect(new Set(res.body.ids).size).toBe(1000);
    expect((await postbox.getQueueStats('thousand')).ready).toBe(1000);
  });

  it('delays messages by delayMs or availableAt', async () => {
    await createQueue({ name: 'later' });
    const at = new Date(Date.now() + 3_600_000).toISOString();
    await server.request('POST', '/v1/queues/later/messages', {
      body: { messages: [{ body: 1, delayMs: 60_000 }, { body: 2, availableAt: at }, { body: 3 }] },
    });
    expect(await receive('later', { max: 10 })).toHaveLength(1);
    const peek = await server.request('GET', '/v1/queues/later/messages?state=delayed');
    expect(peek.status).toBe(200);
    expect(peek.body.messages.map((m: { body: number }) => m.body)).toEqual([1, 2]);
    expect(peek.body.messages[1].availableAt).toBe(at);
  });

  it('receives with receipts, in priority order, groupKey only when set', async () => {
    await createQueue({ name: 'recv', visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch('recv', [
      { body: 'low', priority: 5 },
      { body: 'high', priority: -1, headers: { h: 'v' }, groupKey: 'g1' },
      { body: 'mid' },
    ]);
    const one = await receive('recv');
    expect(one).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        receipt: expect.stringMatching(/^\d+\.-?\d+$/),
        body: 'high',
        headers: { h: 'v' },
        attempts: 1,
        enqueuedAt: expect.stringMatching(/Z$/),
        groupKey: 'g1',
        priority: -1,
        leaseExpiresAt: expect.stringMatching(/Z$/),
      },
    ]);
    const lease = Date.parse(one[0]?.leaseExpiresAt as string) - Date.now();
    expect(lease).toBeGreaterThan(30_000);
    const rest = await receive('recv', { max: 10, visibilityTimeoutMs: 5_000 });
    expect(rest.map((m) => m.body)).toEqual(['mid', 'low']);
    expect(rest[0]).not.toHaveProperty('groupKey');
    expect(rest[0]?.headers).toEqual({});
    expect(await receive('recv', { max: 10 })).toEqual([]);
  });

  it('acks by receipt: 200 {acked, stale}; a second ack is stale', async () => {
    await createQueue({ name: 'acks' });
    await postbox.sendBatch('acks', [{ body: 1 }, { body: 2 }]);
    const [a, b] = await receive('acks', { max: 2 });
    const res = await server.request('POST', '/v1/queues/acks/ack', { body: { receipts: [a?.receipt, b?.receipt] } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ acked: 2, stale: [] });
    const again = await server.request('POST', '/v1/queues/acks/ack', { body: { receipts: [a?.receipt] } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ acked: 0, stale: [a?.receipt] });
    const { rows } = await client.query("select count(*)::int as n from postbox.messages where queue = 'acks'");
    expect(rows[0].n).toBe(0);
  });

  it('a receipt is stale once its lease expired and the message was delivered again', async () => {
    await createQueue({ name: 'stale' });
    await postbox.send('stale', { body: 'x' });
    const [first] = await receive('stale');
    // visibilityTimeoutMs 0: the lease ends now, the message is visible again.
    const extend = await server.request('POST', '/v1/queues/stale/extend', {
      body: { receipts: [first?.receipt], visibilityTimeoutMs: 0 },
    });
    expect(extend.body).toEqual({ extended: 1, stale: [] });
    const [second] = await receive('stale');
    expect(second?.id).toBe(first?.id);
    expect(second?.attempts).toBe(2);
    const old = await server.request('POST', '/v1/queues/stale/ack', { body: { receipts: [first?.receipt] } });
    expect(old.body).toEqual({ acked: 0, stale: [first?.receipt] });
    const current = await server.request('POST', '/v1/queues/stale/ack', { body: { receipts: [second?.receipt] } });
    expect(current.body).toEqual({ acked: 1, stale: [] });
  });

  it('nacks with delay and error, then dead-letters on the last attempt, and redrives', async () => {
    await createQueue({ name: 'retry', maxAttempts: 2 });
    const sent = await server.request('POST', '/v1/queues/retry/messages', { body: { body: 'job' } });
    const [first] = await receive('retry');
    const nack = await server.request('POST', '/v1/queues/retry/nack', {
      body: { receipts: [first?.receipt], delayMs: 0, error: 'boom 1' },
    });
    expect(nack.status).toBe(200);
    expect(nack.body).toEqual({ retried: 1, deadLettered: 0, stale: [] });
    const [second] = await receive('retry');
    expect(second?.attempts).toBe(2);
    const stale = await server.request('POST', '/v1/queues/retry/nack', { body: { receipts: [first?.receipt] } });
    expect(stale.body).toEqual({ retried: 0, deadLettered: 0, stale: [first?.receipt] });
    const last = await server.request('POST', '/v1/queues/retry/nack', {
      body: { receipts: [second?.receipt], error: 'boom 2' },
    });
    expect(last.body).toEqual({ retried: 0, deadLettered: 1, stale: [] });

    const dead = await server.request('GET', '/v1/queues/retry/messages?state=dead');
    expect(dead.status).toBe(200);
    expect(dead.body.messages).toEqual([
      expect.objectContaining({ id: sent.body.ids[0], state: 'dead', body: 'job', attempts: 2, lastError: 'boom 2' }),
    ]);
    expect((await server.request('GET', '/v1/queues/retry')).body).toMatchObject({ dead: 1, ready: 0 });

    const redrive = await server.request('POST', '/v1/queues/retry/redrive', { body: { ids: [sent.body.ids[0]] } });
    expect(redrive.status).toBe(200);
    expect(redrive.body).toEqual({ redriven: 1 });
    const [again] = await receive('retry');
    expect(again).toMatchObject({ id: sent.body.ids[0], attempts: 1, body: 'job' });
  });

  it('redrives every dead letter with {all: true} (never from an empty body)', async () => {
    await createQueue({ name: 'redrive-all', maxAttempts: 1 });
    await postbox.sendBatch('redrive-all', [{ body: 1 }, { body: 2 }]);
    const messages = await receive('redrive-all', { max: 2 });
    await server.request('POST', '/v1/queues/redrive-all/nack', { body: { receipts: messages.map((m) => m.receipt) } });
    const empty = await server.request('POST', '/v1/queues/redrive-all/redrive');
    expect(empty.status).toBe(400);
    const res = await server.request('POST', '/v1/queues/redrive-all/redrive', { body: { all: true } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ redriven: 2 });
    expect((await server.request('GET', '/v1/queues/redrive-all')).body).toMatchObject({ ready: 2, dead: 0 });
  });

  it('extends a lease by receipt', async () => {
    await createQueue({ name: 'ext', visibilityTimeoutMs: 1_000 });
    await postbox.send('ext', { body: 'slow' });
    const [m] = await receive('ext');
    const res = await server.request('POST', '/v1/queues/ext/extend', {
      body: { receipts: [m?.receipt, '999999.1'], visibilityTimeoutMs: 600_000 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ extended: 1, stale: ['999999.1'] });
    const peek = await server.request('GET', '/v1/queues/ext/messages?state=inFlight&limit=5');
    expect(Date.parse(peek.body.messages[0].availableAt) - Date.now()).toBeGreaterThan(500_000);
  });

  it('peeks by state without claiming, honouring limit', async () => {
    await createQueue({ name: 'peek' });
    await postbox.sendBatch('peek', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    const res = await server.request('GET', '/v1/queues/peek/messages?state=ready&limit=2');
    expect(res.status).toBe(200);
    expect(res.body.messages).toEqual([
      {
        id: expect.any(String),
        state: 'ready',
        body: 1,
        headers: {},
        attempts: 0,
        priority: 0,
        enqueuedAt: expect.any(String),
        availableAt: expect.any(String),
        groupKey: null,
        dedupKey: null,
        lastError: null,
      },
      expect.objectContaining({ body: 2 }),
    ]);
    const defaults = await server.request('GET', '/v1/queues/peek/messages');
    expect(defaults.body.messages).toHaveLength(3);
    expect((await server.request('GET', '/v1/queues/peek')).body).toMatchObject({ ready: 3, inFlight: 0 });
    expect((await server.request('GET', '/v1/queues/peek/messages?state=inFlight')).body).toEqual({ messages: [] });
  });

  it('answers 404 on every message route of an unknown queue', async () => {
    const receipts = ['1.1'];
    const calls: [string, string, unknown][] = [
      ['POST', '/v1/queues/ghost/messages', { body: 1 }],
      ['POST', '/v1/queues/ghost/messages', { messages: [{ body: 1 }] }],
      ['POST', '/v1/queues/ghost/receive', {}],
      ['POST', '/v1/queues/ghost/receive', { waitMs: 5_000 }],
      ['POST', '/v1/queues/ghost/ack', { receipts }],
      ['POST', '/v1/queues/ghost/nack', { receipts }],
      ['POST', '/v1/queues/ghost/extend', { receipts, visibilityTimeoutMs: 1 }],
      ['GET', '/v1/queues/ghost/messages?state=dead', undefined],
      ['POST', '/v1/queues/ghost/redrive', { all: true }],
    ];
    for (const [method, path, body] of calls) {
      const res = await server.request(method, path, { body });
      expect([method, path, res.status, res.body]).toEqual([
        method,
        path,
        404,
        { statusCode: 404, error: 'Not Found', message: 'queue "ghost" does not exist' },
      ]);
    }
  });

  describe('bad input: 400 naming the field, nothing changed', () => {
    beforeAll(async () => {
      await createQueue({ name: 'strict' });
      await postbox.send('strict', { body: 'keep' });
    });

    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ body: i }));
    const withBadFourth = [{ body: 0 }, { body: 1 }, { body: 2 }, { body: 3, priority: 1.5 }];
    const cases: [string, string, string, unknown, string][] = [
      ['send: unknown field', 'POST', 'messages', { body: 1, foo: 1 }, 'property foo should not exist'],
      ['send: missing body', 'POST', 'messages', { headers: {} }, 'body is required'],
      ['send: wrong type', 'POST', 'messages', { body: 1, priority: 'high' }, 'priority must be an integer number'],
      ['send: out of range', 'POST', 'messages', { body: 1, delayMs: -1 }, 'delayMs must not be less than 0'],
      [
        'send: header not a string',
        'POST',
        'messages',
        { body: 1, headers: { a: 1 } },
        'headers must be an object whose values are strings',
      ],
      [
        'send: availableAt and delayMs',
        'POST',
        'messages',
        { body: 1, delayMs: 5, availableAt: '2030-01-01T00:00:00Z' },
        'availableAt cannot be combined with delayMs',
      ],
      [
        'send: bad availableAt',
        'POST',
        'messages',
        { body: 1, availableAt: 'tomorrow' },
        'availableAt must be a valid ISO 8601 date string',
      ],
      [
        'send: empty dedupKey',
        'POST',
        'messages',
        { body: 1, dedupKey: '' },
        'dedupKey must be longer than or equal to 1 characters',
      ],
      [
        'batch: over 1000',
        'POST',
        'messages',
        { messages: tooMany },
        'messages must contain no more than 1000 elements',
      ],
      ['batch: empty', 'POST', 'messages', { messages: [] }, 'messages must contain at least 1 elements'],
      ['batch: not an array', 'POST', 'messages', { messages: { body: 1 } }, 'messages must be an array'],
      [
        'batch: a message that is not an object',
        'POST',
        'messages',
        { messages: [{ body: 1 }, 2] },
        'messages.1 must be a message object',
      ],
      [
        'batch: one bad message',
        'POST',
        'messages',
        { messages: withBadFourth },
        'messages.3.priority must be an integer number',
      ],
      [
        'batch: unknown field in a message',
        'POST',
        'messages',
        { messages: [{ body: 1, prio: 1 }] },
        'property messages.0.prio should not exist',
      ],
      [
        'batch: extra top-level field',
        'POST',
        'messages',
        { messages: [{ body: 1 }], x: 1 },
        'property x should not exist',
      ],
      [
        'send: a bare JSON array',
        'POST',
        'messages',
        [{ body: 1 }],
        'body must be a JSON object: one message, or {"messages": [...]}',
      ],
      ['receive: max too high', 'POST', 'receive', { max: 1001 }, 'max must not be greater than 1000'],
      ['receive: max zero', 'POST', 'receive', { max: 0 }, 'max must not be less than 1'],
      ['receive: waitMs too long', 'POST', 'receive', { waitMs: 30_001 }, 'waitMs must not be greater than 30000'],
      ['receive: wrong type', 'POST', 'receive', { max: '10' }, 'max must be an integer number'],
      ['receive: unknown field', 'POST', 'receive', { maxMessages: 10 }, 'property maxMessages should not exist'],
      [
        'receive: zero lease',
        'POST',
        'receive',
        { visibilityTimeoutMs: 0 },
        'visibilityTimeoutMs must not be less than 1',
      ],
      ['ack: bad receipt', 'POST', 'ack', { receipts: ['nope'] }, 'receipts.0 is not a receipt returned by receive'],
      [
        'ack: bad second receipt',
        'POST',
        'ack',
        { receipts: ['1.2', 42] },
        'receipts.1 is not a receipt returned by receive',
      ],
      ['ack: missing receipts', 'POST', 'ack', {}, 'receipts must be an array'],
      ['ack: empty receipts', 'POST', 'ack', { receipts: [] }, 'receipts must contain at least 1 elements'],
      ['nack: negative delay', 'POST', 'nack', { receipts: ['1.2'], delayMs: -5 }, 'delayMs must not be less than 0'],
      ['nack: error not a string', 'POST', 'nack', { receipts: ['1.2'], error: { a: 1 } }, 'error must be a string'],
      [
        'extend: missing timeout',
        'POST',
        'extend',
        { receipts: ['1.2'] },
        'visibilityTimeoutMs must be an integer number',
      ],
      [
        'extend: timeout too long',
        'POST',
        'extend',
        { receipts: ['1.2'], visibilityTimeoutMs: 43_200_001 },
        'visibilityTimeoutMs must not be greater than 43200000',
      ],
      [
        'redrive: bad id',
        'POST',
        'redrive',
        { ids: ['1', 'x'] },
        'ids.1 must be a message id (a string of digits within bigint)',
      ],
      ['redrive: ids not an array', 'POST', 'redrive', { ids: '1' }, 'ids must be an array'],
      [
        'peek: bad state',
        'GET',
        'messages?state=gone',
        undefined,
        'state must be one of the following values: ready, delayed, inFlight, dead',
      ],
      ['peek: limit not a number', 'GET', 'messages?limit=ten', undefined, 'limit must be an integer number'],
      ['peek: limit too high', 'GET', 'messages?limit=1001', undefined, 'limit must not be greater than 1000'],
      ['peek: unknown parameter', 'GET', 'messages?order=desc', undefined, 'property order should not exist'],
    ];
    it.each(cases)('%s', async (_case, method, route, body, message) => {
      const before = await tableCounts(client);
      const res = await server.request(method, `/v1/queues/strict/${route}`, { body });
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
      expect(res.status).toBe(400);
      expect(await tableCounts(client)).toEqual(before);
    });

    it('a bad queue name in the path', async () => {
      const res = await server.request('POST', '/v1/queues/bad%20name/messages', { body: { body: 1 } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'queue must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$',
      });
    });

    it('malformed JSON', async () => {
      const before = await tableCounts(client);
      const res = await server.request('POST', '/v1/queues/strict/messages', { raw: '{"body": 1,' });
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      expect(res.body.message).toMatch(/^body is not valid JSON/);
      expect(await tableCounts(client)).toEqual(before);
    });

    it('a body over the 1mb limit', async () => {
      const before = await tableCounts(client);
      const res = await server.request('POST', '/v1/queues/strict/messages', { body: { body: 'x'.repeat(1_100_000) } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'body must not be larger than 1mb' });
      expect(await tableCounts(client)).toEqual(before);
    });

    it('a batch with one bad message sends none of the others', async () => {
      const before = await tableCounts(client);
      const res = await server.request('POST', '/v1/queues/strict/messages', {
        body: { messages: [{ body: 'ok' }, { body: 'ok too' }, { body: 'bad', groupKey: 'g'.repeat(257) }] },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('messages.2.groupKey must be shorter than or equal to 256 characters');
      expect(await tableCounts(client)).toEqual(before);
    });
  });

  describe('long poll', () => {
    beforeAll(() => createQueue({ name: 'poll' }));

    it('returns as soon as a message is sent during the wait, well before waitMs', async () => {
      const waitMs = 25_000;
      const started = Date.now();
      const pending = server.request<{ messages: Received[] }>('POST', '/v1/queues/poll/receive', { body: { waitMs } });
      const longPolls = server.app.get(LongPolls);
      await until(() => longPolls.waitingCount === 1 && postbox.listener.connected);
      await sleep(50);
      const sent = await server.request('POST', '/v1/queues/poll/messages', { body: { body: 'wake up' } });
      const res = await pending;
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m) => [m.id, m.body])).toEqual([[sent.body.ids[0], 'wake up']]);
      expect(elapsed).toBeLessThan(waitMs);
      await postbox.ack(
        'poll',
        res.body.messages.map((m) => m.receipt),
      );
    });

    it('answers an empty list after waitMs when nothing arrives', async () => {
      const started = Date.now();
      const res = await server.request('POST', '/v1/queues/poll/receive', { body: { waitMs: 300 } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ messages: [] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('stops waiting when the client disconnects, and claims nothing for it', async () => {
      const longPolls = server.app.get(LongPolls);
      const abort = new AbortController();
      const pending = server
        .request('POST', '/v1/queues/poll/receive', { body: { waitMs: 30_000 }, signal: abort.signal })
        .catch((error: Error) => error);
      await until(() => longPolls.waitingCount === 1);
      abort.abort();
      expect(await pending).toBeInstanceOf(Error);
      await until(() => longPolls.waitingCount === 0, 10_000);
      await postbox.send('poll', { body: 'for someone present' });
      const [message] = await receive('poll');
      expect(message?.body).toBe('for someone present');
    });

    it('answers waiting receives when the app shuts down', async () => {
      const second = await startTestServer(postbox);
      try {
        const pending = second.request('POST', '/v1/queues/poll/receive', { body: { waitMs: 30_000 } });
        const longPolls = second.app.get(LongPolls);
        await until(() => longPolls.waitingCount === 1);
        const started = Date.now();
        await second.close();
        const res = await pending;
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ messages: [] });
        expect(Date.now() - started).toBeLessThan(30_000);
      } finally {
        await second.close();
      }
    });
  });
});
