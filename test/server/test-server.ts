import type { NestExpressApplication } from '@nestjs/platform-express';
import type pg from 'pg';
import { createApp } from '../../apps/server/src/app';
import type { ServerOptions } from '../../apps/server/src/server-options';
import type { Postbox } from '../../libs/core/src/postbox';

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers freely and assert their shape
type AnyJson = any;

export interface HttpAnswer<T = AnyJson> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface TestServer {
  app: NestExpressApplication;
  url: string;
  request<T = AnyJson>(method: string, path: string, options?: RequestOptions): Promise<HttpAnswer<T>>;
  close(): Promise<void>;
}

/** The real service (createApp) over `postbox`, listening on a free port of 127.0.0.1. */
export async function startTestServer(postbox: Postbox, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const app = await createApp(postbox, { logLevel: 'silent', ...options });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  let closed = false;
  return {
    app,
    url,
    request: (method, path, requestOptions) => request(url, method, path, requestOptions),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

export async function request<T = AnyJson>(
  url: string,
  method: string,
  path: string,
  { body, raw, headers = {}, signal }: RequestOptions = {},
): Promise<HttpAnswer<T>> {
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const res = await fetch(url + path, {
    method,
    headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: payload,
    signal,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** Row counts of every Postbox table: "nothing changed" means these are equal before and after. */
export async function tableCounts(client: pg.Client, schema = 'postbox') {
  const { rows } = await client.query(`
    select (select count(*) from ${schema}.queues)::int as queues,
           (select count(*) from ${schema}.messages)::int as messages,
           (select count(*) from ${schema}.dead_letters)::int as dead,
           (select count(*) from ${schema}.dedup_keys)::int as "dedupKeys"`);
  return rows[0] as { queues: number; messages: number; dead: number; dedupKeys: number };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
