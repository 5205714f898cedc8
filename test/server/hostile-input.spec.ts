import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/index';
import { openTestPostbox } from '../setup/test-database';
import { startTestServer, type TestServer } from './test-server';

/**
 * A generated corpus of hostile requests over every route: NUL characters,
 * lone surrogates, deep nesting, numbers JSON can't hold, prototype keys,
 * wrong types, unknown fields, wrong content types and bad encodings. Every
 * answer must be a 4xx whose message names the field or the reason, never a
 * 5xx, and the database must be exactly as before.
 */

interface Hostile {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** A word the error message must contain: the field, or the reason. */
  names: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const RAW = '"__RAW__"';
/** JSON text of `value` with the placeholder string "__RAW__" replaced by a raw literal (1e400 and friends). */
const withRaw = (value: unknown, literal: string) => JSON.stringify(value).replace(RAW, literal);
const deep = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

type FieldKind = 'string' | 'int' | 'bool' | 'strings' | 'receipts' | 'ids' | 'json' | 'headers' | 'time' | 'object';

interface Route {
  method: string;
  path: string;
  /** A body the route accepts; each case breaks one thing in it. */
  valid: Record<string, unknown>;
  fields: Record<string, FieldKind>;
}

const TIME = '2020-01-01T00:00:00Z';
const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/v1/queues',
    valid: { name: 'hostile-new' },
    fields: {
      name: 'string',
      maxAttempts: 'int',
      visibilityTimeoutMs: 'int',
      retentionMs: 'int',
      dedupWindowMs: 'int',
      deadLetterQueue: 'string',
      fifo: 'bool',
      backoff: 'object',
    },
  },
  {
    method: 'POST',
    path: '/v1/queues/h/messages',
    valid: { body: { a: 1 } },
    fields: {
      body: 'json',
      headers: 'headers',
      delayMs: 'int',
      priority: 'int',
      dedupKey: 'string',
      groupKey: 'string',
      availableAt: 'time',
    },
  },
  {
    method: 'POST',
    path: '/v1/queues/h/messages',
    valid: { messages: [{ body: 1 }, { body: 2 }] },
    fields: { messages: 'object' },
  },
  {
    method: 'POST',
    path: '/v1/queues/h/receive',
    valid: { max: 1 },
    fields: { max: 'int', visibilityTimeoutMs: 'int', waitMs: 'int' },
  },
  { method: 'POST', path: '/v1/queues/h/ack', valid: { receipts: ['1.1'] }, fields: { receipts: 'receipts' } },
  {
    method: 'POST',
    path: '/v1/queues/h/nack',
    valid: { receipts: ['1.1'], error: 'e' },
    fields: { receipts: 'receipts', error: 'string', delayMs: 'int' },
  },
  {
    method: 'POST',
    path: '/v1/queues/h/extend',
    valid: { receipts: ['1.1'], visibilityTimeoutMs: 1000 },
    fields: { receipts: 'receipts', visibilityTimeoutMs: 'int' },
  },
  { method: 'POST', path: '/v1/queues/h/redrive', valid: { ids: ['1'] }, fields: { ids: 'ids', all: 'bool' } },
  { method: 'POST', path: '/v1/queues/h/replay', valid: { from: TIME }, fields: { from: 'time' } },
  {
    method: 'POST',
    path: '/v1/topics',
    valid: { name: 'hostile-topic' },
    fields: { name: 'string', retentionMs: 'int' },
  },
  {
    method: 'POST',
    path: '/v1/topics/t/subscriptions',
    valid: { group: 'hostile-group' },
    fields: { group: 'string', tags: 'strings', queue: 'string', maxAttempts: 'int', retentionMs: 'int' },
  },
  {
    method: 'POST',
    path: '/v1/topics/t/publish',
    valid: { body: { a: 1 }, tag: 'x' },
    fields: { body: 'json', headers: 'headers', tag: 'string', priority: 'int', delayMs: 'int' },
  },
  { method: 'POST', path: '/v1/topics/t/subscriptions/g/replay', valid: { from: TIME }, fields: { from: 'time' } },
  {
    method: 'POST',
    path: '/v1/transactions',
    valid: { queue: 'h', body: { a: 1 } },
    fields: {
      queue: 'string',
      body: 'json',
      headers: 'headers',
      dedupKey: 'string',
      checkbackUrl: 'string',
      checkAfterMs: 'int',
      maxChecks: 'int',
      priority: 'int',
    },
  },
];

