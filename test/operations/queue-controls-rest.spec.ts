import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer } from '../server/test-server';
import { openTestPostbox } from '../setup/test-database';

/** Issue 13 items 1, 3, 5, 6, 8 over REST: routes, status codes, error text, rows. */
describe('queue controls over REST', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let server: TestServer;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
  });
  afterAll(async () => {
    await server?.close();
  });
  const count = async (queue: string) =>
    (await client.query('select count(*)::int as n from postbox.messages where queue = $1', [queue])).rows[0].n;

  it('creates a queue with the new settings and shows them, with paused', async () => {
    const created = await server.request('POST', '/v1/queues', {
      body: {
        name: 'r-new',
        messageTtlMs: 60000,
        expiredTo: 'drop',
        maxLength: 10,
        overflow: 'dropOldest',
        maxMessageBytes: 2048,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'r-new',
      paused: false,
      messageTtlMs: 60000,
      expiredTo: 'drop',
      maxLength: 10,
      overflow: 'dropOldest',
      maxMessageBytes: 2048,
    });
    const defaults = await server.request('POST', '/v1/queues', { body: { name: 'r-defaults' } });
    expect(defaults.body).toMatchObject({
      messageTtlMs: null,
      expiredTo: 'deadLetter',
      maxLength: null,
      overflow: 'reject',
      maxMessageBytes: 1048576,
    });
  });

  it('pauses and resumes: receive gets nothing while paused, sends land', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'r-pause' } });
    const paused = await server.request('POST', '/v1/queues/r-pause/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toBe(true);
    expect((await server.request('POST', '/v1/queues/r-pause/messages', { body: { body: 'a' } })).status).toBe(201);
    const none = await server.request('POST', '/v1/queues/r-pause/receive', { body: { max: 10 } });
    expect(none.body.messages).toEqual([]);
    expect((await server.request('GET', '/v1/queues/r-pause')).body).toMatchObject({ paused: true, ready: 1 });
    const resumed = await server.request('POST', '/v1/queues/r-pause/resume');
    expect(resumed.body.paused).toBe(false);
    const got = await server.request('POST', '/v1/queues/r-pause/receive', { body: { max: 10 } });
    expect(got.body.messages.map((m: { body: unknown }) => m.body)).toEqual(['a']);
    expect((await server.request('POST', '/v1/queues/r-missing/pause')).status).toBe(404);
  });

  it('PATCH changes settings in place and answers 400 naming the field, changing nothing', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'r-patch', maxAttempts: 3 } });
    const patched = await server.request('PATCH', '/v1/queues/r-patch', {
      body: { visibilityTimeoutMs: 1000, maxLength: 5, backoff: { maxMs: 2000 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      maxAttempts: 3,
      visibilityTimeoutMs: 1000,
      maxLength: 5,
      backoff: { initialMs: 1000, maxMs: 2000 },
    });
    const cleared = await server.request('PATCH', '/v1/queues/r-patch', { body: { maxLength: null } });
    expect(cleared.body.maxLength).toBeNull();
    const bad = [
      [{ maxAttempts: 0 }, 'maxAttempts must not be less than 1'],
      [{ maxLength: 2_000_000 }, 'maxLength must not be greater than 1000000'],
      [{ overflow: 'sideways' }, 'overflow must be one of the following values: reject, dropOldest'],
      [{ color: 'red' }, 'property color should not exist'],
      [{ fifo: null }, 'fifo cannot be null'],
      [{ backoff: { maxMs: 10 } }, 'backoff.maxMs must be greater than or equal to backoff.initialMs'],
      [{ deadLetterQueue: 'r-nowhere' }, 'deadLetterQueue names queue "r-nowhere", which does not exist'],
      [{ maxAttempts: '5' }, 'maxAttempts must be an integer number'],
      [{ messageTtlMs: 1e30 }, 'messageTtlMs must not be greater than'],
      [{ maxMessageBytes: 0 }, 'maxMessageBytes must not be less than 1'],
      [{ deadLetterQueue: 'a\u0000b' }, 'deadLetterQueue must not contain NUL'],
      [{ backoff: 'fast' }, 'backoff'],
      [{ expiredTo: 'void' }, 'expiredTo must be one of the following values: deadLetter, drop'],
    ] as const;
    for (const [body, message] of bad) {
      const answer = await server.request('PATCH', '/v1/queues/r-patch', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.message).toContain(message);
    }
    expect(await postbox.getQueue('r-patch')).toMatchObject({
      maxAttempts: 3,
      visibilityTimeoutMs: 1000,
      maxLength: null,
      fifo: false,
    });
    expect((await server.request('PATCH', '/v1/queues/r-missing', { body: { maxAttempts: 2 } })).status).toBe(404);
    const pausedByPatch = await server.request('PATCH', '/v1/queues/r-patch', { body: { paused: true } });
    expect(pausedByPatch.status).toBe(400);
    expect(pausedByPatch.body.message).toContain('property paused should not exist');
  });

  it('429 when full with overflow "reject"; 413 above maxMessageBytes, naming the limit; nothing stored', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'r-limits', maxLength: 2, maxMessageBytes: 50 } });
    expect(
      (await server.request('POST', '/v1/queues/r-limits/messages', { body: { messages: [{ body: 1 }, { body: 2 }] } }))
        .status,
    ).toBe(201);
    const full = await server.request('POST', '/v1/queues/r-limits/messages', { body: { body: 3 } });
    expect(full.status).toBe(429);
    expect(full.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'queue "r-limits" is full (maxLength 2)',
    });
    await server.request('PATCH', '/v1/queues/r-limits', { body: { maxLength: null } });
    const large = await server.request('POST', '/v1/queues/r-limits/messages', { body: { body: 'x'.repeat(60) } });
    expect(large.status).toBe(413);
    expect(large.body.message).toBe('message is 62 bytes, more than queue "r-limits" allows (maxMessageBytes 50)');
    const inBatch = await server.request('POST', '/v1/queues/r-limits/messages', {
      body: { messages: [{ body: 'ok' }, { body: 'x'.repeat(60) }] },
    });
    expect(inBatch.status).toBe(413);
    expect(inBatch.body.message).toMatch(/^messages\[1\] is 62 bytes/);
    expect(await count('r-limits')).toBe(2);
  });

  it('expiresAt over REST: an expired message is never received and is dead-lettered as "expired"', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'r-ttl' } });
    await server.request('POST', '/v1/queues/r-ttl/messages', {
      body: { messages: [{ body: 'gone', expiresAt: new Date(Date.now() - 1000).toISOString() }, { body: 'kept' }] },
    });
    const got = await server.request('POST', '/v1/queues/r-ttl/receive', { body: { max: 10 } });
    expect(got.body.messages.map((m: { body: unknown }) => m.body)).toEqual(['kept']);
    const dead = await server.request('GET', '/v1/queues/r-ttl/messages?state=dead');
    expect(dead.body.messages.map((m: { body: unknown; lastError: string }) => [m.body, m.lastError])).toEqual([
      ['gone', 'expired'],
    ]);
    const bad = await server.request('POST', '/v1/queues/r-ttl/messages', { body: { body: 1, expiresAt: 'tomorrow' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('expiresAt');
  });
});
