import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../libs/core/src/messages/message';
import { MAX_DELAY_MS, TIME_RANGE } from '../../libs/core/src/messages/message';
import { send, sendBatch } from '../../libs/core/src/messages/send';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues } from '../setup/fresh-queues';
import { openTestPostbox } from '../setup/test-database';

/**
 * The checks a message passes before any statement (message.ts,
 * postgres-text.ts), edge by edge, with the exact error text and field name,
 * and what the accepted edge values store. Written to kill survivors of
 * `npm run test:mutation` (docs/mutation-testing.md).
 */
describe('message checks at their edges', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('check', () => postbox);

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  /** One send's refusal; nothing reaches the queue. */
  async function refused(queue: string, message: unknown, error: string) {
    await expect(send(postbox.db, queue, message as OutgoingMessage)).rejects.toThrow(
      new RegExp(`^${error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
    );
  }

  async function rows(queue: string) {
    const { rows } = await client.query(
      `select body, headers, priority, dedup_key, group_key,
              extract(epoch from available_at - enqueued_at)::bigint as delay_s,
              available_at, expires_at
       from postbox.messages where queue = $1 order by id`,
      [queue],
    );
    return rows;
  }

  it('message and body: an object with a JSON body is required', async () => {
    const queue = await fresh();
    await refused(queue, null, 'message must be an object');
    await refused(queue, 'text', 'message must be an object');
    await refused(queue, {}, 'body is required');
    await refused(queue, { body: () => 1 }, 'body must be JSON-serializable');
    await refused(queue, { body: 10n }, 'body must be JSON-serializable');
    await expect(sendBatch(postbox.db, queue, [{ body: 1 }, null as never])).rejects.toThrow(
      /^messages\[1\]\. must be an object$/,
    );
    await expect(sendBatch(postbox.db, queue, [{ body: 1 }, {} as never])).rejects.toThrow(
      /^messages\[1\]\.body is required$/,
    );
    await expect(sendBatch(postbox.db, queue, [{ body: 1 }, { body: 2, priority: 0.5 }])).rejects.toThrow(
      /^messages\[1\]\.priority must be a 32-bit integer$/,
    );
    // null is a body; it is stored as JSON null.
    await send(postbox.db, queue, { body: null });
    expect((await rows(queue)).map((r) => r.body)).toEqual([null]);
  });

  it('headers: an object of strings or nothing', async () => {
    const queue = await fresh();
    await refused(queue, { body: 1, headers: 'h' }, 'headers must be an object of string values');
    await refused(queue, { body: 1, headers: ['a'] }, 'headers must be an object of string values');
    await refused(queue, { body: 1, headers: { a: 'x', b: 2 } }, 'headers.b must be a string');
    await refused(queue, { body: 1, headers: { a: 'x\u0000' } }, 'headers must not contain NUL characters (\\u0000)');
    await refused(queue, { body: 1, headers: { a: '\ud800' } }, 'headers must not contain lone UTF-16 surrogates');
    await sendBatch(postbox.db, queue, [
      { body: 1, headers: { a: 'x', b: 'y' } },
      { body: 2, headers: null as never },
      { body: 3, headers: {} },
    ]);
    expect((await rows(queue)).map((r) => r.headers)).toEqual([{ a: 'x', b: 'y' }, null, {}]);
  });

  it('priority: a 32-bit integer, 0 by default', async () => {
    const queue = await fresh();
    for (const priority of [1.5, -(2 ** 31) - 1, 2 ** 31, Number.NaN]) {
      await refused(queue, { body: 1, priority }, 'priority must be a 32-bit integer');
    }
    await sendBatch(postbox.db, queue, [
      { body: 'min', priority: -(2 ** 31) },
      { body: 'max', priority: 2 ** 31 - 1 },
      { body: 'default' },
    ]);
    expect((await rows(queue)).map((r) => [r.body, r.priority])).toEqual([
      ['min', -(2 ** 31)],
      ['max', 2 ** 31 - 1],
      ['default', 0],
    ]);
  });

  it('delayMs: an integer from 0 to a year, 0 by default; never with availableAt', async () => {
    const queue = await fresh();
    for (const delayMs of [-1, MAX_DELAY_MS + 1, 0.5]) {
      await refused(queue, { body: 1, delayMs }, 'delayMs must be an integer between 0 and 31536000000');
    }
    const at = new Date(Date.now() + 60_000);
    await refused(queue, { body: 1, delayMs: 0, availableAt: at }, 'availableAt cannot be combined with delayMs');
    await refused(queue, { body: 1, delayMs: 5, availableAt: at }, 'availableAt cannot be combined with delayMs');
    await sendBatch(postbox.db, queue, [
      { body: 'now' },
      { body: 'zero', delayMs: 0 },
      { body: 'year', delayMs: MAX_DELAY_MS },
      { body: 'null at', delayMs: 7_200_000, availableAt: null as never },
    ]);
    expect((await rows(queue)).map((r) => [r.body, Number(r.delay_s)])).toEqual([
      ['now', 0],
      ['zero', 0],
      ['year', MAX_DELAY_MS / 1000],
      ['null at', 7_200],
    ]);
  });

  it('availableAt and expiresAt: a time in years 0001 … 9999, as a Date or ISO text', async () => {
    const queue = await fresh();
    for (const field of ['availableAt', 'expiresAt']) {
      await refused(queue, { body: 1, [field]: 'soon' }, `${field} must be an ISO-8601 time`);
      await refused(queue, { body: 1, [field]: new Date(Number.NaN) }, `${field} must be an ISO-8601 time`);
      for (const time of [TIME_RANGE.min - 1, TIME_RANGE.max + 1]) {
        await refused(
          queue,
          { body: 1, [field]: new Date(time) },
          `${field} must be a time between years 0001 and 9999`,
        );
      }
    }
    const later = '2999-01-02T03:04:05.678Z';
    await sendBatch(postbox.db, queue, [
      { body: 'first', availableAt: new Date(TIME_RANGE.min), expiresAt: new Date(TIME_RANGE.max) },
      { body: 'text', availableAt: later, expiresAt: later },
      { body: 'date', availableAt: new Date(later), expiresAt: null as never },
    ]);
    expect((await rows(queue)).map((r) => [r.body, r.available_at.getTime(), r.expires_at?.getTime() ?? null])).toEqual(
      [
        ['first', TIME_RANGE.min, TIME_RANGE.max],
        ['text', Date.parse(later), Date.parse(later)],
        ['date', Date.parse(later), null],
      ],
    );
  });

  it('dedupKey and groupKey: 1 to 256 characters of Postgres text, or nothing', async () => {
    const queue = await fresh();
    for (const field of ['dedupKey', 'groupKey']) {
      for (const value of ['', 'k'.repeat(257), 7]) {
        await refused(queue, { body: 1, [field]: value }, `${field} must be a string of 1 to 256 characters`);
      }
      await refused(queue, { body: 1, [field]: 'a\u0000' }, `${field} must not contain NUL characters (\\u0000)`);
      await refused(queue, { body: 1, [field]: 'a\udc00b' }, `${field} must not contain lone UTF-16 surrogates`);
    }
    await sendBatch(postbox.db, queue, [
      { body: 'one', dedupKey: 'd', groupKey: 'g' },
      { body: 'long', dedupKey: 'd'.repeat(256), groupKey: 'g'.repeat(256) },
      { body: 'none', dedupKey: null as never, groupKey: null as never },
      { body: 'pair', dedupKey: 'd-😀', groupKey: 'g-😀' },
    ]);
    expect((await rows(queue)).map((r) => [r.body, r.dedup_key, r.group_key])).toEqual([
      ['one', 'd', 'g'],
      ['long', 'd'.repeat(256), 'g'.repeat(256)],
      ['none', null, null],
      ['pair', 'd-😀', 'g-😀'],
    ]);
  });

  it('bodies: NUL and lone surrogates refused by name; escaped backslashes and pairs are fine', async () => {
    const queue = await fresh();
    const nul = 'body must not contain NUL characters (\\u0000)';
    const lone = 'body must not contain lone UTF-16 surrogates';
    await refused(queue, { body: 'a\u0000' }, nul);
    await refused(queue, { body: { k: ['x', '\\\u0000'] } }, nul);
    await refused(queue, { body: { 'k\u0000': 1 } }, nul);
    for (const s of ['\ud800', 'x\udbff', '\udc00y', '\udfff', '\\\ud9ab']) {
      await refused(queue, { body: s }, lone);
    }
    // Text that only looks like an escape (a backslash, then "u0000"), control
    // characters Postgres takes, and a surrogate pair are stored as sent.
    const fine = ['\\u0000', '\\ud800', '\\\\u0000', '\u0001\u001f', '😀', 'ok'];
    await sendBatch(
      postbox.db,
      queue,
      fine.map((body) => ({ body })),
    );
    expect((await rows(queue)).map((r) => r.body)).toEqual(fine);
  });

  it('maxMessageBytes counts body and headers as UTF-8 bytes of their JSON', async () => {
    // '"é"' is 4 bytes, '{"a":"b"}' 9: 13 in all.
    const queue = await fresh({ maxMessageBytes: 13 });
    await send(postbox.db, queue, { body: 'é', headers: { a: 'b' } });
    await expect(send(postbox.db, queue, { body: 'é!', headers: { a: 'b' } })).rejects.toThrow(
      `message is 14 bytes, more than queue "${queue}" allows (maxMessageBytes 13)`,
    );
    const small = await fresh({ maxMessageBytes: 12 });
    await expect(send(postbox.db, small, { body: 'é', headers: { a: 'b' } })).rejects.toThrow(
      `message is 13 bytes, more than queue "${small}" allows (maxMessageBytes 12)`,
    );
    // Without headers only the body counts: '"ééééé"' is 12 bytes.
    await send(postbox.db, small, { body: 'ééééé' });
    await expect(send(postbox.db, small, { body: 'ééééé!' })).rejects.toThrow('message is 13 bytes');
    expect((await rows(queue)).map((r) => r.body)).toEqual(['é']);
    expect((await rows(small)).map((r) => r.body)).toEqual(['ééééé']);
  });
});