/** Values of one field that must each be refused, as raw JSON text of the whole body. */
function fieldCases(route: Route, field: string, kind: FieldKind): Array<{ label: string; text: string }> {
  const put = (value: unknown) => JSON.stringify({ ...route.valid, [field]: value });
  const raw = (literal: string) => withRaw({ ...route.valid, [field]: '__RAW__' }, literal);
  const cases: Array<{ label: string; text: string }> = [];
  const add = (label: string, text: string) => cases.push({ label, text });
  const hugeNumbers = ['1e400', '-1e400', '9007199254740993', '9999999999999999999.1', '1e-400'];
  switch (kind) {
    case 'string':
    case 'time':
      add('NUL', put('a\u0000b'));
      add('lone high surrogate', put('a\ud800b'));
      add('lone low surrogate', put('\udc00'));
      for (const value of [1, [], {}, true]) add(`wrong type ${JSON.stringify(value)}`, put(value));
      add('deep', raw(deep(10_000)));
      if (kind === 'time') for (const t of ['-9999-01-01T00:00:00Z', 'yesterday', '']) add(`time ${t}`, put(t));
      break;
    case 'int':
      for (const n of hugeNumbers) add(`number ${n}`, raw(n));
      for (const value of [1.5, '1', true, [], {}, 9007199254740991, -9007199254740991]) {
        add(`wrong value ${JSON.stringify(value)}`, put(value));
      }
      break;
    case 'bool':
      for (const value of ['true', 1, [], {}, 'a\u0000']) add(`wrong type ${JSON.stringify(value)}`, put(value));
      break;
    case 'strings':
      for (const value of [['a\u0000'], ['\ud800'], [1], 'x\u0000', [[]], [{}]]) {
        add(`wrong ${JSON.stringify(value)}`, put(value));
      }
      break;
    case 'receipts':
      for (const value of [
        ['9999999999999999999.1'],
        ['1.9999999999999999999'],
        ['-1'],
        ['1e3'],
        ['1.1\u0000'],
        ['\ud800'],
        [1],
        [],
        '1.1',
        [null],
      ]) {
        add(`receipts ${JSON.stringify(value)}`, put(value));
      }
      add('receipt number 1e400', withRaw({ ...route.valid, [field]: ['__RAW__'] }, '1e400'));
      break;
    case 'ids':
      for (const value of [['9999999999999999999'], ['-1'], ['1e3'], ['1.5'], [1], ['1\u0000'], [], '1', [null]]) {
        add(`ids ${JSON.stringify(value)}`, put(value));
      }
      break;
    case 'json':
      add('NUL', put('a\u0000b'));
      add('NUL nested', put({ x: [{ y: '\u0000' }] }));
      add('NUL in a key', put({ 'k\u0000': 1 }));
      add('lone surrogate', put({ x: '\ud800' }));
      add('lone surrogate in a key', put({ '\udfff': 1 }));
      for (const n of hugeNumbers) add(`number ${n}`, raw(n));
      add('huge number nested', withRaw({ ...route.valid, [field]: { a: ['__RAW__'] } }, '1e400'));
      add('deep 10,000', raw(deep(10_000)));
      add('deep objects 10,000', raw(deepObject(10_000)));
      add('deep 101', raw(deep(101)));
      break;
    case 'headers':
      add('NUL value', put({ k: 'a\u0000' }));
      add('NUL key', put({ 'k\u0000': 'v' }));
      add('lone surrogate', put({ k: '\ud800' }));
      for (const value of [{ k: 1 }, { k: {} }, [], 'x', 1]) add(`wrong ${JSON.stringify(value)}`, put(value));
      break;
    case 'object':
      for (const value of ['x', 1, [], true]) add(`wrong type ${JSON.stringify(value)}`, put(value));
      add('prototype key inside', put(JSON.parse('{"__proto__":{"x":1}}')));
      add('deep', raw(deepObject(10_000)));
      if (field === 'messages') {
        add('NUL in a message', put([{ body: 1 }, { body: '\u0000' }]));
        add('huge priority in a message', withRaw({ messages: [{ body: 1, priority: '__RAW__' }] }, '1e400'));
        add('proto key in a message', `{"messages":[{"body":1},{"body":2,"__proto__":{"x":1}}]}`);
        add('unknown field in a message', put([{ body: 1 }, { body: 2, zzz: 1 }]));
        add('a message not an object', put([{ body: 1 }, 'x']));
      }
      break;
  }
  return cases;
}

