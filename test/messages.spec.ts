import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { knownToArchive } from '../libs/core/src/messages/acked-retention-cache';
import { claim } from '../libs/core/src/messages/claim';
import { redrive } from '../libs/core/src/messages/redrive';
import { sendBatch } from '../libs/core/src/messages/send';
import type { Postbox } from '../libs/core/src/postbox';
import { useTestDatabase } from './setup/test-database';
import { sleep } from './setup/until';

/** Polls until `check` returns a value that is not undefined (no fixed sleeps for timing). */
async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('messages', () => {
  let postbox: Postbox;
  let countRows: (table: string, queue: string) => Promise<number>;

  beforeAll(async () => {
    const db = await useTestDatabase();
    postbox = await db.postbox();
    const client = await db.client();
    countRows = async (table, queue) =>
      Number((await client.query(`select count(*) from postbox.${table} where queue = $1`, [queue])).rows[0].count);
  });

  it('sends, receives with a receipt, and acks: the row leaves the live table', async () => {
    await postbox.createQueue('basic');
    const { id } = await postbox.send('basic', { body: { hello: 'world' }, headers: { trace: 'abc' } });
    const [message] = await postbox.receive('basic');
    expect(message).toMatchObject({ id, body: { hello: 'world' }, headers: { trace: 'abc' }, attempts: 1 });
    expect(message?.receipt).toMatch(new RegExp(`^${id}\\.-?\\d+$`));
    expect(await postbox.receive('basic')).toEqual([]);
    expect(await postbox.ack('basic', [message?.receipt as string])).toEqual({ acked: 1, stale: [] });
    expect(await countRows('messages', 'basic')).toBe(0);
  });

  it('sends a batch in one statement, ids in input order, delivered in order', async () => {
    await postbox.createQueue('batch');
    const { ids } = await postbox.sendBatch(
      'batch',
      Array.from({ length: 500 }, (_, i) => ({ body: { i } })),
    );
    expect(ids).toHaveLength(500);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
    const received = await postbox.receive('batch', { max: 1000 });
    expect(received.map((m) => (m.body as { i: number }).i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('a batch with one bad message fails whole and enqueues nothing', async () => {
    await postbox.createQueue('atomic');
    await expect(postbox.sendBatch('atomic', [{ body: 1 }, { body: 2, priority: 1.5 }])).rejects.toThrow(
      'messages[1].priority must be a 32-bit integer',
    );
    await expect(postbox.sendBatch('atomic', [{ body: 1 }, { body: 2, delayMs: -1 }])).rejects.toThrow(
      /^messages\[1\]\.delayMs/,
    );
    await expect(postbox.send('atomic', { body: undefined })).rejects.toThrow('body is required');
    await expect(
      postbox.sendBatch(
        'atomic',
        Array.from({ length: 1001 }, () => ({ body: 1 })),
      ),
    ).rejects.toThrow('messages must hold at most 1000 messages');
    expect(await countRows('messages', 'atomic')).toBe(0);
  });

  it('delivers lower priority numbers first, then in send order', async () => {
    await postbox.createQueue('priority');
    await postbox.sendBatch('priority', [
      { body: 'c', priority: 5 },
      { body: 'a', priority: -1 },
      { body: 'd', priority: 5 },
      { body: 'b', priority: 0 },
    ]);
    const received = await postbox.receive('priority', { max: 10 });
    expect(received.map((m) => m.body)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps delayed messages invisible until due (delayMs and availableAt)', async () => {
    await postbox.createQueue('delayed');
    await postbox.send('delayed', { body: 'later', delayMs: 60_000 });
    await postbox.send('delayed', { body: 'at', availableAt: new Date(Date.now() + 60_000).toISOString() });
    await postbox.send('delayed', { body: 'soon', delayMs: 300 });
    expect(await postbox.receive('delayed', { max: 10 })).toEqual([]);
    const [soon] = await eventually(async () => {
      const got = await postbox.receive('delayed', { max: 10 });
      return got.length > 0 ? got : undefined;
    });
    expect(soon?.body).toBe('soon');
    expect((await postbox.peek('delayed', 'delayed')).map((m) => m.body).sort()).toEqual(['at', 'later']);
    await expect(postbox.send('delayed', { body: 1, delayMs: 5, availableAt: new Date() })).rejects.toThrow(
      'availableAt cannot be combined with delayMs',
    );
  });

  it('deduplicates by dedupKey: a retried send returns the original id, even after the ack', async () => {
    await postbox.createQueue('dedup');
    const first = await postbox.send('dedup', { body: 1, dedupKey: 'order-1' });
    const again = await postbox.send('dedup', { body: 2, dedupKey: 'order-1' });
    expect(again).toEqual({ id: first.id, duplicate: true });
    const batch = await postbox.sendBatch('dedup', [
      { body: 3, dedupKey: 'order-2' },
      { body: 4, dedupKey: 'order-1' },
      { body: 5, dedupKey: 'order-2' },
      { body: 6 },
    ]);
    expect(batch.duplicates).toEqual([1, 2]);
    expect(batch.ids[1]).toBe(first.id);
    expect(batch.ids[2]).toBe(batch.ids[0]);
    const received = await postbox.receive('dedup', { max: 10 });
    expect(received.map((m) => m.body)).toEqual([1, 3, 6]);
    await postbox.ack(
      'dedup',
      received.map((m) => m.receipt),
    );
    expect((await postbox.send('dedup', { body: 7, dedupKey: 'order-1' })).id).toBe(first.id);
    expect(await countRows('messages', 'dedup')).toBe(0);
  });

  it('deduplicates concurrent sends of the same key to exactly one message', async () => {
    await postbox.createQueue('dedup-race');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postbox.send('dedup-race', { body: i, dedupKey: 'same' })),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await countRows('messages', 'dedup-race')).toBe(1);
  });

  it('takes a dedup key over once its window has passed', async () => {
    await postbox.createQueue('dedup-window', { dedupWindowMs: 200 });
    const first = await postbox.send('dedup-window', { body: 1, dedupKey: 'k' });
    await sleep(300);
    const second = await postbox.send('dedup-window', { body: 2, dedupKey: 'k' });
    expect(second.duplicate).toBe(false);
    expect(second.id).not.toBe(first.id);
  });

  it('redelivers after the lease expires with a new receipt; the old receipt is stale', async () => {
    await postbox.createQueue('lease', { visibilityTimeoutMs: 200 });
    await postbox.send('lease', { body: 'x' });
    const [first] = await postbox.receive('lease');
    const second = await eventually(async () => (await postbox.receive('lease'))[0]);
    expect(second.id).toBe(first?.id);
    expect(second.attempts).toBe(2);
    expect(second.receipt).not.toBe(first?.receipt);
    expect(await postbox.ack('lease', [first?.receipt as string])).toEqual({ acked: 0, stale: [first?.receipt] });
    expect(await postbox.nack('lease', [{ receipt: first?.receipt as string }])).toMatchObject({
      retried: 0,
      stale: [first?.receipt],
    });
    expect(await postbox.extend('lease', [first?.receipt as string], 1000)).toEqual({
      extended: 0,
      stale: [first?.receipt],
    });
    // Both receipts of one message in one request: only the current delivery counts.
    expect(await postbox.extend('lease', [first?.receipt as string, second.receipt], 60_000)).toEqual({
      extended: 1,
      stale: [first?.receipt],
    });
    expect(await postbox.ack('lease', [first?.receipt as string, second.receipt])).toEqual({
      acked: 1,
      stale: [first?.receipt],
    });
  });

  it('extends a lease so the message stays invisible', async () => {
    await postbox.createQueue('extend', { visibilityTimeoutMs: 300 });
    await postbox.send('extend', { body: 'x' });
    const [message] = await postbox.receive('extend');
    expect(await postbox.extend('extend', [message?.receipt as string], 60_000)).toEqual({ extended: 1, stale: [] });
    await sleep(500);
    expect(await postbox.receive('extend')).toEqual([]);
    expect((await postbox.peek('extend', 'inFlight')).map((m) => m.id)).toEqual([message?.id]);
  });

  it('rejects malformed receipts naming the field', async () => {
    await expect(postbox.ack('basic', ['nope'])).rejects.toThrow('receipts[0] is not a receipt returned by receive');
  });

  it('nack retries with exponential backoff, then dead-letters with the last error', async () => {
    await postbox.createQueue('retry', { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 1_000 } });
    const { id } = await postbox.send('retry', { body: 'fails' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const message = await eventually(async () => (await postbox.receive('retry'))[0]);
      expect(message.attempts).toBe(attempt);
      const result = await postbox.nack('retry', [{ receipt: message.receipt, error: `boom ${attempt}` }]);
      expect(result).toEqual(
        attempt < 3 ? { retried: 1, deadLettered: 0, stale: [] } : { retried: 0, deadLettered: 1, stale: [] },
      );
      if (attempt < 3) {
        const [delayed] = await postbox.peek('retry', 'delayed');
        // Backoff 100·2^(attempt-1) ms with equal jitter: between half and all of it.
        const waitMs = delayed ? delayed.availableAt.getTime() - Date.now() : -1;
        expect(waitMs).toBeLessThanOrEqual(100 * 2 ** (attempt - 1));
        expect(delayed?.lastError).toBe(`boom ${attempt}`);
      }
    }
    expect(await countRows('messages', 'retry')).toBe(0);
    const [dead] = await postbox.peek('retry', 'dead');
    expect(dead).toMatchObject({ id, body: 'fails', attempts: 3, lastError: 'boom 3' });
    expect((await postbox.getQueueStats('retry')).dead).toBe(1);
  });

  it('nack with an explicit delay overrides the backoff', async () => {
    await postbox.createQueue('nack-delay');
    await postbox.send('nack-delay', { body: 1 });
    const [m] = await postbox.receive('nack-delay');
    await postbox.nack('nack-delay', [{ receipt: m?.receipt as string, delayMs: 0 }]);
    expect((await postbox.receive('nack-delay'))[0]?.attempts).toBe(2);
  });

  it('dead-letters a message whose final lease expired (consumer died on the last attempt)', async () => {
    await postbox.createQueue('expire-dead', { maxAttempts: 1, visibilityTimeoutMs: 100 });
    await postbox.send('expire-dead', { body: 'x' });
    expect(await postbox.receive('expire-dead')).toHaveLength(1);
    await sleep(200);
    expect(await postbox.receive('expire-dead')).toEqual([]);
    const [dead] = await postbox.peek('expire-dead', 'dead');
    expect(dead?.lastError).toBe('visibility timeout expired on the final attempt');
  });

  it('moves dead letters to the configured dead-letter queue', async () => {
    await postbox.createQueue('dlq');
    await postbox.createQueue('with-dlq', { maxAttempts: 1, deadLetterQueue: 'dlq' });
    const { id } = await postbox.send('with-dlq', { body: 'poison', headers: { a: 'b' } });
    const [m] = await postbox.receive('with-dlq');
    await postbox.nack('with-dlq', [{ receipt: m?.receipt as string, error: 'bad input' }]);
    const [dead] = await postbox.receive('dlq');
    expect(dead?.body).toBe('poison');
    expect(dead?.headers).toMatchObject({
      a: 'b',
      'x-postbox-dead-letter-from': 'with-dlq',
      'x-postbox-original-id': id,
      'x-postbox-last-error': 'bad input',
    });
    expect(await countRows('dead_letters', 'with-dlq')).toBe(0);
  });

  it('redrives dead letters, all or by id', async () => {
    await postbox.createQueue('redrive', { maxAttempts: 1 });
    await postbox.sendBatch('redrive', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    const received = await postbox.receive('redrive', { max: 3 });
    await postbox.nack(
      'redrive',
      received.map((m) => ({ receipt: m.receipt, error: 'x' })),
    );
    const dead = await postbox.peek('redrive', 'dead');
    expect(dead).toHaveLength(3);
    expect(await postbox.redrive('redrive', [dead[0]?.id as string])).toBe(1);
    expect((await postbox.receive('redrive', { max: 10 })).map((m) => m.body)).toEqual([1]);
    expect(await postbox.redrive('redrive')).toBe(2);
    const again = await postbox.receive('redrive', { max: 10 });
    expect(again.map((m) => [m.body, m.attempts])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(await countRows('dead_letters', 'redrive')).toBe(0);
  });

  it('FIFO: one in-flight message per group, in send order; other groups are not blocked', async () => {
    await postbox.createQueue('fifo', { fifo: true, visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch('fifo', [
      { body: 'a1', groupKey: 'a' },
      { body: 'a2', groupKey: 'a' },
      { body: 'b1', groupKey: 'b' },
      { body: 'a3', groupKey: 'a' },
      { body: 'b2', groupKey: 'b' },
    ]);
    const first = await postbox.receive('fifo', { max: 10 });
    expect(first.map((m) => m.body)).toEqual(['a1', 'b1']);
    expect(await postbox.receive('fifo', { max: 10 })).toEqual([]);
    // Group a is slow (a1 still in flight); b goes on.
    await postbox.ack('fifo', [first[1]?.receipt as string]);
    expect((await postbox.receive('fifo', { max: 10 })).map((m) => m.body)).toEqual(['b2']);
    // A nacked head keeps its place: the group waits for it, never skips ahead.
    await postbox.nack('fifo', [{ receipt: first[0]?.receipt as string, delayMs: 0 }]);
    const retry = await postbox.receive('fifo', { max: 10 });
    expect(retry.map((m) => m.body)).toEqual(['a1']);
    await postbox.ack('fifo', [retry[0]?.receipt as string]);
    expect((await postbox.receive('fifo', { max: 10 })).map((m) => m.body)).toEqual(['a2']);
  });

  it('FIFO: concurrent claimers never hold two messages of one group', async () => {
    await postbox.createQueue('fifo-race', { fifo: true, visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch(
      'fifo-race',
      Array.from({ length: 40 }, (_, i) => ({ body: i, groupKey: `g${i % 4}` })),
    );
    const claims = await Promise.all(Array.from({ length: 6 }, () => postbox.receive('fifo-race', { max: 10 })));
    const groups = claims.flat().map((m) => m.groupKey);
    expect(groups.sort()).toEqual(['g0', 'g1', 'g2', 'g3']);
  });

  it('peeks by state without claiming', async () => {
    await postbox.createQueue('peek', { visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch('peek', [{ body: 1 }, { body: 2 }, { body: 3, delayMs: 60_000 }]);
    await postbox.receive('peek');
    expect((await postbox.peek('peek', 'ready')).map((m) => m.body)).toEqual([2]);
    expect((await postbox.peek('peek', 'inFlight')).map((m) => m.body)).toEqual([1]);
    expect((await postbox.peek('peek', 'delayed')).map((m) => m.body)).toEqual([3]);
    expect((await postbox.peek('peek', 'ready')).map((m) => m.attempts)).toEqual([0]);
    await expect(postbox.peek('peek', 'ready', 0)).rejects.toThrow('limit must be an integer between 1 and 1000');
  });

  it('rejects an unknown queue on send with a not-found error', async () => {
    await expect(postbox.send('missing', { body: 1 })).rejects.toThrow('queue "missing" does not exist');
  });

  it('claims with the index: no sort in the plan', async () => {
    const { rows } = await sql<{ 'QUERY PLAN': string }>`
      explain select id from postbox.messages
      where queue = 'basic' and available_at <= now()
      order by priority, available_at, id limit 10 for update skip locked`.execute(postbox.db);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('messages_claim_idx');
    expect(plan).not.toMatch(/\bSort\b/);
  });

  it('sends inside a transaction only when it commits (outbox)', async () => {
    await postbox.createQueue('outbox');
    await postbox.db
      .transaction()
      .execute(async (trx) => {
        await sendBatch(trx, 'outbox', [{ body: 'rolled back' }]);
        expect(await claim(postbox.db, 'outbox', 10)).toEqual([]);
        throw new Error('rollback');
      })
      .catch(() => {});
    await postbox.db.transaction().execute(async (trx) => {
      await postbox.send('outbox', { body: 'committed' }, { trx });
    });
    expect((await postbox.receive('outbox', { max: 10 })).map((m) => m.body)).toEqual(['committed']);
  });

  it('rejects out-of-range claim, nack and redrive input naming the field, and changes nothing', async () => {
    await postbox.createQueue('bounds');
    const { id } = await postbox.send('bounds', { body: 1 });
    for (const max of [0, 1001, 1.5]) {
      await expect(postbox.receive('bounds', { max })).rejects.toThrow('max must be an integer between 1 and 1000');
    }
    for (const visibilityTimeoutMs of [0, 43_200_001, 2.5]) {
      await expect(postbox.receive('bounds', { visibilityTimeoutMs })).rejects.toThrow(
        'visibilityTimeoutMs must be an integer between 1 and 43200000',
      );
    }
    // The bounds themselves are accepted.
    const [m] = await postbox.receive('bounds', { max: 1000, visibilityTimeoutMs: 43_200_000 });
    expect(m?.id).toBe(id);
    const max = 365 * 24 * 3600 * 1000;
    for (const delayMs of [-1, max + 1, 0.5]) {
      await expect(postbox.nack('bounds', [{ receipt: m?.receipt as string, delayMs }])).rejects.toMatchObject({
        field: 'delayMs',
        message: `delayMs must be an integer between 0 and ${max}`,
      });
    }
    await expect(
      postbox.nack('bounds', [{ receipt: m?.receipt as string }, { receipt: m?.receipt as string, delayMs: -1 }]),
    ).rejects.toMatchObject({ field: 'items[1].delayMs' });
    await expect(postbox.nack('bounds', [{ receipt: 'nope' }])).rejects.toThrow('receipts[0] is not a receipt');
    await expect(postbox.redrive('bounds', ['1', 'x'])).rejects.toMatchObject({
      field: 'ids[1]',
      message: 'ids[1] must be a message id (digits, within bigint)',
    });
    expect(await postbox.nack('bounds', [])).toEqual({ retried: 0, deadLettered: 0, stale: [] });
    // Nothing above touched the delivery: it is still leased with its receipt, attempts 1.
    expect(await postbox.peek('bounds', 'inFlight')).toMatchObject([{ id, attempts: 1, lastError: null }]);
    expect(await postbox.nack('bounds', [{ receipt: m?.receipt as string, delayMs: max }])).toMatchObject({
      retried: 1,
    });
  });

  it('keeps at most 10,000 characters of a nack error', async () => {
    await postbox.createQueue('long-error');
    await postbox.send('long-error', { body: 1 });
    const [m] = await postbox.receive('long-error');
    await postbox.nack('long-error', [{ receipt: m?.receipt as string, error: 'e'.repeat(20_000) }]);
    const [retried] = await postbox.peek('long-error', 'delayed');
    expect(retried?.lastError).toBe('e'.repeat(10_000));
  });

  it('remembers after an ack whether the queue archives, and detects again when no delivery matched', async () => {
    await postbox.createQueue('kept-acks', { retentionMs: 3_600_000 });
    await postbox.createQueue('plain-acks');
    expect(knownToArchive(postbox.db, postbox.schema, 'kept-acks')).toBeUndefined();
    await postbox.ack('kept-acks', ['1.1']);
    expect(knownToArchive(postbox.db, postbox.schema, 'kept-acks')).toBeUndefined();
    for (const queue of ['kept-acks', 'plain-acks']) {
      await postbox.send(queue, { body: queue });
      const [m] = await postbox.receive(queue);
      expect(await postbox.ack(queue, [m?.receipt as string])).toEqual({ acked: 1, stale: [] });
    }
    expect(knownToArchive(postbox.db, postbox.schema, 'kept-acks')).toBe(true);
    expect(knownToArchive(postbox.db, postbox.schema, 'plain-acks')).toBe(false);
    expect(await countRows('archived_messages', 'kept-acks')).toBe(1);
    expect(await countRows('archived_messages', 'plain-acks')).toBe(0);
  });

  it('redrive wakes the queue after its commit, and only when it moved something', async () => {
    await postbox.createQueue('woken-redrive', { maxAttempts: 1 });
    await postbox.send('woken-redrive', { body: 1 });
    const [m] = await postbox.receive('woken-redrive');
    await postbox.nack('woken-redrive', [{ receipt: m?.receipt as string }]);
    const woken: (readonly string[])[] = [];
    const wakeup = (queues: readonly string[]) => woken.push(queues);
    expect(await redrive(postbox.db, 'woken-redrive', ['999999'], { wakeup })).toBe(0);
    expect(woken).toEqual([]);
    expect(await redrive(postbox.db, 'woken-redrive', undefined, { wakeup })).toBe(1);
    expect(woken).toEqual([['woken-redrive']]);
  });
});
