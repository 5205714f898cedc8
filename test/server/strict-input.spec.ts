import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, InvalidInputError, MAX_RETENTION_MS, type Postbox } from '../../libs/core/src/index';
import { openTestPostbox } from '../setup/test-database';
import { startTestServer, type TestServer, until } from './test-server';

/** Targeted cases of issue #10 items 4-6: each failed on the code before this change. */
describe('strict input', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let server: TestServer;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
  });
  afterAll(() => server.close());

  const raw = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(server.url + path, { method, body, headers });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };
  const json = { 'content-type': 'application/json' };
  const deadIds = async (queue: string) =>
    (await client.query('select id::text from postbox.dead_letters where queue = $1 order by id', [queue])).rows.map(
      (r) => r.id as string,
    );

  async function queueWithDeadLetters(name: string, count: number): Promise<string[]> {
    await postbox.createQueue(name, { maxAttempts: 1 });
    await postbox.sendBatch(
      name,
      Array.from({ length: count }, (_, i) => ({ body: i })),
    );
    const claimed = await postbox.receive(name, { max: count });
    await postbox.nack(
      name,
      claimed.map((m) => ({ receipt: m.receipt })),
    );
    return deadIds(name);
  }

  describe('redrive never guesses', () => {
    it('text/plain {"ids":[...]} is a 415 and every dead letter stays dead', async () => {
      const dead = await queueWithDeadLetters('redrive-plain', 3);
      expect(dead).toHaveLength(3);
      const res = await raw('POST', '/v1/queues/redrive-plain/redrive', JSON.stringify({ ids: [dead[0]] }), {
        'content-type': 'text/plain',
      });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: 'content-type "text/plain" is not supported: bodies are JSON (application/json)',
      });
      expect(await deadIds('redrive-plain')).toEqual(dead);
      expect((await postbox.getQueueStats('redrive-plain')).ready).toBe(0);
    });

    it('a body without a content type is a 415, an empty body a 400; only {all: true} redrives all', async () => {
      const dead = await queueWithDeadLetters('redrive-empty', 2);
      // A Buffer: fetch adds no content type of its own (for a string it sends text/plain).
      const untyped = await raw('POST', '/v1/queues/redrive-empty/redrive', Buffer.from('{"ids":["1"]}'));
      expect(untyped.status).toBe(415);
      expect(untyped.body.message).toBe('a body needs content-type: application/json');
      for (const body of [undefined, '{}', '{"all":false}', '{"ids":[]}']) {
        const res = await raw('POST', '/v1/queues/redrive-empty/redrive', body, json);
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(/all|ids/);
      }
      expect(await deadIds('redrive-empty')).toEqual(dead);
      const all = await raw('POST', '/v1/queues/redrive-empty/redrive', '{"all":true}', json);
      expect(all.body).toEqual({ redriven: 2 });
      expect(await deadIds('redrive-empty')).toEqual([]);
    });
  });

  describe('prototype keys', () => {
    it('inside a message body and headers they are stored and returned as sent', async () => {
      await postbox.createQueue('proto');
      const sent =
        '{"body":{"__proto__":{"x":1},"k":1,"constructor":{"y":2},"prototype":3},"headers":{"__proto__":"h"}}';
      const res = await raw('POST', '/v1/queues/proto/messages', sent, json);
      expect(res.status).toBe(201);
      const { rows } = await client.query('select body::text, headers::text from postbox.messages where queue = $1', [
        'proto',
      ]);
      expect(rows).toEqual([
        {
          body: '{"k": 1, "__proto__": {"x": 1}, "prototype": 3, "constructor": {"y": 2}}',
          headers: '{"__proto__": "h"}',
        },
      ]);
      const peek = await raw('GET', '/v1/queues/proto/messages');
      const [message] = JSON.parse(peek.text).messages;
      expect(Object.keys(message.body).sort()).toEqual(['__proto__', 'constructor', 'k', 'prototype']);
      expect(Object.getOwnPropertyDescriptor(message.body, '__proto__')?.value).toEqual({ x: 1 });
    });

    it('at the top level and in settings they are unknown fields', async () => {
      const top = await raw('POST', '/v1/queues', '{"name":"proto-top","__proto__":{"fifo":true}}', json);
      expect(top.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'property __proto__ should not exist',
      });
      const nested = await raw('POST', '/v1/queues', '{"name":"proto-top","backoff":{"constructor":1}}', json);
      expect(nested.body.message).toBe('property backoff.constructor should not exist');
      const inBatch = await raw('POST', '/v1/queues/proto/messages', '{"messages":[{"body":1,"prototype":1}]}', json);
      expect(inBatch.body.message).toBe('property messages.0.prototype should not exist');
      expect((await postbox.listQueues()).map((q) => q.name)).not.toContain('proto-top');
    });
  });

  describe('numbers', () => {
    it('a number JSON.parse would change is a 400 naming its field; others are stored exactly', async () => {
      await postbox.createQueue('numbers');
      const huge = await raw('POST', '/v1/queues/numbers/messages', '{"body":{"amount":1e400}}', json);
      expect(huge.status).toBe(400);
      expect(huge.body.message).toMatch(/^body\.amount must be a number JSON\.parse keeps exactly \(1e400/);
      const big = await raw('POST', '/v1/queues/numbers/messages', '{"body":1,"priority":9007199254740993}', json);
      expect(big.body.message).toMatch(/^priority must be a number JSON\.parse keeps exactly/);
      const ok = await raw(
        'POST',
        '/v1/queues/numbers/messages',
        '{"body":[0.1,1.5e3,9007199254740991,-2.5e-7,0.30000000000000004]}',
        json,
      );
      expect(ok.status).toBe(201);
      const { rows } = await client.query('select body::text from postbox.messages where queue = $1', ['numbers']);
      expect(rows).toEqual([{ body: '[0.1, 1500, 9007199254740991, -0.00000025, 0.30000000000000004]' }]);
    });

    it('receipts and ids beyond bigint are 400s naming the field; a well-formed unknown receipt is stale', async () => {
      await postbox.createQueue('bigint');
      for (const receipt of ['9999999999999999999.1', '1.9999999999999999999', '-1', '1e3']) {
        const res = await raw('POST', '/v1/queues/bigint/ack', JSON.stringify({ receipts: [receipt] }), json);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: 'receipts.0 is not a receipt returned by receive',
        });
      }
      const stale = await raw('POST', '/v1/queues/bigint/ack', '{"receipts":["9223372036854775807.1"]}', json);
      expect(stale.body).toEqual({ acked: 0, stale: ['9223372036854775807.1'] });
      const ids = await raw('POST', '/v1/queues/bigint/redrive', '{"ids":["1","9999999999999999999"]}', json);
      expect(ids.body.message).toBe('ids.1 must be a message id (a string of digits within bigint)');
      await expect(postbox.redrive('bigint', ['9999999999999999999'])).rejects.toThrow('ids[0] must be a message id');
      await expect(postbox.ack('bigint', ['9999999999999999999.1'])).rejects.toThrow(InvalidInputError);
    });
  });

  describe('depth, NUL, surrogates, encodings', () => {
    it('a body nested 10,000 deep is a 400 before anything walks it; 90 deep round-trips', async () => {
      await postbox.createQueue('deep');
      const tooDeep = await raw(
        'POST',
        '/v1/queues/deep/messages',
        `{"body":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        json,
      );
      expect(tooDeep.status).toBe(400);
      expect(tooDeep.body.message).toMatch(/^body nested deeper than 100 levels \(at body\.0\.0/);
      const fine = `${'['.repeat(90)}"x"${']'.repeat(90)}`;
      expect((await raw('POST', '/v1/queues/deep/messages', `{"body":${fine}}`, json)).status).toBe(201);
      const peek = await raw('GET', '/v1/queues/deep/messages');
      expect(JSON.stringify(peek.body.messages[0].body)).toBe(fine);
    });

    it('NUL and lone surrogates are 400s naming the field, from REST and from the library', async () => {
      await postbox.createQueue('nul');
      const cases: Array<[string, string]> = [
        ['{"body":"a\\u0000"}', 'body must not contain NUL'],
        ['{"body":1,"headers":{"k":"\\u0000"}}', 'headers.k must not contain NUL'],
        ['{"body":1,"dedupKey":"\\ud800"}', 'dedupKey must not contain lone UTF-16 surrogates'],
        ['{"messages":[{"body":1},{"body":1,"groupKey":"\\u0000"}]}', 'messages.1.groupKey must not contain NUL'],
      ];
      for (const [body, message] of cases) {
        const res = await raw('POST', '/v1/queues/nul/messages', body, json);
        expect(res.status).toBe(400);
        expect(res.body.message).toContain(message);
      }
      const nack = await raw('POST', '/v1/queues/nul/nack', '{"receipts":["1.1"],"error":"x\\u0000"}', json);
      expect(nack.body.message).toContain('error must not contain NUL');
      await expect(postbox.send('nul', { body: { a: 'x\u0000' } })).rejects.toThrow('body must not contain NUL');
      await expect(postbox.send('nul', { body: '\udc00' })).rejects.toThrow('body must not contain lone');
      await expect(postbox.send('nul', { body: 1, groupKey: 'a\u0000' })).rejects.toThrow('groupKey');
      // A backslash followed by "u0000" is text, not a NUL.
      await postbox.send('nul', { body: '\\u0000' });
      expect((await postbox.peek('nul', 'ready')).map((m) => m.body)).toEqual(['\\u0000']);
    });

    it('one bad message among concurrent single sends fails alone; its neighbours are stored', async () => {
      await postbox.createQueue('group');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => postbox.send('group', { body: i === 4 ? 'bad\u0000' : i })),
      );
      expect(results.map((r) => r.status)).toEqual([
        ...Array(4).fill('fulfilled'),
        'rejected',
        ...Array(5).fill('fulfilled'),
      ]);
      expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
      const { rows } = await client.query('select body from postbox.messages where queue = $1 order by id', ['group']);
      expect(rows.map((r) => r.body)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
      // The same over REST: concurrent requests, one 400, nine 201.
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          raw('POST', '/v1/queues/group/messages', i === 4 ? '{"body":"\\u0000"}' : `{"body":${i}}`, json),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 400, 201, 201, 201, 201, 201]);
    });

    it('gzip is inflated; a body that is not gzip is a 400, an unknown encoding a 415, other types 415', async () => {
      await postbox.createQueue('gz');
      const ok = await raw('POST', '/v1/queues/gz/messages', gzipSync('{"body":"zipped"}'), {
        ...json,
        'content-encoding': 'gzip',
      });
      expect(ok.status).toBe(201);
      expect((await postbox.peek('gz', 'ready')).map((m) => m.body)).toEqual(['zipped']);
      const notGzip = await raw('POST', '/v1/queues/gz/messages', '{"body":1}', {
        ...json,
        'content-encoding': 'gzip',
      });
      expect(notGzip.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'body is not valid gzip data' });
      const unknown = await raw('POST', '/v1/queues/gz/messages', '{"body":1}', {
        ...json,
        'content-encoding': 'zstd',
      });
      expect(unknown.status).toBe(415);
      expect(unknown.body.message).toContain('content-encoding "zstd" is not supported');
      const form = await raw('POST', '/v1/queues/gz/messages', 'body=1', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(form.status).toBe(415);
      expect((await postbox.peek('gz', 'ready')).length).toBe(1);
    });
  });

  describe('settings bounded to what the database holds', () => {
    it('retentionMs 9007199254740991 is a 400 (REST) and an InvalidInputError (library)', async () => {
      const res = await raw('POST', '/v1/queues', '{"name":"ret","retentionMs":9007199254740991}', json);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: `retentionMs must not be greater than ${MAX_RETENTION_MS}`,
      });
      const topic = await raw('POST', '/v1/topics', '{"name":"ret","retentionMs":9007199254740991}', json);
      expect(topic.body.message).toBe(`retentionMs must not be greater than ${MAX_RETENTION_MS}`);
      await expect(postbox.createQueue('ret', { retentionMs: Number.MAX_SAFE_INTEGER })).rejects.toThrow(
        `retentionMs must be an integer between 1 and ${MAX_RETENTION_MS}`,
      );
      await expect(postbox.createTopic('ret', { retentionMs: Number.MAX_SAFE_INTEGER })).rejects.toThrow(
        InvalidInputError,
      );
    });

    it('the longest retention allowed still lets maintain_archive run', async () => {
      await postbox.createQueue('ret-max', { retentionMs: MAX_RETENTION_MS });
      await postbox.createTopic('ret-max', { retentionMs: MAX_RETENTION_MS });
      await expect(postbox.maintainArchive()).resolves.toBeDefined();
    });

    it('times outside years 1-9999 are refused before Postgres sees them', async () => {
      await postbox.createQueue('times');
      await expect(postbox.send('times', { body: 1, availableAt: new Date(-8.6e15) })).rejects.toThrow(
        'availableAt must be a time between years 0001 and 9999',
      );
      await expect(postbox.replay('times', { from: new Date(-8.6e15) })).rejects.toThrow(InvalidInputError);
      const res = await raw(
        'POST',
        '/v1/queues/times/messages',
        '{"body":1,"availableAt":"-9999-01-01T00:00:00Z"}',
        json,
      );
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('availableAt');
    });

    it('every other numeric setting answers 400 naming it beyond its bound', async () => {
      const cases: Array<[string, string, string]> = [
        ['/v1/queues', '{"name":"b","maxAttempts":1001}', 'maxAttempts'],
        ['/v1/queues', '{"name":"b","visibilityTimeoutMs":43200001}', 'visibilityTimeoutMs'],
        ['/v1/queues', '{"name":"b","dedupWindowMs":604800001}', 'dedupWindowMs'],
        ['/v1/queues', '{"name":"b","backoff":{"initialMs":0,"maxMs":86400001}}', 'backoff.maxMs'],
        ['/v1/queues/times/messages', '{"body":1,"delayMs":31536000001}', 'delayMs'],
        ['/v1/queues/times/messages', '{"body":1,"priority":2147483648}', 'priority'],
        ['/v1/queues/times/receive', '{"waitMs":30001}', 'waitMs'],
        ['/v1/queues/times/receive', '{"max":1001}', 'max'],
        ['/v1/transactions', '{"queue":"times","body":1,"checkAfterMs":86400001}', 'checkAfterMs'],
        ['/v1/transactions', '{"queue":"times","body":1,"maxChecks":1001}', 'maxChecks'],
      ];
      for (const [path, body, field] of cases) {
        const res = await raw('POST', path, body, json);
        expect(res.status, `${path} ${body}`).toBe(400);
        expect(res.body.message.startsWith(`${field} `), res.body.message).toBe(true);
      }
    });
  });

  describe('errors shown over REST', () => {
    it("a handler's error is stored as name and message; the stack stays in the process", async () => {
      expect(describeError(new TypeError('card declined'))).toBe('TypeError: card declined');
      // Storable as Postgres text: a NUL in one handler's error must not fail a batched nack.
      expect(describeError(new Error('a\u0000b\ud800'))).toBe('Error: a\ufffdb\ufffd');
      await postbox.createQueue('handler-errors', { maxAttempts: 1 });
      await postbox.send('handler-errors', { body: 'x' });
      const seen: unknown[] = [];
      const consumer = await postbox.consume(
        'handler-errors',
        () => {
          throw new Error('card declined');
        },
        { pollIntervalMs: 20, onError: (error) => seen.push(error) },
      );
      await until(async () => (await postbox.getQueueStats('handler-errors')).dead === 1);
      await consumer.stop();
      const peek = await raw('GET', '/v1/queues/handler-errors/messages?state=dead');
      expect(peek.body.messages[0].lastError).toBe('Error: card declined');
      expect(peek.text).not.toMatch(/\s+at |\.ts:\d+|\/work\//);
      // The stack went to onError (the logs), with the error itself.
      expect((seen[0] as Error).stack).toContain('strict-input.spec.ts');
    });
  });
});