/** What a message must name for a refused field: the field itself (last path segment is enough). */
function fieldName(field: string): string {
  return field;
}

function corpus(): Hostile[] {
  const list: Hostile[] = [];
  for (const route of ROUTES) {
    const at = `${route.method} ${route.path}`;
    const base = JSON.stringify(route.valid);
    for (const [field, kind] of Object.entries(route.fields)) {
      for (const { label, text } of fieldCases(route, field, kind)) {
        const names = label.startsWith('deep') && !label.includes('101') ? 'nested deeper' : fieldName(field);
        list.push({
          name: `${at} ${field}: ${label}`,
          method: route.method,
          path: route.path,
          body: text,
          headers: JSON_TYPE,
          names,
        });
      }
    }
    const add = (label: string, body: string | Buffer, headers: Record<string, string>, names: string) =>
      list.push({ name: `${at}: ${label}`, method: route.method, path: route.path, body, headers, names });
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      add(`top-level ${key}`, `${base.slice(0, -1)},"${key}":{"x":1}}`, JSON_TYPE, key);
    }
    add('escaped __proto__ key', `${base.slice(0, -1)},"__pro\\u0074o__":1}`, JSON_TYPE, '__proto__');
    add('unknown field', `${base.slice(0, -1)},"zzz":1}`, JSON_TYPE, 'zzz');
    add('deep array', deep(10_000), JSON_TYPE, 'nested deeper');
    add('deep object', deepObject(10_000), JSON_TYPE, 'nested deeper');
    add('deep inside a field', `${base.slice(0, -1)},"zzz":${deep(10_000)}}`, JSON_TYPE, 'nested deeper');
    add('body an array', '[1]', JSON_TYPE, 'body');
    add('body a string', '"x"', JSON_TYPE, 'body');
    add('body null', 'null', JSON_TYPE, 'body');
    add('body a huge number', '1e400', JSON_TYPE, 'body');
    add('not JSON', '{"a":', JSON_TYPE, 'JSON');
    add('NUL raw byte', `{"a":"\u0000"}`, JSON_TYPE, 'NUL');
    add('text/plain', base, { 'content-type': 'text/plain' }, 'content-type');
    add('form', 'ids=5', { 'content-type': 'application/x-www-form-urlencoded' }, 'content-type');
    // A Buffer: fetch adds no content type of its own (for a string it sends text/plain).
    add('no content-type', Buffer.from(base), {}, 'content-type');
    add('xml', '<a/>', { 'content-type': 'application/xml' }, 'content-type');
    add('json with charset latin1', base, { 'content-type': 'application/json; charset=latin1' }, 'charset');
    add('gzip header, plain body', base, { ...JSON_TYPE, 'content-encoding': 'gzip' }, 'gzip');
    add('deflate header, plain body', base, { ...JSON_TYPE, 'content-encoding': 'deflate' }, 'deflate');
    add('br header, plain body', base, { ...JSON_TYPE, 'content-encoding': 'br' }, 'br');
    add('unknown encoding', base, { ...JSON_TYPE, 'content-encoding': 'compress' }, 'content-encoding');
    add(
      'two encodings',
      gzipSync(gzipSync(base)),
      { ...JSON_TYPE, 'content-encoding': 'gzip, gzip' },
      'content-encoding',
    );
    add('invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), JSON_TYPE, 'UTF-8');
    add(
      'UTF-8 encoded surrogate',
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      JSON_TYPE,
      'UTF-8',
    );
    add(
      'gzip bomb over the limit',
      gzipSync(Buffer.from(`{"a":"${'x'.repeat(3 * 1024 * 1024)}"}`)),
      { ...JSON_TYPE, 'content-encoding': 'gzip' },
      'larger than',
    );
    add('over the body limit', `{"a":"${'x'.repeat(1024 * 1024)}"}`, JSON_TYPE, 'larger than');
  }
  // Path parameters: every route with a hostile name or id in the path.
  const names = ['%00', 'a%00b', '%ED%A0%80', '%F0%9F', 'a'.repeat(200), '-x', '%C0%AE'];
  for (const name of names) {
    const says = name.startsWith('%ED') || name === '%F0%9F' || name === '%C0%AE' ? '' : 'must match';
    for (const [method, path] of [
      ['GET', `/v1/queues/${name}`],
      ['DELETE', `/v1/queues/${name}`],
      ['GET', `/v1/queues/${name}/messages`],
      ['POST', `/v1/queues/${name}/receive`],
      ['POST', `/v1/queues/${name}/messages`],
      ['GET', `/v1/topics/${name}`],
      ['DELETE', `/v1/topics/${name}`],
      ['POST', `/v1/topics/${name}/publish`],
      ['DELETE', `/v1/topics/t/subscriptions/${name}`],
      ['POST', `/v1/transactions/${name}/commit`],
      ['GET', `/v1/transactions/${name}`],
    ] as const) {
      list.push({
        name: `${method} ${path}`,
        method,
        path,
        body: method === 'POST' ? (path.endsWith('/receive') ? '{}' : '{"body":1}') : undefined,
        headers: method === 'POST' ? JSON_TYPE : {},
        names: path.includes('transactions') && says ? 'does not exist' : says,
      });
    }
  }
  for (const query of [
    'limit=1e3',
    'limit=-1',
    'limit=9999999999999999999',
    'limit=%00',
    'state=%00',
    'state[]=ready',
    'limit[a]=1',
    'zzz=1',
  ]) {
    list.push({
      name: `peek ?${query}`,
      method: 'GET',
      path: `/v1/queues/h/messages?${query}`,
      headers: {},
      names: query.split(/[=[]/)[0] as string,
    });
  }
  return list;
}

async function send(url: string, hostile: Hostile) {
  const res = await fetch(url + hostile.path, {
    method: hostile.method,
    headers: hostile.headers,
    body: hostile.body,
  });
  const text = await res.text();
  let body: { statusCode?: number; error?: string; message?: string } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

/** Every row that matters, folded into one string: equal before and after means nothing changed. */
async function fingerprint(client: pg.Client): Promise<string> {
  const { rows } = await client.query(`
    select (select count(*) from postbox.queues)::int as queues,
           (select count(*) from postbox.topics)::int as topics,
           (select count(*) from postbox.subscriptions)::int as subscriptions,
           (select count(*) from postbox.transactions)::int as transactions,
           (select count(*) from postbox.dedup_keys)::int as dedup_keys,
           (select md5(coalesce(string_agg(id || ':' || attempts || ':' || available_at || ':' || body::text, ',' order by id), ''))
              from postbox.messages) as messages,
           (select md5(coalesce(string_agg(id::text, ',' order by id), '')) from postbox.dead_letters) as dead`);
  return JSON.stringify(rows[0]);
}

describe('hostile input: every route answers 4xx naming the field or reason, never 5xx, and changes nothing', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let server: TestServer;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    server = await startTestServer(postbox);
    await postbox.createQueue('h', { maxAttempts: 1 });
    await postbox.createTopic('t', { retentionMs: 60_000 });
    await postbox.subscribe('t', 'g');
    await postbox.sendBatch('h', [{ body: 'dead' }, { body: 'ready' }]);
    const [first] = await postbox.receive('h', { max: 1 });
    await postbox.nack('h', [{ receipt: first?.receipt as string }]);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a generated corpus of 500+ requests', { timeout: 300_000 }, async () => {
    const list = corpus();
    const before = await fingerprint(client);
    let fourxx = 0;
    let named = 0;
    const fivexx: string[] = [];
    const unnamed: string[] = [];
    const accepted: string[] = [];
    for (const hostile of list) {
      const res = await send(server.url, hostile);
      if (res.status >= 500) fivexx.push(`${hostile.name} → ${res.status} ${res.text.slice(0, 200)}`);
      else if (res.status < 400) accepted.push(`${hostile.name} → ${res.status} ${res.text.slice(0, 200)}`);
      else {
        fourxx++;
        const shaped =
          res.body?.statusCode === res.status &&
          typeof res.body.error === 'string' &&
          typeof res.body.message === 'string';
        if (shaped && (res.body?.message as string).includes(hostile.names)) named++;
        else unnamed.push(`${hostile.name} → ${res.status} ${res.text.slice(0, 200)} (wanted "${hostile.names}")`);
        expect(res.text).not.toMatch(/\s+at .+\(|\/work\/|node_modules|\.ts:\d+/);
      }
    }
    console.log(
      `hostile inputs: tried ${list.length} / 4xx ${fourxx} / 4xx naming the field or reason ${named} / 5xx ${fivexx.length} / accepted ${accepted.length}`,
    );
    expect(fivexx).toEqual([]);
    expect(accepted).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(list.length).toBeGreaterThanOrEqual(500);
    expect(await fingerprint(client)).toBe(before);
  });
});
