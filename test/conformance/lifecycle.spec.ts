import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { useTestDatabase } from '../setup/test-database';
import { type Driver, libraryDriver, psqlDriver } from './drivers';

const EXPIRED = 'visibility timeout expired on the final attempt';
const FAILED = 'failed on the final attempt';

/**
 * Every verb of the message lifecycle, the same assertions through the
 * TypeScript library and through the psql functions (drivers.ts), read back
 * from the tables. Covers each branch of "a message dies": claim after the
 * final lease ran out, nack of the final attempt, and the lock-mode claim
 * of an exhausted row, each into dead_letters and into a dead-letter queue.
 */
describe.each(['library', 'psql'] as const)('message lifecycle through the %s', (kind) => {
  let postbox: Postbox;
  let db: pg.Client;
  let d: Driver;
  let n = 0;
  /** A fresh queue name per test, apart from the other driver's. */
  const name = (what: string) => `${kind}-${what}-${n++}`;

  beforeAll(async () => {
    const test = await useTestDatabase();
    postbox = await test.postbox();
    db = await test.client();
    d = kind === 'library' ? libraryDriver(postbox) : psqlDriver(await test.client());
  });

  async function row(id: string) {
    const { rows } = await db.query(
      `select queue, body, headers, priority, group_key, dedup_key, attempts, lease_token::text, last_error,
              -- when the row is next offered: a lease ends at leased_until (000011), a delay or backoff at available_at
              (extract(epoch from greatest(available_at, case when lease_token is not null then leased_until end) - now())
                * 1000)::float8 as due_in_ms
       from postbox.messages where id = $1`,
      [id],
    );
    return rows[0];
  }
  async function deadLetter(id: string) {
    const { rows } = await db.query(
      'select queue, attempts, last_error, headers, body from postbox.dead_letters where id = $1',
      [id],
    );
    return rows[0];
  }
  async function messagesOf(queue: string) {
    const { rows } = await db.query(
      'select id::text, body, headers, attempts, last_error from postbox.messages where queue = $1 order by id',
      [queue],
    );
    return rows;
  }
  /** The lease ran out (as if the consumer died): the row is ready again. */
  async function expireLease(id: string) {
    await db.query(
      `update postbox.messages set available_at = now() - interval '1 second', leased_until = now() - interval '1 second'
       where id = $1`,
      [id],
    );
  }

  it('send stores body, headers, priority, delay and group key; a dedup key returns the first id', async () => {
    const q = name('send');
    await postbox.createQueue(q);
    const id = await d.send(q, { body: { a: 1 }, headers: { h: '1' }, priority: 3, delayMs: 60_000, groupKey: 'g' });
    const stored = await row(id);
    expect(stored).toMatchObject({ queue: q, body: { a: 1 }, headers: { h: '1' }, priority: 3, group_key: 'g' });
    expect(stored).toMatchObject({ attempts: 0, lease_token: null, dedup_key: null });
    expect(stored.due_in_ms).toBeGreaterThan(55_000);
    expect(stored.due_in_ms).toBeLessThanOrEqual(60_000);
    const first = await d.send(q, { body: 1, dedupKey: 'k' });
    expect(await d.send(q, { body: 2, dedupKey: 'k' })).toBe(first);
    expect((await messagesOf(q)).map((m) => m.body)).toEqual([{ a: 1 }, 1]);
    await expect(d.send(`${q}-missing`, { body: 1 })).rejects.toThrow(`queue "${q}-missing" does not exist`);
  });

  it('sendBatch returns ids in input order and flags duplicates', async () => {
    const q = name('batch');
    await postbox.createQueue(q);
    const { ids, duplicates } = await d.sendBatch(q, [
      { body: 'a', dedupKey: 'k1' },
      { body: 'b', dedupKey: 'k2', priority: -1 },
      { body: 'c', dedupKey: 'k1' },
    ]);
    expect(duplicates).toEqual([2]);
    expect(ids[2]).toBe(ids[0]);
    expect(Number(ids[1])).toBeGreaterThan(Number(ids[0]));
    expect((await messagesOf(q)).map((m) => m.body)).toEqual(['a', 'b']);
    expect((await row(ids[1] as string)).priority).toBe(-1);
  });

  it('claim leases by priority with a receipt and counts the attempt; FIFO offers group heads only', async () => {
    const q = name('claim');
    await postbox.createQueue(q);
    await d.send(q, { body: 'later', priority: 5 });
    await d.send(q, { body: 'first', priority: 1 });
    await d.send(q, { body: 'delayed', delayMs: 60_000 });
    const got = await d.claim(q, 10, 30_000);
    expect(got.map((m) => [m.body, m.attempts])).toEqual([
      ['first', 1],
      ['later', 1],
    ]);
    const leased = await row(got[0]?.id as string);
    expect(got[0]?.receipt).toBe(`${got[0]?.id}.${leased.lease_token}`);
    expect(leased.due_in_ms).toBeGreaterThan(25_000);
    expect(await d.claim(q, 10)).toEqual([]);

    const fifo = name('fifo');
    await postbox.createQueue(fifo, { fifo: true });
    await d.sendBatch(fifo, [
      { body: 'a1', groupKey: 'a' },
      { body: 'a2', groupKey: 'a' },
      { body: 'b1', groupKey: 'b' },
    ]);
    expect((await d.claim(fifo, 10)).map((m) => m.body)).toEqual(['a1', 'b1']);
  });

  it('claim dead-letters a message whose final lease ran out (dead_letters)', async () => {
    const q = name('expire');
    await postbox.createQueue(q, { maxAttempts: 1 });
    const id = await d.send(q, { body: 'x' });
    expect(await d.claim(q, 1)).toHaveLength(1);
    await expireLease(id);
    expect(await d.claim(q, 1)).toEqual([]);
    expect(await row(id)).toBeUndefined();
    expect(await deadLetter(id)).toEqual({ queue: q, attempts: 1, last_error: EXPIRED, headers: null, body: 'x' });
  });

  it('claim dead-letters a message whose final lease ran out (dead-letter queue, headers say why)', async () => {
    const dlq = name('dlq');
    const q = name('expire-dlq');
    await postbox.createQueue(dlq);
    await postbox.createQueue(q, { maxAttempts: 1, deadLetterQueue: dlq });
    const id = await d.send(q, { body: 'x', headers: { h: '1' } });
    await d.claim(q, 1);
    await expireLease(id);
    expect(await d.claim(q, 1)).toEqual([]);
    expect(await deadLetter(id)).toBeUndefined();
    const [moved] = await messagesOf(dlq);
    expect(moved).toMatchObject({ body: 'x', attempts: 0, last_error: EXPIRED });
    expect(moved?.headers).toEqual({
      h: '1',
      'x-postbox-dead-letter-from': q,
      'x-postbox-original-id': id,
      'x-postbox-attempts': '1',
      'x-postbox-last-error': EXPIRED,
    });
  });

  it('ack removes the delivery; a stale receipt acks nothing; a queue with retention archives it', async () => {
    const q = name('ack');
    await postbox.createQueue(q);
    const id = await d.send(q, { body: 'x' });
    const [m] = await d.claim(q, 1);
    expect(await d.ack(q, [`${id}.1`])).toBe(0);
    expect(await d.ack(q, [m?.receipt as string])).toBe(1);
    expect(await d.ack(q, [m?.receipt as string])).toBe(0);
    expect(await row(id)).toBeUndefined();

    const kept = name('ack-kept');
    await postbox.createQueue(kept, { retentionMs: 3_600_000 });
    const keptId = await d.send(kept, { body: 'y', headers: { h: '2' } });
    const [k] = await d.claim(kept, 1);
    expect(await d.ack(kept, [k?.receipt as string])).toBe(1);
    const { rows } = await db.query('select id::text, queue, attempts, headers, body from postbox.archived_messages');
    expect(rows.filter((r) => r.queue === kept)).toEqual([
      { id: keptId, queue: kept, attempts: 1, headers: { h: '2' }, body: 'y' },
    ]);
    expect(rows.filter((r) => r.queue === q)).toEqual([]);
  });

  it('nack with attempts left retries after the delay, or after the backoff, keeping the error', async () => {
    const q = name('retry');
    await postbox.createQueue(q, { maxAttempts: 3, backoff: { initialMs: 10_000, maxMs: 16_000 } });
    const id = await d.send(q, { body: 'x' });
    const [first] = await d.claim(q, 1);
    expect(await d.nack(q, first?.receipt as string, { error: 'boom', delayMs: 60_000 })).toBe('retried');
    const retried = await row(id);
    expect(retried).toMatchObject({ attempts: 1, lease_token: null, last_error: 'boom' });
    expect(retried.due_in_ms).toBeGreaterThan(55_000);
    expect(await d.nack(q, first?.receipt as string, { error: 'again' })).toBe('stale');
    expect(await d.claim(q, 1)).toEqual([]);

    await expireLease(id);
    const [second] = await d.claim(q, 1);
    expect(second?.attempts).toBe(2);
    expect(await d.nack(q, second?.receipt as string)).toBe('retried');
    // Attempt 2: 10 s · 2 = 20 s, capped at 16 s, half of it jitter.
    const backedOff = await row(id);
    expect(backedOff.last_error).toBe('boom');
    expect(backedOff.due_in_ms).toBeGreaterThan(7_000);
    expect(backedOff.due_in_ms).toBeLessThanOrEqual(16_000);
  });

  it('nack of the final attempt dead-letters with its error, or with the reason when there is none', async () => {
    const q = name('final');
    await postbox.createQueue(q, { maxAttempts: 1 });
    const a = await d.send(q, { body: 'a' });
    const b = await d.send(q, { body: 'b' });
    const [ma, mb] = await d.claim(q, 2);
    expect(await d.nack(q, ma?.receipt as string, { error: 'bad input' })).toBe('dead');
    expect(await d.nack(q, mb?.receipt as string)).toBe('dead');
    expect(await deadLetter(a)).toMatchObject({ queue: q, attempts: 1, last_error: 'bad input' });
    expect(await deadLetter(b)).toMatchObject({ queue: q, attempts: 1, last_error: FAILED });
    expect(await messagesOf(q)).toEqual([]);

    const dlq = name('final-dlq-target');
    const withDlq = name('final-dlq');
    await postbox.createQueue(dlq);
    await postbox.createQueue(withDlq, { maxAttempts: 1, deadLetterQueue: dlq });
    const c = await d.send(withDlq, { body: 'c' });
    const [mc] = await d.claim(withDlq, 1);
    expect(await d.nack(withDlq, mc?.receipt as string, { error: 'bad input' })).toBe('dead');
    expect((await messagesOf(dlq))[0]?.headers).toEqual({
      'x-postbox-dead-letter-from': withDlq,
      'x-postbox-original-id': c,
      'x-postbox-attempts': '1',
      'x-postbox-last-error': 'bad input',
    });
  });

  it('extend moves the lease; 0 makes the message visible at once with its receipt still valid', async () => {
    const q = name('extend');
    await postbox.createQueue(q);
    const id = await d.send(q, { body: 'x' });
    const [m] = await d.claim(q, 1, 1_000);
    expect(await d.extend(q, m?.receipt as string, 120_000)).toBe(true);
    expect((await row(id)).due_in_ms).toBeGreaterThan(100_000);
    expect(await d.extend(q, m?.receipt as string, 0)).toBe(true);
    // Visible at once: a lease shortened ends at the new time (leased_until moves too).
    expect((await row(id)).due_in_ms).toBeLessThanOrEqual(0);
    expect(await d.ack(q, [m?.receipt as string])).toBe(1);
    expect(await d.extend(q, m?.receipt as string, 1_000)).toBe(false);
  });

  it('release makes the delivery visible at once and takes its attempt back', async () => {
    const q = name('release');
    await postbox.createQueue(q);
    const id = await d.send(q, { body: 'x' });
    const [m] = await d.claim(q, 1);
    expect(await d.release(q, m?.receipt as string)).toBe(true);
    expect(await row(id)).toMatchObject({ attempts: 0, lease_token: null });
    expect(await d.release(q, m?.receipt as string)).toBe(false);
    expect((await d.claim(q, 1))[0]?.attempts).toBe(1);
  });

  it('redrive moves dead letters back as ready messages with their ids, attempts reset', async () => {
    const q = name('redrive');
    await postbox.createQueue(q, { maxAttempts: 1 });
    const [a, b] = (await d.sendBatch(q, [{ body: 'a' }, { body: 'b' }])).ids as [string, string];
    for (const m of await d.claim(q, 2)) await d.nack(q, m.receipt, { error: 'e' });
    expect(await d.redrive(q, [b])).toBe(1);
    expect(await row(b)).toMatchObject({ attempts: 0, last_error: 'e', lease_token: null });
    expect(await deadLetter(a)).toBeDefined();
    expect(await d.redrive(q)).toBe(1);
    expect(await d.redrive(q)).toBe(0);
    expect((await d.claim(q, 10)).map((m) => m.id)).toEqual([a, b]);
  });

  it('lock: ack deletes held rows; nack counts the failure and retries', async () => {
    const q = name('lock');
    await postbox.createQueue(q, { maxAttempts: 2 });
    const [a, b] = (await d.sendBatch(q, [{ body: 'a' }, { body: 'b' }])).ids as [string, string];
    await d.withLock(q, 10, async (locked, session) => {
      expect(locked.map((m) => [m.id, m.attempts, m.token, m.exhausted])).toEqual([
        [a, 0, null, false],
        [b, 0, null, false],
      ]);
      expect(await session.ack([locked[0] as (typeof locked)[0]])).toBe(1);
      expect(await session.nack(locked[1] as (typeof locked)[0], 'oops', 60_000)).toBe('retried');
    });
    expect(await row(a)).toBeUndefined();
    const retried = await row(b);
    expect(retried).toMatchObject({ attempts: 1, last_error: 'oops', lease_token: null });
    expect(retried.due_in_ms).toBeGreaterThan(55_000);
  });

  it('lock: nack of the final attempt dead-letters into the dead-letter queue', async () => {
    const dlq = name('lock-dlq-target');
    const q = name('lock-dlq');
    await postbox.createQueue(dlq);
    await postbox.createQueue(q, { maxAttempts: 1, deadLetterQueue: dlq });
    const id = await d.send(q, { body: 'x' });
    await d.withLock(q, 1, async ([m], session) => {
      expect(await session.nack(m as NonNullable<typeof m>, 'fatal')).toBe('dead');
    });
    expect(await row(id)).toBeUndefined();
    expect((await messagesOf(dlq))[0]?.headers).toEqual({
      'x-postbox-dead-letter-from': q,
      'x-postbox-original-id': id,
      'x-postbox-attempts': '1',
      'x-postbox-last-error': 'fatal',
    });
  });

  it('lock: a row whose final lease ran out comes back exhausted and dies with the lease reason', async () => {
    const q = name('lock-exhausted');
    await postbox.createQueue(q, { maxAttempts: 1 });
    const id = await d.send(q, { body: 'x' });
    await d.claim(q, 1);
    await expireLease(id);
    await d.withLock(q, 1, async ([m], session) => {
      expect(m).toMatchObject({ id, attempts: 1, exhausted: true });
      expect(await session.nack(m as NonNullable<typeof m>, null)).toBe('dead');
    });
    expect(await deadLetter(id)).toMatchObject({ queue: q, attempts: 1, last_error: EXPIRED });
  });

  it('publish fans out by tag with the topic headers and archives; subscribe is idempotent', async () => {
    const topic = name('topic');
    await postbox.createTopic(topic, { retentionMs: 3_600_000 });
    const all = await d.subscribe(topic, 'all');
    expect(all).toBe(`${topic}.all`);
    const tagged = await d.subscribe(topic, 'tagged', ['x', 'w', 'x']);
    expect(await d.subscribe(topic, 'tagged', ['w', 'x'])).toBe(tagged);
    await expect(d.subscribe(topic, 'tagged', ['y'])).rejects.toThrow(
      `subscription "tagged" of topic "${topic}" already exists with other settings`,
    );
    const y = await d.publish(topic, { body: 'for all', tag: 'y' });
    const x = await d.publish(topic, { body: 'for both', tag: 'x', headers: { h: '1' }, priority: 2, groupKey: 'g' });
    expect(Number(x)).toBeGreaterThan(Number(y));
    expect((await messagesOf(all)).map((m) => m.body)).toEqual(['for all', 'for both']);
    const [copy] = await messagesOf(tagged);
    expect(copy?.headers).toEqual({
      h: '1',
      'x-postbox-topic': topic,
      'x-postbox-topic-message-id': x,
      'x-postbox-tag': 'x',
    });
    expect(await row(copy?.id as string)).toMatchObject({ priority: 2, group_key: 'g' });
    const { rows } = await db.query(
      'select id::text, tag, priority, group_key, headers from postbox.published_messages where topic = $1 order by id',
      [topic],
    );
    expect(rows).toEqual([
      { id: y, tag: 'y', priority: 0, group_key: null, headers: expect.objectContaining({ 'x-postbox-tag': 'y' }) },
      { id: x, tag: 'x', priority: 2, group_key: 'g', headers: copy?.headers },
    ]);
  });
});
