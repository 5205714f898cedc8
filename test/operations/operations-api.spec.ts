import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer, tableCounts } from '../server/test-server';
import { openTestPostbox } from '../setup/test-database';
import { until } from '../setup/until';

describe('REST: operating a queue and schedules', () => {
  let postbox: Postbox;
  let server: TestServer;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
    await postbox.createQueue('ops', { maxAttempts: 1 });
    await postbox.createQueue('ops.dlq');
    await postbox.createQueue('src', { maxAttempts: 1, deadLetterQueue: 'ops.dlq' });
  });
  afterAll(() => server.close());

  const expectError = async (method: string, path: string, body: unknown, status: number, message: string) => {
    const before = await tableCounts(client);
    const res = await server.request(method, path, body === undefined ? {} : { body });
    expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
    expect(res.body.message).toContain(message);
    expect(res.body.statusCode).toBe(status);
    expect(await tableCounts(client)).toEqual(before);
  };

  it('POST /purge: 200 {purged}, in flight untouched; 400 naming states; 404 unknown queue', async () => {
    await postbox.sendBatch('ops', [{ body: 1 }, { body: 2 }, { body: 3, delayMs: 60_000 }]);
    await postbox.receive('ops');
    const res = await server.request('POST', '/v1/queues/ops/purge', { body: { states: ['ready', 'delayed'] } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ purged: 2 });
    expect((await client.query("select count(*)::int as n from postbox.messages where queue = 'ops'")).rows[0].n).toBe(
      1,
    );
    await expectError('POST', '/v1/queues/ops/purge', {}, 400, 'states');
    // API.md: states is required (no default); {} and no body at all say so plainly, and only that.
    for (const options of [{ body: {} }, {}]) {
      const missing = await server.request('POST', '/v1/queues/ops/purge', options);
      expect(missing.status).toBe(400);
      expect(missing.body.message).toBe('states is required');
    }
    const notAnArray = await server.request('POST', '/v1/queues/ops/purge', { body: { states: 'ready' } });
    expect(notAnArray.body.message).toBe('states must be an array');
    await expectError('POST', '/v1/queues/ops/purge', { states: [] }, 400, 'states must contain at least 1');
    await expectError(
      'POST',
      '/v1/queues/ops/purge',
      { states: ['inFlight'] },
      400,
      'each value in states must be one of',
    );
    await expectError(
      'POST',
      '/v1/queues/ops/purge',
      { states: ['ready'], all: true },
      400,
      'property all should not exist',
    );
    await expectError('POST', '/v1/queues/nope/purge', { states: ['ready'] }, 404, 'queue "nope" does not exist');
  });

  it('DELETE /messages/:id: 204; 409 in flight unless force=true; 404; 400 for a bad id or force', async () => {
    const { ids } = await postbox.sendBatch('ops', [{ body: 'a' }, { body: 'b' }]);
    const [first, second] = ids as [string, string];
    expect((await server.request('DELETE', `/v1/queues/ops/messages/${first}`)).status).toBe(204);
    await expectError(
      'DELETE',
      `/v1/queues/ops/messages/${first}`,
      undefined,
      404,
      `message ${first} is not in queue "ops"`,
    );
    await postbox.purgeQueue('ops', ['ready']); // leave only `second` once it is claimed
    await postbox.send('ops', { body: 'c' });
    await client.query(
      "update postbox.messages set available_at = now() + interval '1 hour', lease_token = 1 where queue = 'ops'",
    );
    const busy = await client.query(
      "select id::text from postbox.messages where queue = 'ops' order by id desc limit 1",
    );
    const busyId = busy.rows[0].id as string;
    await expectError('DELETE', `/v1/queues/ops/messages/${busyId}`, undefined, 409, 'is in flight');
    expect((await server.request('DELETE', `/v1/queues/ops/messages/${busyId}?force=true`)).status).toBe(204);
    await expectError('DELETE', '/v1/queues/ops/messages/abc', undefined, 400, 'id must be a message id');
    await expectError(
      'DELETE',
      '/v1/queues/ops/messages/99999999999999999999',
      undefined,
      400,
      'id must be a message id',
    );
    await expectError(
      'DELETE',
      `/v1/queues/ops/messages/${second}?force=yes`,
      undefined,
      400,
      'force must be true or false',
    );
  });

  it('POST /cancel: 200 {cancelled}; 404 none; 400 naming dedupKey', async () => {
    const { id } = await postbox.send('ops', { body: 'later', delayMs: 3_600_000, dedupKey: 'k-1' });
    const res = await server.request('POST', '/v1/queues/ops/cancel', { body: { dedupKey: 'k-1' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cancelled: [id] });
    await expectError('POST', '/v1/queues/ops/cancel', { dedupKey: 'k-1' }, 404, 'no message with dedupKey "k-1"');
    await expectError('POST', '/v1/queues/ops/cancel', {}, 400, 'dedupKey');
    await expectError('POST', '/v1/queues/ops/cancel', { dedupKey: 7 }, 400, 'dedupKey must be');
  });

  it('POST /move: 202 {taskId}; GET /v1/tasks/:id {state, moved, total}; 400/404 naming the field', async () => {
    await postbox.sendBatch('src', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    const claimed = await postbox.receive('src', { max: 3 });
    await postbox.nack(
      'src',
      claimed.map((m) => ({ receipt: m.receipt })),
    );
    const res = await server.request('POST', '/v1/queues/ops.dlq/move', { body: {} });
    expect(res.status).toBe(202);
    const { taskId } = res.body;
    await until(async () => (await server.request('GET', `/v1/tasks/${taskId}`)).body.state === 'completed');
    const task = await server.request('GET', `/v1/tasks/${taskId}`);
    expect(task.body).toMatchObject({
      id: taskId,
      state: 'completed',
      moved: 3,
      total: 3,
      source: 'ops.dlq',
      destination: null,
    });
    expect((await client.query("select count(*)::int as n from postbox.messages where queue = 'src'")).rows[0].n).toBe(
      3,
    );
    await expectError('POST', '/v1/queues/ops.dlq/move', { to: 'no such' }, 400, 'to must match');
    await expectError(
      'POST',
      '/v1/queues/ops.dlq/move',
      { maxPerSecond: 0 },
      400,
      'maxPerSecond must not be less than 1',
    );
    await expectError('POST', '/v1/queues/ops.dlq/move', { to: 'missing' }, 404, 'queue "missing" does not exist');
    await expectError('POST', '/v1/queues/missing/move', {}, 404, 'queue "missing" does not exist');
    await expectError('GET', '/v1/tasks/123', undefined, 400, 'id must be a task id');
    await expectError('GET', '/v1/tasks/00000000-0000-4000-8000-000000000000', undefined, 404, 'does not exist');
  });

  it('schedules: create 201 / same 200 / other 409, list, get, pause, resume, delete; 400 naming the field', async () => {
    const body = {
      name: 'nightly',
      queue: 'ops',
      cron: '0 3 * * *',
      timezone: 'Europe/Paris',
      message: { body: { run: true } },
    };
    const created = await server.request('POST', '/v1/schedules', { body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'nightly',
      queue: 'ops',
      cron: '0 3 * * *',
      paused: false,
      missed: 'skip',
      lastAt: null,
    });
    expect(Date.parse(created.body.nextAt)).toBeGreaterThan(Date.now());
    expect((await server.request('POST', '/v1/schedules', { body })).status).toBe(200);
    await expectError('POST', '/v1/schedules', { ...body, missed: 'once' }, 409, 'already exists with other settings');
    expect((await server.request('GET', '/v1/schedules')).body.map((s: { name: string }) => s.name)).toEqual([
      'nightly',
    ]);
    expect((await server.request('GET', '/v1/schedules/nightly')).body.timezone).toBe('Europe/Paris');
    const paused = await server.request('POST', '/v1/schedules/nightly/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toBe(true);
    const resumed = await server.request('POST', '/v1/schedules/nightly/resume');
    expect(resumed.body).toMatchObject({ paused: false, nextAt: null });
    expect((await server.request('DELETE', '/v1/schedules/nightly')).status).toBe(204);
    await expectError('DELETE', '/v1/schedules/nightly', undefined, 404, 'schedule "nightly" does not exist');
    await expectError('GET', '/v1/schedules/nightly', undefined, 404, 'schedule "nightly" does not exist');
    await expectError('POST', '/v1/schedules/nightly/pause', undefined, 404, 'schedule "nightly" does not exist');

    const ok = { name: 'bad', queue: 'ops', everyMs: 1000, message: { body: 1 } };
    const cases: [unknown, number, string][] = [
      [{ ...ok, name: 'bad name' }, 400, 'name must match'],
      [{ ...ok, queue: undefined }, 400, 'queue or topic is required'],
      [{ ...ok, everyMs: 10 }, 400, 'everyMs must not be less than 100'],
      [{ ...ok, everyMs: undefined, cron: 'every day' }, 400, 'cron is not a valid cron expression'],
      [{ ...ok, timezone: 'Atlantis/Capital' }, 400, 'timezone must be an IANA time zone'],
      [{ ...ok, missed: 'twice' }, 400, 'missed must be one of'],
      [{ ...ok, message: { body: 1, dedupKey: 'x' } }, 400, 'property message.dedupKey should not exist'],
      [{ ...ok, message: { headers: { a: 'b' } } }, 400, 'message.body'],
      [{ ...ok, message: { body: 1, priority: 'high' } }, 400, 'message.priority must be an integer'],
      [{ ...ok, message: 'tick' }, 400, 'message must be an object'],
      [{ ...ok, extra: 1 }, 400, 'property extra should not exist'],
      [{ ...ok, queue: 'missing' }, 404, 'queue "missing" does not exist'],
      [{ ...ok, queue: undefined, topic: 'missing' }, 404, 'topic "missing" does not exist'],
    ];
    for (const [input, status, message] of cases) await expectError('POST', '/v1/schedules', input, status, message);
    expect((await server.request('GET', '/v1/schedules')).body).toEqual([]);
  });

  it('hostile input: NUL characters, lone surrogates, huge numbers answer 4xx naming the field', async () => {
    const ok = { name: 'hostile', queue: 'ops', everyMs: 1000, message: { body: 1 } };
    const cases: [string, string, unknown, string][] = [
      ['POST', '/v1/queues/ops/cancel', { dedupKey: 'a\u0000b' }, 'dedupKey'],
      ['POST', '/v1/queues/ops/cancel', { dedupKey: '\ud800' }, 'dedupKey'],
      ['POST', '/v1/schedules', { ...ok, everyMs: 1e300 }, 'everyMs'],
      ['POST', '/v1/schedules', { ...ok, everyMs: undefined, cron: '* * * * *\u0000' }, 'cron'],
      ['POST', '/v1/schedules', { ...ok, timezone: 'UTC\u0000' }, 'timezone'],
      ['POST', '/v1/schedules', { ...ok, message: { body: 'x\u0000' } }, 'message.body'],
      ['POST', '/v1/schedules', { ...ok, message: { body: 1, headers: { h: '\ud800' } } }, 'message.headers'],
      ['POST', '/v1/queues/ops/move', { maxPerSecond: 1e300 }, 'maxPerSecond'],
      ['POST', '/v1/queues/ops/purge', { states: ['ready\u0000'] }, 'states'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await server.request(method, path, { raw: JSON.stringify(body).replaceAll('\\\\u', '\\u') });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.message).toContain(field);
    }
    expect(await postbox.listSchedules()).toEqual([]);
  });
});
