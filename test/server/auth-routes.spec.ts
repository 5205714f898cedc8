import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/index';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import {
  type AppRoute,
  appRoutes,
  concretePath,
  inPool,
  type RawAnswer,
  rawRequest,
  spellings,
} from './route-spellings';
import { startTestServer, type TestServer } from './test-server';

const KEY = 'bootstrap-admin-key';
const MISSING = {
  statusCode: 401,
  error: 'Unauthorized',
  message: 'missing API key: send Authorization: Bearer <key> or x-api-key: <key>',
};

/** The public list (auth/public.decorator.ts): everything else must answer 401 without a key. */
function isPublic(route: AppRoute): boolean {
  return (
    (route.method === 'GET' && (route.path === '/health' || route.path === '/' || route.path === '/dashboard/:file')) ||
    route.path === '/docs' ||
    route.path.startsWith('/docs/') ||
    route.path.startsWith('/docs-')
  );
}

/**
 * The SQS endpoint's routes authenticate each request by its SigV4
 * signature (auth/signed-request.decorator.ts), answering in SQS's error
 * shape: test/sqs/sqs-auth.spec.ts tries them unsigned, expired and tampered.
 * Here they only must never answer 2xx to a request without a signature.
 */
function isSignedRequestRoute(route: AppRoute): boolean {
  return route.method === 'POST' && (route.path === '/' || route.path === '/:account/:queue');
}

/**
 * Answers that prove the request reached no handler: Express's 404, Node's
 * HTTP parser refusing the target (400, empty body: a backslash), or
 * Express failing to decode a malformed %-escape before matching (400).
 */
function reachedNoRoute(res: RawAnswer): boolean {
  return res.status === 404 || (res.status === 400 && (res.body === '' || res.body.includes('Failed to decode param')));
}

describe('one auth decision per matched route', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let server: TestServer;
  let port: number;
  let routes: AppRoute[];
  let signedRoutes: AppRoute[];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    server = await startTestServer(postbox, { apiKey: KEY });
    port = Number(new URL(server.url).port);
    const all = appRoutes(server.app.getHttpAdapter().getInstance());
    signedRoutes = all.filter(isSignedRequestRoute);
    routes = all.filter((route) => !isSignedRequestRoute(route));
  });
  afterAll(async () => {
    agent.destroy();
    await server.close();
  });

  it('every route but the public list answers 401 without a key', async () => {
    expect(signedRoutes.length).toBeGreaterThan(0);
    for (const route of signedRoutes) {
      for (const contentType of [
        'application/json',
        'application/x-amz-json-1.0',
        'application/x-www-form-urlencoded',
      ]) {
        const res = await rawRequest(agent, port, route.method, concretePath(route.path), {
          'content-type': contentType,
        });
        expect([route.path, contentType, res.status >= 400]).toEqual([route.path, contentType, true]);
      }
    }
    const open: string[] = [];
    for (const route of routes) {
      const res = await rawRequest(agent, port, route.method, concretePath(route.path));
      if (res.status !== 401) open.push(`${route.method} ${route.path}`);
      else expect(JSON.parse(res.body)).toEqual(MISSING);
    }
    const publicRoutes = routes.filter(isPublic).map((r) => `${r.method} ${r.path}`);
    expect(open.sort()).toEqual(publicRoutes.sort());
    expect(publicRoutes).toEqual(expect.arrayContaining(['GET /health', 'GET /', 'GET /docs-json', 'GET /docs']));
    // Not a short list by accident: the /v1 routes are all there.
    expect(routes.filter((r) => !isPublic(r)).length).toBeGreaterThanOrEqual(25);
  });

  it('no spelling of any route gets through without credentials (>= 100 spellings x every route)', async () => {
    const guarded = routes.filter((r) => !isPublic(r));
    let tried = 0;
    let reachedWithKey = 0;
    const letThrough: string[] = [];
    const perRoute = new Map<string, number>();
    const tasks: (() => Promise<void>)[] = [];
    for (const route of guarded) {
      const targets = spellings(concretePath(route.path), server.url);
      perRoute.set(`${route.method} ${route.path}`, targets.length);
      for (const target of targets) {
        tasks.push(async () => {
          const anonymous = await rawRequest(agent, port, route.method, target);
          const wrong = await rawRequest(agent, port, route.method, target, { 'x-api-key': `${KEY}x` });
          const keyed = await rawRequest(agent, port, route.method, target, { authorization: `Bearer ${KEY}` });
          tried++;
          if (!reachedNoRoute(keyed)) {
            reachedWithKey++;
            // It reached a handler: without the key, the same spelling must meet the same decision.
            if (anonymous.status !== 401 || wrong.status !== 401) {
              letThrough.push(`${route.method} ${target}: ${anonymous.status}/${wrong.status}`);
            }
          } else if (!reachedNoRoute(anonymous) && anonymous.status !== 401) {
            letThrough.push(`${route.method} ${target}: ${anonymous.status} without a key`);
          } else if (!reachedNoRoute(wrong) && wrong.status !== 401) {
            letThrough.push(`${route.method} ${target}: ${wrong.status} with a wrong key`);
          }
        });
      }
    }
    await inPool(tasks, 12);
    console.log(
      `route spellings: ${guarded.length} routes, ${tried} spellings tried (x3: no key, wrong key, key), ` +
        `${reachedWithKey} reached a handler with the key, ${letThrough.length} let through without one`,
    );
    for (const [route, count] of perRoute) expect([route, count >= 100]).toEqual([route, true]);
    expect(letThrough).toEqual([]);
    // The spellings are real attempts: case and trailing-slash variants do reach handlers (Express routes them).
    expect(reachedWithKey).toBeGreaterThan(guarded.length * 5);
  }, 300_000);

  it('HEAD meets the decision of its GET route; OPTIONS reaches no handler', async () => {
    const answers: string[] = [];
    const expected: string[] = [];
    for (const route of routes.filter((r) => !isPublic(r))) {
      const path = concretePath(route.path);
      if (route.method === 'GET') {
        answers.push(`HEAD ${path} ${(await rawRequest(agent, port, 'HEAD', path)).status}`);
        expected.push(`HEAD ${path} 401`);
      }
      answers.push(`OPTIONS ${path} ${(await rawRequest(agent, port, 'OPTIONS', path)).status}`);
      expected.push(`OPTIONS ${path} 404`);
    }
    expect(answers).toEqual(expected);
  });
});
