import { createHash } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameMatches, type Postbox } from '../../libs/core/src/index';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { type RequestOptions, startTestServer, type TestServer, until } from './test-server';

const KEY_SHAPE = /^pbk_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

function as(key: string, options: RequestOptions = {}): RequestOptions {
  return { ...options, headers: { authorization: `Bearer ${key}`, ...options.headers } };
}

describe('scoped API keys (API.md "API keys")', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let a: TestServer;
  let b: TestServer;
  let metricsOnly: TestServer;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    db = await useTestDatabase();
    client = await db.client();
    // Two service instances on one database, as behind a load balancer, neither with POSTBOX_API_KEY.
    const postboxA: Postbox = await db.postbox();
    const postboxB: Postbox = await db.postbox();
    a = await startTestServer(postboxA);
    b = await startTestServer(postboxB);
    metricsOnly = await startTestServer(postboxA, { metricsKey: 'scrape-me' });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), metricsOnly.close()]);
  });

  async function createKey(name: string, scopes: string[], names?: string): Promise<string> {
    const res = await a.request('POST', '/v1/keys', as(keys.root ?? '', { body: { name, scopes, names } }));
    expect([name, res.status]).toEqual([name, 201]);
    keys[name] = res.body.key;
    return res.body.key;
  }

  it('runs open with no key configured (dev mode); the first key closes its instance at once, the others within 1 s', async () => {
    expect((await a.request('GET', '/v1/queues')).status).toBe(200);
    expect((await b.request('GET', '/v1/queues')).status).toBe(200);
    // POSTBOX_METRICS_KEY closes /metrics even in dev mode, and opens nothing else.
    expect((await metricsOnly.request('GET', '/metrics')).status).toBe(401);
    expect((await metricsOnly.request('GET', '/metrics', as('scrape-me'))).status).toBe(200);
    expect((await metricsOnly.request('GET', '/v1/queues')).status).toBe(200);

    const created = await a.request('POST', '/v1/keys', { body: { name: 'root', scopes: ['admin'] } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['key', 'name', 'sqs']);
    expect(Object.keys(created.body.sqs).sort()).toEqual(['accessKeyId', 'secretAccessKey']);
    expect(created.body.name).toBe('root');
    expect(created.body.key).toMatch(KEY_SHAPE);
    keys.root = created.body.key;

    expect((await a.request('GET', '/v1/queues')).status).toBe(401);
    // b and metricsOnly remember "no keys" for up to 1 s (auth-mode.ts): no query per request in dev mode.
    await until(async () => (await b.request('GET', '/v1/queues')).status === 401);
    await until(async () => (await metricsOnly.request('GET', '/v1/queues')).status === 401);
    for (const server of [a, b, metricsOnly]) {
      expect((await server.request('GET', '/v1/queues')).status).toBe(401);
      expect((await server.request('GET', '/v1/queues', as('pbk_not_a_key'))).status).toBe(401);
      expect((await server.request('GET', '/v1/queues', as(keys.root))).status).toBe(200);
    }
    // The metrics key still opens /metrics only.
    expect((await metricsOnly.request('GET', '/v1/queues', as('scrape-me'))).status).toBe(401);
    expect((await metricsOnly.request('GET', '/metrics', as('scrape-me'))).status).toBe(200);
    expect((await a.request('GET', '/metrics')).status).toBe(401);
    expect((await a.request('GET', '/health')).status).toBe(200);
    expect((await a.request('GET', '/')).status).toBe(200);
  });

  it('stores the key hashed: sha256 of the secret, never the plaintext', async () => {
    const [, keyId, secret] = KEY_SHAPE.exec(keys.root as string) as RegExpExecArray;
    const { rows } = await client.query('select * from postbox.api_keys');
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row.name).toBe('root');
    expect(row.key_id).toBe(keyId);
    expect(
      row.secret_sha256.equals(
        createHash('sha256')
          .update(secret as string)
          .digest(),
      ),
    ).toBe(true);
    expect(row.scopes).toEqual(['admin']);
    expect(row.names).toBeNull();
    const asText = JSON.stringify(rows) + JSON.stringify(rows.map((r) => r.secret_sha256.toString('utf8')));
    expect(asText).not.toContain(secret);
    expect(asText).not.toContain(keys.root);
  });

  it('POST /v1/keys checks its input; a taken name is a 409', async () => {
    const bad = [
      [{ name: 'x', scopes: ['root'] }, /scopes/],
      [{ name: 'x', scopes: [] }, /scopes/],
      [{ name: 'x' }, /scopes/],
      [{ name: 'bad name', scopes: ['read'] }, /name/],
      [{ name: 'x', scopes: ['read'], names: 'orders/*' }, /names/],
      [{ name: 'x', scopes: ['read'], secret: 'mine' }, /secret/],
    ] as const;
    for (const [body, message] of bad) {
      const res = await a.request('POST', '/v1/keys', as(keys.root as string, { body }));
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.message).toMatch(message);
    }
    const taken = await a.request(
      'POST',
      '/v1/keys',
      as(keys.root as string, { body: { name: 'root', scopes: ['read'] } }),
    );
    expect(taken.status).toBe(409);
    expect(taken.body.message).toBe('API key "root" already exists');
    const { rows } = await client.query('select count(*)::int as n from postbox.api_keys');
    expect(rows[0].n).toBe(1);
  });

  it('GET /v1/keys lists names, scopes, globs and times, never secrets', async () => {
    await createKey('orders-producer', ['produce'], 'orders.*');
    const res = await b.request('GET', '/v1/keys', as(keys.root as string));
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        name: 'orders-producer',
        scopes: ['produce'],
        names: 'orders.*',
        createdAt: expect.any(String),
        lastUsedAt: null,
      },
      { name: 'root', scopes: ['admin'], names: null, createdAt: expect.any(String), lastUsedAt: expect.any(String) },
    ]);
    expect(res.text).not.toContain(keys['orders-producer']?.slice(29));
  });

  it('scopes decide per route: 403 naming the scope or the name', async () => {
    const root = keys.root as string;
    for (const name of ['orders.eu', 'orders.us', 'billing']) {
      expect((await a.request('POST', '/v1/queues', as(root, { body: { name } }))).status).toBe(201);
    }
    const producer = keys['orders-producer'] as string;
    const consumer = await createKey('orders-consumer', ['consume'], 'orders.*');
    const message = { body: { n: 1 } };

    expect((await a.request('POST', '/v1/queues/orders.eu/messages', as(producer, { body: message }))).status).toBe(
      201,
    );
    const outside = await a.request('POST', '/v1/queues/billing/messages', as(producer, { body: message }));
    expect(outside.status).toBe(403);
    expect(outside.body.message).toBe(
      'API key "orders-producer" does not cover "billing" (it is limited to "orders.*")',
    );
    const wrongScope = await a.request('POST', '/v1/queues/orders.eu/receive', as(producer, { body: {} }));
    expect(wrongScope.status).toBe(403);
    expect(wrongScope.body.message).toBe('API key "orders-producer" lacks the consume scope this route needs');
    expect((await a.request('GET', '/v1/queues', as(producer))).status).toBe(403);
    expect((await a.request('POST', '/v1/queues', as(producer, { body: { name: 'orders.new' } }))).status).toBe(403);
    expect((await a.request('DELETE', '/v1/queues/orders.eu', as(producer))).status).toBe(403);

    const received = await a.request('POST', '/v1/queues/orders.eu/receive', as(consumer, { body: { max: 1 } }));
    expect(received.status).toBe(200);
    expect(received.body.messages).toHaveLength(1);
    const ack = await a.request(
      'POST',
      '/v1/queues/orders.eu/ack',
      as(consumer, { body: { receipts: [received.body.messages[0].receipt] } }),
    );
    expect(ack.status).toBe(200);
    expect(ack.body.acked).toBe(1);
    expect((await a.request('GET', '/v1/queues/orders.us/messages', as(consumer))).status).toBe(200);
    expect((await a.request('POST', '/v1/queues/orders.eu/messages', as(consumer, { body: message }))).status).toBe(
      403,
    );
    expect((await a.request('POST', '/v1/queues/billing/receive', as(consumer, { body: {} }))).status).toBe(403);

    // Keys are for admin keys without a names limit only: a limited admin could mint itself a wider key.
    const ordersAdmin = await createKey('orders-admin', ['admin'], 'orders.*');
    expect((await a.request('POST', '/v1/queues', as(ordersAdmin, { body: { name: 'orders.new' } }))).status).toBe(201);
    expect((await a.request('POST', '/v1/queues', as(ordersAdmin, { body: { name: 'other' } }))).status).toBe(403);
    const mint = await a.request('POST', '/v1/keys', as(ordersAdmin, { body: { name: 'wider', scopes: ['admin'] } }));
    expect(mint.status).toBe(403);
    expect(mint.body.message).toMatch(/limited to "orders\.\*"; this route needs a key for every name/);
    expect((await a.request('GET', '/v1/keys', as(consumer))).status).toBe(403);
  });

  it('a subscription is checked on its topic and on the queue it feeds', async () => {
    const root = keys.root as string;
    const ordersAdmin = keys['orders-admin'] as string;
    expect((await a.request('POST', '/v1/topics', as(root, { body: { name: 'orders' } }))).status).toBe(201);
    const elsewhere = await a.request(
      'POST',
      '/v1/topics/orders/subscriptions',
      as(ordersAdmin, { body: { group: 'g', queue: 'billing' } }),
    );
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.message).toMatch(/does not cover "orders"/); // the topic itself is outside orders.*
    const own = await a.request('POST', '/v1/topics/orders/subscriptions', as(root, { body: { group: 'billing' } }));
    expect(own.status).toBe(201);
    expect(own.body.queue).toBe('orders.billing');
    const topicAdmin = await createKey('topic-admin', ['admin'], 'orders*');
    const outside = await a.request(
      'POST',
      '/v1/topics/orders/subscriptions',
      as(topicAdmin, { body: { group: 'audit', queue: 'billing' } }),
    );
    expect(outside.status).toBe(403);
    expect(outside.body.message).toMatch(/does not cover "billing"/);
    expect(
      (await client.query("select count(*)::int as n from postbox.subscriptions where topic = 'orders'")).rows[0].n,
    ).toBe(1);
  });

  it('half messages: the target queue or topic is checked at prepare and at commit', async () => {
    const root = keys.root as string;
    const producer = keys['orders-producer'] as string;
    const refused = await a.request('POST', '/v1/transactions', as(producer, { body: { queue: 'billing', body: 1 } }));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/does not cover "billing"/);
    const prepared = await a.request('POST', '/v1/transactions', as(root, { body: { queue: 'billing', body: 1 } }));
    expect(prepared.status).toBe(201);
    const id = prepared.body.transactionId;
    const commit = await a.request('POST', `/v1/transactions/${id}/commit`, as(producer));
    expect(commit.status).toBe(403);
    expect(commit.body.message).toMatch(/does not cover "billing"/);
    expect((await client.query('select state from postbox.transactions where id = $1', [id])).rows[0].state).toBe(
      'prepared',
    );
    const own = await a.request('POST', '/v1/transactions', as(producer, { body: { queue: 'orders.us', body: 2 } }));
    expect(own.status).toBe(201);
    expect((await a.request('POST', `/v1/transactions/${own.body.transactionId}/commit`, as(producer))).status).toBe(
      200,
    );
  });

  it('a names-limited key sees only its queues and topics in lists, stats and /metrics', async () => {
    const root = keys.root as string;
    for (const name of ['orders.events', 'audit']) {
      expect((await a.request('POST', '/v1/topics', as(root, { body: { name } }))).status).toBe(201);
    }
    const reader = await createKey('orders-reader', ['read'], 'orders.*');
    const queues = await a.request('GET', '/v1/queues', as(reader));
    expect(queues.status).toBe(200);
    expect(queues.body.map((q: { name: string }) => q.name).sort()).toEqual([
      'orders.billing',
      'orders.eu',
      'orders.new',
      'orders.us',
    ]);
    const allQueues = await a.request('GET', '/v1/queues', as(root));
    expect(allQueues.body.map((q: { name: string }) => q.name).sort()).toEqual([
      'billing',
      'orders.billing',
      'orders.eu',
      'orders.new',
      'orders.us',
    ]);
    const topics = await a.request('GET', '/v1/topics', as(reader));
    // Topic `orders` is not covered by `orders.*` (its group queue orders.billing is).
    expect(topics.body.map((t: { name: string }) => t.name)).toEqual(['orders.events']);
    expect((await a.request('GET', '/v1/queues/orders.eu', as(reader))).status).toBe(200);
    const stats = await a.request('GET', '/v1/queues/billing', as(reader));
    expect(stats.status).toBe(403);
    expect(stats.body.message).toMatch(/does not cover "billing"/);
    expect((await a.request('GET', '/v1/topics/audit', as(reader))).status).toBe(403);

    const metrics = await a.request('GET', '/metrics', as(reader));
    expect(metrics.status).toBe(200);
    const seriesQueues = (text: string) => [...new Set([...text.matchAll(/queue="([^"]*)"/g)].map((m) => m[1]))].sort();
    expect(seriesQueues(metrics.text)).toEqual(['orders.billing', 'orders.eu', 'orders.new', 'orders.us']);
    expect(metrics.text).toMatch(/^postbox_http_requests_total\{/m); // the service's own series stay
    const full = await a.request('GET', '/metrics', as(root));
    expect(seriesQueues(full.text)).toEqual(['billing', 'orders.billing', 'orders.eu', 'orders.new', 'orders.us']);
    expect(seriesQueues((await metricsOnly.request('GET', '/metrics', as('scrape-me'))).text)).toEqual([
      'billing',
      'orders.billing',
      'orders.eu',
      'orders.new',
      'orders.us',
    ]);
    // /metrics needs read (or the metrics key): a produce-only key gets 403.
    expect((await a.request('GET', '/metrics', as(keys['orders-producer'] as string))).status).toBe(403);
  });

  it('DELETE /v1/keys/:name: the key stops working at once, in the other instance too', async () => {
    const temp = await createKey('temp', ['read']);
    expect((await b.request('GET', '/v1/queues', as(temp))).status).toBe(200);
    expect((await a.request('DELETE', '/v1/keys/temp', as(keys.root as string))).status).toBe(204);
    const after = await b.request('GET', '/v1/queues', as(temp));
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('wrong API key in Authorization or x-api-key');
    expect((await a.request('GET', '/v1/queues', as(temp))).status).toBe(401);
    expect((await client.query("select count(*)::int as n from postbox.api_keys where name = 'temp'")).rows[0].n).toBe(
      0,
    );
    const again = await a.request('DELETE', '/v1/keys/temp', as(keys.root as string));
    expect(again.status).toBe(404);
    expect(again.body.message).toBe('API key "temp" does not exist');
  });

  it('lastUsedAt is written at most once a minute per key, not per request', async () => {
    const key = await createKey('busy', ['read']);
    const row = async () =>
      (await client.query("select xmin::text as version, last_used_at from postbox.api_keys where name = 'busy'"))
        .rows[0];
    const unused = await row();
    expect(unused.last_used_at).toBeNull();
    expect((await a.request('GET', '/v1/queues', as(key))).status).toBe(200);
    const used = await row();
    expect(used.last_used_at).toBeInstanceOf(Date);
    expect(used.version).not.toBe(unused.version);
    for (let i = 0; i < 5; i++) expect((await b.request('GET', '/v1/queues', as(key))).status).toBe(200);
    expect(await row()).toEqual(used); // five more requests, no write: same row version
    await client.query("update postbox.api_keys set last_used_at = now() - interval '61 seconds' where name = 'busy'");
    const aged = await row();
    expect(
      (await a.request('GET', '/v1/queues', as(key, { headers: { authorization: '', 'x-api-key': key } }))).status,
    ).toBe(200);
    const refreshed = await row();
    expect(refreshed.last_used_at.getTime()).toBeGreaterThan(aged.last_used_at.getTime());
  });

  it('POSTBOX_API_KEY stays the bootstrap admin key next to stored keys', async () => {
    const postbox = await db.postbox();
    const boot = await startTestServer(postbox, { apiKey: 'boot-key' });
    try {
      expect((await boot.request('GET', '/v1/keys', as('boot-key'))).status).toBe(200);
      expect((await boot.request('GET', '/v1/queues', as(keys.root as string))).status).toBe(200);
      expect((await boot.request('GET', '/v1/queues', as('boot-keyx'))).status).toBe(401);
      expect((await a.request('GET', '/v1/queues', as('boot-key'))).status).toBe(401); // an env key is per instance
    } finally {
      await boot.close();
    }
  });

  it('the names glob: * within one dot-separated segment, or alone for every name', () => {
    const cases: [string | null, string, boolean][] = [
      ['orders.*', 'orders.eu', true],
      ['orders.*', 'orders.eu-1', true],
      ['orders.*', 'orders', false],
      ['orders.*', 'orders.eu.billing', false],
      ['orders.*', 'ordersXeu', false],
      ['orders.*.*', 'orders.eu.billing', true],
      ['orders*', 'orders', true],
      ['orders*', 'orders2', true],
      ['orders*', 'orders.eu', false],
      ['*', 'anything.at.all', true],
      [null, 'anything', true],
      ['*.dlq', 'orders.dlq', true],
      ['*.dlq', 'a.b.dlq', false],
      ['billing', 'billing', true],
      ['billing', 'Billing', false],
    ];
    expect(cases.map(([glob, name]) => [glob, name, nameMatches(glob, name)])).toEqual(cases);
  });
});
