import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusMetrics } from '../../libs/core/src/metrics/prometheus-metrics';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer } from '../server/test-server';
import { useTestDatabase } from '../setup/test-database';

describe('GET /metrics serves what the core counted', () => {
  let postbox: Postbox;
  let server: TestServer;
  beforeAll(async () => {
    const db = await useTestDatabase();
    const metricsRegistry = new Registry();
    postbox = await db.postbox({ metrics: prometheusMetrics(metricsRegistry) });
    server = await startTestServer(postbox, { metricsRegistry, apiKey: 'admin-key-123456' });
  });
  afterAll(() => server.close());

  it('counts REST sends, receives and acks per queue next to depth, and a names-limited key sees only its queues', async () => {
    const admin = { authorization: 'Bearer admin-key-123456' };
    for (const name of ['svc.a', 'other.b']) {
      expect((await server.request('POST', '/v1/queues', { body: { name }, headers: admin })).status).toBe(201);
      const sent = await server.request('POST', `/v1/queues/${name}/messages`, {
        body: { messages: [{ body: 1 }, { body: 2 }, { body: 3 }] },
        headers: admin,
      });
      expect(sent.status).toBe(201);
    }
    const got = await server.request('POST', '/v1/queues/svc.a/receive', { body: { max: 2 }, headers: admin });
    const receipts = got.body.messages.map((m: { receipt: string }) => m.receipt);
    expect((await server.request('POST', '/v1/queues/svc.a/ack', { body: { receipts }, headers: admin })).status).toBe(
      200,
    );

    expect((await server.request('POST', '/v1/queues/other.b/pause', { headers: admin })).status).toBe(200);
    const text = (await server.request('GET', '/metrics', { headers: admin })).text;
    expect(text).toContain('postbox_queue_paused{queue="other.b"} 1');
    expect(text).toContain('postbox_queue_paused{queue="svc.a"} 0');
    expect(text).toContain('postbox_messages_sent_total{queue="svc.a"} 3');
    expect(text).toContain('postbox_messages_delivered_total{queue="svc.a"} 2');
    expect(text).toContain('postbox_messages_acked_total{queue="svc.a"} 2');
    expect(text).toContain('postbox_messages_sent_total{queue="other.b"} 3');
    expect(text).toContain('postbox_queue_messages{queue="svc.a",state="ready"} 1');
    expect(text).toContain('postbox_http_requests_total');

    const key = await server.request('POST', '/v1/keys', {
      body: { name: 'svc-reader', scopes: ['read'], names: 'svc.*' },
      headers: admin,
    });
    expect(key.status).toBe(201);
    const limited = (await server.request('GET', '/metrics', { headers: { 'x-api-key': key.body.key } })).text;
    expect(limited).toContain('postbox_messages_sent_total{queue="svc.a"} 3');
    expect(limited).not.toContain('other.b');
  });
});
