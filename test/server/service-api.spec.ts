import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/server/src/database/embedded-postgres';
import { isDatabaseUnavailable } from '../../apps/server/src/errors/database-unavailable';
import { toErrorBody } from '../../apps/server/src/errors/error-response.filter';
import { ConflictError, InvalidInputError, QueueNotFoundError } from '../../libs/core/src/errors';
import { Postbox } from '../../libs/core/src/postbox';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { startTestServer, type TestServer, tableCounts } from './test-server';

describe('REST service routes', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let server: TestServer;
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    server = await startTestServer(postbox);
  });
  afterAll(() => server.close());

  it('GET /health: 200 {status: ok, db: up}', async () => {
    const res = await server.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', db: 'up' });
  });

  it('GET /metrics: Prometheus text with queue depth and requests per route', async () => {
    await server.request('POST', '/v1/queues', { body: { name: 'metered' } });
    await server.request('POST', '/v1/queues/metered/messages', { body: { messages: [{ body: 1 }, { body: 2 }] } });
    await server.request('POST', '/v1/queues/metered/messages', { body: { messages: [{ body: 3, delayMs: 60_000 }] } });
    await server.request('GET', '/v1/queues/nope');
    const res = await server.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = res.text.split('\n');
    expect(lines).toContain('postbox_queue_messages{queue="metered",state="ready"} 2');
    expect(lines).toContain('postbox_queue_messages{queue="metered",state="delayed"} 1');
    expect(lines).toContain('postbox_queue_messages{queue="metered",state="inFlight"} 0');
    expect(lines).toContain('postbox_database_up 1');
    expect(lines).toContain('postbox_http_requests_total{method="POST",route="/v1/queues",status="201"} 1');
    expect(lines).toContain(
      'postbox_http_requests_total{method="POST",route="/v1/queues/:queue/messages",status="201"} 2',
    );
    expect(lines).toContain('postbox_http_requests_total{method="GET",route="/v1/queues/:queue",status="404"} 1');
    expect(res.text).toMatch(/^postbox_http_request_duration_seconds_bucket\{.*route="\/v1\/queues".*\} \d+$/m);
    expect(res.text).toMatch(/^process_cpu_user_seconds_total \d/m);
  });

  it('GET /docs-json lists the /v1/queues paths; GET /docs serves the UI', async () => {
    const res = await server.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/queues',
        '/v1/queues/{queue}',
        '/v1/queues/{queue}/messages',
        '/v1/queues/{queue}/receive',
        '/v1/queues/{queue}/ack',
        '/v1/queues/{queue}/nack',
        '/v1/queues/{queue}/extend',
        '/v1/queues/{queue}/redrive',
        '/health',
        '/metrics',
      ]),
    );
    expect(Object.keys(res.body.paths['/v1/queues'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(res.body.components.schemas.CreateQueueDto.properties.maxAttempts).toMatchObject({ default: 5 });
    const ui = await server.request('GET', '/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  it('GET / serves the dashboard shell: no data in it, its modules from the service itself (test/dashboard)', async () => {
    const res = await server.request('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('<script type="module" src="./dashboard/app.js"></script>');
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await server.request('GET', '/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /v1/nothing' });
  });

  describe('with POSTBOX_API_KEY', () => {
    let secured: TestServer;
    beforeAll(async () => {
      secured = await startTestServer(postbox, { apiKey: 's3cret' });
    });
    afterAll(() => secured.close());

    it('answers 401 on /v1 without the key or with a wrong one, and changes nothing', async () => {
      const client = await db.client();
      const before = await tableCounts(client);
      const missing = await secured.request('POST', '/v1/queues', { body: { name: 'sneaky' } });
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'missing API key: send Authorization: Bearer <key> or x-api-key: <key>',
      });
      const wrong = await secured.request('GET', '/v1/queues', { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'wrong API key in Authorization or x-api-key',
      });
      const wrongHeader = await secured.request('GET', '/v1/queues/metered', { headers: { 'x-api-key': 's3cre' } });
      expect(wrongHeader.status).toBe(401);
      expect(await tableCounts(client)).toEqual(before);
    });

    it('accepts Authorization: Bearer and x-api-key', async () => {
      const bearer = await secured.request('GET', '/v1/queues', { headers: { authorization: 'Bearer s3cret' } });
      expect(bearer.status).toBe(200);
      const header = await secured.request('POST', '/v1/queues', {
        body: { name: 'keyed' },
        headers: { 'x-api-key': 's3cret' },
      });
      expect(header.status).toBe(201);
    });

    it('keeps /health, /docs-json and the dashboard open; /metrics needs a key (issue 10)', async () => {
      expect((await secured.request('GET', '/metrics')).status).toBe(401);
      for (const path of ['/health', '/docs-json', '/']) {
        expect([path, (await secured.request('GET', path)).status]).toEqual([path, 200]);
      }
    });
  });

  it('honours a configured body limit', async () => {
    const small = await startTestServer(postbox, { bodyLimit: '1kb' });
    try {
      await postbox.createQueue('small');
      const res = await small.request('POST', '/v1/queues/small/messages', { body: { body: 'x'.repeat(2_000) } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'body must not be larger than 1kb' });
      const ok = await small.request('POST', '/v1/queues/small/messages', { body: { body: 'x'.repeat(500) } });
      expect(ok.status).toBe(201);
    } finally {
      await small.close();
    }
  });

  describe('when the database is unreachable', () => {
    let down: Postbox;
    let downServer: TestServer;
    beforeAll(async () => {
      // Nothing listens on a port we just found free: every connection is refused.
      const port = await freePort();
      down = await Postbox.create({ connectionString: `postgres://postgres@127.0.0.1:${port}/postbox` });
      downServer = await startTestServer(down, { healthTimeoutMs: 5_000, metricsKey: 'scrape' });
    });
    afterAll(async () => {
      await downServer.close();
      await down.close();
    });

    it('GET /health answers 503 {status: error, db: down}', async () => {
      const res = await downServer.request('GET', '/health');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'error', db: 'down' });
    });

    it('routes answer 503 in the error shape', async () => {
      const expected = {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'database unreachable; the request did nothing and is safe to retry',
      };
      const calls: [string, string, unknown][] = [
        ['POST', '/v1/queues', { name: 'q' }],
        ['GET', '/v1/queues', undefined],
        ['POST', '/v1/queues/q/messages', { body: 1 }],
        ['POST', '/v1/queues/q/receive', { max: 5 }],
        ['POST', '/v1/queues/q/ack', { receipts: ['1.1'] }],
      ];
      for (const [method, path, body] of calls) {
        const res = await downServer.request(method, path, { body });
        expect([method, path, res.status, res.body]).toEqual([method, path, 503, expected]);
      }
      // Auth comes first and needs the database to know whether any key exists (dev mode): it fails closed.
      expect((await downServer.request('POST', '/v1/queues', { body: { name: '' } })).status).toBe(503);
    });

    it('/metrics still answers with POSTBOX_METRICS_KEY (no database needed), reporting the database down', async () => {
      const res = await downServer.request('GET', '/metrics', { headers: { 'x-api-key': 'scrape' } });
      expect(res.status).toBe(200);
      expect(res.text.split('\n')).toContain('postbox_database_up 0');
    });
  });

  describe('error mapping', () => {
    it('maps core errors to 400/404/409 and database outages to 503', async () => {
      expect(toErrorBody(new InvalidInputError('max', 'must be at most 1000'))).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'max must be at most 1000',
      });
      expect(toErrorBody(new QueueNotFoundError('x')).statusCode).toBe(404);
      expect(toErrorBody(new ConflictError('taken')).statusCode).toBe(409);
      expect(toErrorBody(new Error('bug'))).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
      });
    });

    it('recognises real connection failures and server shutdowns as unavailability', async () => {
      const port = await freePort();
      const refused = await new pg.Client(`postgres://postgres@127.0.0.1:${port}/x`).connect().catch((e) => e);
      expect(isDatabaseUnavailable(refused)).toBe(true);

      // A backend terminated by an administrator (57P01), as on a database restart.
      const victim = await db.client();
      const admin = await db.client();
      const { rows } = await victim.query('select pg_backend_pid() as pid');
      victim.on('error', () => {});
      await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
      const terminated = await victim.query('select 1').catch((e) => e);
      expect(isDatabaseUnavailable(terminated)).toBe(true);

      const syntax = await admin.query('select from nowhere_at_all').catch((e) => e);
      expect(isDatabaseUnavailable(syntax)).toBe(false);
    });
  });
});
