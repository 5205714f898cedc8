import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { useTestDatabase } from '../setup/test-database';
import { startTestServer, type TestServer } from './test-server';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * The API's routes: /v1, /health and /metrics. Everything else the app
 * serves is no REST route and has no place in the document: the
 * SQS-compatible endpoint (POST / and /:account/:queue, AWS's protocol) and
 * the dashboard's pages and assets.
 */
const isApiRoute = (route: string) => / \/(v1\/|health$|metrics$)/.test(route);

/** "GET /v1/queues/:queue" for every route Express (Nest's router) really serves. */
function realRoutes(server: TestServer): string[] {
  const express = server.app.getHttpAdapter().getInstance();
  const routes = new Set<string>();
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) {
      if (method === '_all') continue;
      routes.add(`${method.toUpperCase()} ${layer.route.path}`);
    }
  }
  return [...routes].filter(isApiRoute).sort();
}

describe('the OpenAPI document is complete and true', () => {
  let postbox: Postbox;
  let server: TestServer;
  // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document as served
  let doc: any;
  beforeAll(async () => {
    const db = await useTestDatabase();
    postbox = await db.postbox();
    server = await startTestServer(postbox, { apiKey: 'openapi-admin-key-1234' });
    const answer = await server.request('GET', '/docs-json');
    expect(answer.status).toBe(200);
    doc = answer.body;
  });
  afterAll(() => server.close());

  const documented = (): string[] =>
    Object.entries(doc.paths)
      .flatMap(([p, item]) =>
        METHODS.filter((m) => (item as Record<string, unknown>)[m]).map(
          (m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      )
      .sort();

  it("documents exactly the app's real routes (from the router): none missing, none invented", () => {
    const real = realRoutes(server);
    expect(real.length).toBeGreaterThan(25);
    expect(documented()).toEqual(real);
  });

  it('docs/API.md lists exactly the real routes', () => {
    const text = readFileSync(path.resolve(__dirname, '../../docs/API.md'), 'utf8');
    const listed = new Set(
      [...text.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^\s`?]*)/g)].map(([, m, p]) => `${m} ${p}`),
    );
    // A path parameter's name is prose here (`:taskId` for the route's `:id`): shapes are compared.
    const shape = (route: string) => route.replace(/:\w+/g, ':param');
    expect([...new Set([...listed].filter(isApiRoute).map(shape))].sort()).toEqual(
      [...new Set(realRoutes(server).map(shape))].sort(),
    );
  });

  it('names the key schemes truly: a bearer token or an x-api-key header, not a JWT', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'x-api-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
    });
    expect(JSON.stringify(doc)).not.toContain('JWT');
  });

  it('every route but /health needs a key and documents 401, 403 and 503; errors have the one error shape', () => {
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const m of METHODS) {
        // biome-ignore lint/suspicious/noExplicitAny: an OpenAPI operation
        const op = (item as any)[m];
        if (!op) continue;
        const route = `${m.toUpperCase()} ${p}`;
        if (p === '/health') {
          expect(op.security ?? [], route).toEqual([]);
          continue;
        }
        expect(op.security, route).toEqual([{ bearer: [] }, { 'x-api-key': [] }]);
        for (const code of ['401', '403', '503']) expect(Object.keys(op.responses), route).toContain(code);
        if (p.includes('{')) expect(Object.keys(op.responses), route).toContain('404');
        if (op.requestBody) expect(Object.keys(op.responses), route).toEqual(expect.arrayContaining(['400', '415']));
        for (const [code, response] of Object.entries(op.responses)) {
          if (Number(code) >= 400 && p !== '/health') {
            // biome-ignore lint/suspicious/noExplicitAny: an OpenAPI response
            expect((response as any).content?.['application/json']?.schema, `${route} ${code}`).toEqual({
              $ref: '#/components/schemas/Error',
            });
          }
        }
      }
    }
  });

  it('sends document 413 and 429, deletes answer 204 with no 200, and every status is one the route can answer', async () => {
    const send = doc.paths['/v1/queues/{queue}/messages'].post.responses;
    expect(Object.keys(send)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '413', '415', '429']));
    expect(Object.keys(doc.paths['/v1/topics/{topic}/publish'].post.responses)).toEqual(
      expect.arrayContaining(['413', '429']),
    );
    for (const route of ['/v1/queues/{queue}', '/v1/topics/{topic}', '/v1/keys/{name}']) {
      const responses = doc.paths[route].delete.responses;
      expect(Object.keys(responses), route).toContain('204');
      expect(Object.keys(responses), route).not.toContain('200');
    }
    // The documented answers are the real ones: a delete answers 204; no key 401; unknown queue 404.
    const admin = { authorization: 'Bearer openapi-admin-key-1234' };
    expect((await server.request('POST', '/v1/queues', { body: { name: 'doc-q' }, headers: admin })).status).toBe(201);
    expect((await server.request('DELETE', '/v1/queues/doc-q', { headers: admin })).status).toBe(204);
    expect((await server.request('GET', '/v1/queues/doc-q')).status).toBe(401);
    expect((await server.request('GET', '/v1/queues/doc-q', { headers: admin })).status).toBe(404);
    const text = await server.request('POST', '/v1/queues', {
      raw: 'x',
      headers: { ...admin, 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
  });
});
