import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { MessageTooLargeError, QueueFullError } from '../../libs/core/src/errors';
import { claim } from '../../libs/core/src/messages/claim';
import { claimLocked } from '../../libs/core/src/messages/claim-locked';
import { GroupCommitSender } from '../../libs/core/src/messages/group-commit-sender';
import type { Postbox } from '../../libs/core/src/postbox';
import { WakeupNotifier } from '../../libs/core/src/wakeups/wakeup-notifier';
import { freshQueues } from '../setup/fresh-queues';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';
import { sleep, until } from '../setup/until';

/**
 * Group commit's error path (a refused batch split in halves, the rolled-back
 * test behind it), its per-queue lanes and drain(); the lock-mode claim's
 * range check and the fields of the messages it maps. Written to kill
 * survivors of `npm run test:mutation` (docs/mutation-testing.md).
 *
 * A trigger in this file's own database lets a message steer its insert: a
 * body `{ "wait": k }` waits for advisory lock k (which the spec holds, so the
 * statement stays in flight until it lets go), `{ "fail": "P0001" }` fails the
 * statement with that SQLSTATE, as a refused row would.
 */
describe('group commit and lock-mode claims, exactly', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('gcl', () => postbox);

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
    await client.query(`
      create function postbox.test_gate() returns trigger language plpgsql as $$
      begin
        if jsonb_typeof(new.body) = 'object' then
          if new.body ? 'wait' then perform pg_advisory_xact_lock_shared((new.body->>'wait')::bigint); end if;
          if new.body ? 'fail' then
            raise exception 'refused %', new.body->>'n' using errcode = new.body->>'fail';
          end if;
        end if;
        return new;
      end $$;
      create trigger test_gate before insert on postbox.messages for each row execute function postbox.test_gate();
    `);
  });

  /** A sender of its own (so a spec can drain it), with the default of one statement per queue in flight. */
  const sender = () => new GroupCommitSender(postbox.db, new WakeupNotifier(postbox.db));

  /** The queue's bodies grouped by the transaction that stored them, in id order. */
  async function bodiesByTransaction(queue: string): Promise<unknown[][]> {
    const { rows } = await client.query(
      'select body, xmin::text as tx from postbox.messages where queue = $1 order by id',
      [queue],
    );
    const groups: unknown[][] = [];
    let last: string | undefined;
    for (const row of rows) {
      if (row.tx !== last) groups.push([]);
      groups[groups.length - 1]?.push(row.body);
      last = row.tx;
    }
    return groups;
  }

  /** Insert statements of this database waiting for an advisory lock. */
  async function waiting(): Promise<number> {
    const { rows } = await client.query(
      `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
       where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`,
    );
    return rows[0].n;
  }

  it('a refused message fails alone: the batch is tried again in halves, and its neighbours are stored in call order', async () => {
    const queue = await fresh();
    const gc = sender();
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, n) => gc.send(queue, { body: n === 6 ? { n, fail: 'P0001' } : { n } })),
    );
    expect(settled.map((s) => s.status)).toEqual(
      Array.from({ length: 10 }, (_, n) => (n === 6 ? 'rejected' : 'fulfilled')),
    );
    const reason = (settled[6] as PromiseRejectedResult).reason;
    expect(reason).toMatchObject({ message: 'refused 6', code: 'P0001', severity: 'ERROR' });
    // 10 → 0-4 stored; 5-9 refused → 5-6 refused → 5 stored, 6 refused alone; 7-9 stored.
    expect(await bodiesByTransaction(queue)).toEqual([
      [0, 1, 2, 3, 4].map((n) => ({ n })),
      [{ n: 5 }],
      [7, 8, 9].map((n) => ({ n })),
    ]);
    const ids = settled.flatMap((s) => (s.status === 'fulfilled' ? [Number(s.value.id)] : []));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(settled.every((s) => s.status === 'rejected' || s.value.duplicate === false)).toBe(true);
  });

  it("the queue's limits fail the message or send that breaks them, not its neighbours", async () => {
    const small = await fresh({ maxMessageBytes: 100 });
    const gc = sender();
    const sizes = await Promise.allSettled(['a', 'x'.repeat(200), 'b', 'c'].map((body) => gc.send(small, { body })));
    expect(sizes.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((sizes[1] as PromiseRejectedResult).reason).toBeInstanceOf(MessageTooLargeError);
    expect(await bodiesByTransaction(small)).toEqual([['a'], ['b', 'c']]);

    // Room for two: the batch of four is refused whole, its first half fits, then each of the rest is refused alone.
    const short = await fresh({ maxLength: 2 });
    const full = await Promise.allSettled([1, 2, 3, 4].map((body) => gc.send(short, { body })));
    expect(full.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    for (const s of full.slice(2)) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
    expect(await bodiesByTransaction(short)).toEqual([[1, 2]]);
  });

  it('a batch whose connection died mid-statement fails whole and is not tried again (it may have committed)', async () => {
    const queue = await fresh();
    // A pool of its own: the killed connection must not be handed to the other specs.
    const own = await db.postbox();
    const gc = new GroupCommitSender(own.db, new WakeupNotifier(own.db));
    await client.query('select pg_advisory_lock(101)');
    try {
      const sends = Promise.allSettled([
        gc.send(queue, { body: { n: 1 } }),
        gc.send(queue, { body: { n: 2, wait: 101 } }),
        gc.send(queue, { body: { n: 3 } }),
      ]);
      await until(async () => (await waiting()) === 1, { what: 'the insert waiting for the lock' });
      await client.query(
        `select pg_terminate_backend(l.pid) from pg_locks l join pg_database d on d.oid = l.database
         where d.datname = current_database() and l.locktype = 'advisory' and not l.granted`,
      );
      const settled = await sends;
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
      const reasons = settled.map((s) => (s as PromiseRejectedResult).reason);
      expect(new Set(reasons).size).toBe(1);
      // Either the server's FATAL 57P01 reaches the query first, or pg's end of the socket does.
      expect(String(reasons[0])).toMatch(
        /^error: terminating connection due to administrator command$|^Error: Connection terminated unexpectedly$/,
      );
    } finally {
      await client.query('select pg_advisory_unlock(101)');
    }
    await gc.drain();
    expect(await bodiesByTransaction(queue)).toEqual([]);
  });

  it('only an ERROR with a SQLSTATE answered for the statement is tried again in halves', async () => {
    // Errors as a driver may hand them over (duck-typed, as from a caller's own
    // pg): pg itself turns a FATAL during a query into a lost connection (above).
    const shapes: [unknown, boolean][] = [
      [{ severity: 'ERROR', code: 'P0001' }, true],
      [{ severity: 'ERROR', code: '23505' }, true],
      [{ severity: 'FATAL', code: '57P01' }, false],
      [{ severity: 'PANIC', code: 'XX000' }, false],
      [{ code: 'EPIPE' }, false],
      [{ severity: 'ERROR', code: 12345 }, false],
      [{ severity: 'ERROR', code: 'xP0001' }, false],
      [{ severity: 'ERROR', code: 'P0001x' }, false],
      [{ severity: 'ERROR', code: 'P001' }, false],
      [{ severity: 'ERROR', code: 'P00011' }, false],
      [{ severity: 'ERROR', code: 'p0001' }, false],
      [null, false],
    ];
    for (const [shape, split] of shapes) {
      const queue = await fresh();
      let statements = 0;
      // The first statement fails with `shape`; any later one runs for real.
      class FailOnce extends WakeupNotifier {
        override runStatement<T>(q: string, run: (notifyInStatement: boolean) => Promise<T>): Promise<T> {
          if (statements++ === 0)
            return Promise.reject(shape === null ? null : Object.assign(new Error('injected'), shape));
          return super.runStatement(q, run);
        }
      }
      const gc = new GroupCommitSender(postbox.db, new FailOnce(postbox.db));
      const settled = await Promise.allSettled([1, 2, 3].map((body) => gc.send(queue, { body })));
      expect([shape, settled.map((s) => s.status)]).toEqual([
        shape,
        split ? ['fulfilled', 'fulfilled', 'fulfilled'] : ['rejected', 'rejected', 'rejected'],
      ]);
      // 3 → 1 and 2-3 after a rolled-back statement; nothing tried again otherwise.
      expect([shape, statements, await bodiesByTransaction(queue)]).toEqual(
        split ? [shape, 3, [[1], [2, 3]]] : [shape, 1, []],
      );
    }
  });

  it('sends made while a statement is in flight wait for it, then go together in one statement', async () => {
    const queue = await fresh();
    const other = await fresh();
    const gc = sender();
    const results: unknown[] = [];
    await client.query('select pg_advisory_lock(102)');
    let all: Promise<unknown>;
    try {
      const first = gc.send(queue, { body: { n: 0, wait: 102 } });
      await until(async () => (await waiting()) === 1, { what: 'the first insert waiting for the lock' });
      // Two more turns of the event loop while it waits: a statement per queue at most.
      const second = [1, 2, 3].map((n) => gc.send(queue, { body: { n } }));
      await sleep(20);
      const third = [4, 5].map((n) => gc.send(queue, { body: { n } }));
      // Another queue has its own lane: it is not held up.
      expect((await gc.send(other, { body: 'free' })).duplicate).toBe(false);
      await sleep(50);
      expect(await waiting()).toBe(1);
      expect(await bodiesByTransaction(queue)).toEqual([]);
      all = Promise.all([first, ...second, ...third].map((p) => p.then((r) => results.push(r))));
    } finally {
      await client.query('select pg_advisory_unlock(102)');
    }
    await all;
    expect(results).toHaveLength(6);
    expect(await bodiesByTransaction(queue)).toEqual([[{ n: 0, wait: 102 }], [1, 2, 3, 4, 5].map((n) => ({ n }))]);
  });

  it('with two statements per queue allowed, a third send waits, and drain() waits for all of them', async () => {
    const queue = await fresh();
    const gc = new GroupCommitSender(postbox.db, new WakeupNotifier(postbox.db), undefined, 2);
    const settled: string[] = [];
    let drained = false;
    await client.query('select pg_advisory_lock(104), pg_advisory_lock(105)');
    let drain: Promise<void>;
    try {
      const a = gc.send(queue, { body: { n: 'a', wait: 104 } }).then(() => settled.push('a'));
      await until(async () => (await waiting()) === 1, { what: 'a waiting' });
      const b = gc.send(queue, { body: { n: 'b', wait: 104 } }).then(() => settled.push('b'));
      await until(async () => (await waiting()) === 2, { what: 'a and b waiting' });
      const c = gc.send(queue, { body: { n: 'c', wait: 105 } }).then(() => settled.push('c'));
      await sleep(50);
      expect(await waiting()).toBe(2);
      drain = gc.drain().then(() => {
        drained = true;
      });
      await client.query('select pg_advisory_unlock(104)');
      // a and b commit; c goes out in the place the first of them freed, and waits.
      await until(() => settled.length === 2, { what: 'a and b' });
      await until(async () => (await waiting()) === 1, { what: 'c waiting' });
      await sleep(20);
      expect(drained).toBe(false);
      expect([a, b, c]).toHaveLength(3);
    } finally {
      await client.query('select pg_advisory_unlock_all()');
    }
    await drain;
    expect(settled.sort()).toEqual(['a', 'b', 'c']);
    expect((await bodiesByTransaction(queue)).map((group) => group.length)).toEqual([1, 1, 1]);
  });

  it('drain() resolves at once when idle, and otherwise only when every queue’s sends have settled', async () => {
    const gc = sender();
    await gc.drain();
    const slow = await fresh();
    const quick = await fresh();
    const settled: string[] = [];
    let drained = false;
    await client.query('select pg_advisory_lock(103)');
    let drains: Promise<unknown>;
    try {
      const sends = [
        gc.send(slow, { body: { wait: 103 } }).then(() => settled.push('slow')),
        gc.send(quick, { body: 'quick' }).then(() => settled.push('quick')),
      ];
      // Two callers may wait at once; each is told.
      drains = Promise.all([gc.drain(), gc.drain()]).then(() => {
        drained = true;
      });
      await until(() => settled.includes('quick'), { what: 'the quick send' });
      await until(async () => (await waiting()) === 1, { what: 'the slow insert waiting for the lock' });
      await sleep(20);
      expect(drained).toBe(false);
      expect(sends).toHaveLength(2);
    } finally {
      await client.query('select pg_advisory_unlock(103)');
    }
    await drains;
    expect(settled).toEqual(['quick', 'slow']);
    // Idle again: a later drain does not wait for the earlier callers.
    await gc.drain();
    expect(await bodiesByTransaction(quick)).toEqual([['quick']]);
  });

  it('claimLocked takes max 1 to 1000, integers only', async () => {
    const queue = await fresh();
    await postbox.sendBatch(
      queue,
      Array.from({ length: 3 }, (_, i) => ({ body: i })),
    );
    for (const max of [0, 1001, 1.5, Number.NaN, -1]) {
      await expect(postbox.db.transaction().execute((trx) => claimLocked(trx, queue, max))).rejects.toThrow(
        /^max must be an integer between 1 and 1000$/,
      );
    }
    const one = await postbox.db.transaction().execute((trx) => claimLocked(trx, queue, 1));
    expect(one.map((m) => m.body)).toEqual([0]);
    const most = await postbox.db.transaction().execute((trx) => claimLocked(trx, queue, 1000));
    expect(most.map((m) => m.body)).toEqual([0, 1, 2]);
  });

  it('claimLocked maps each row: receipt, headers, attempts, times, lease token and exhaustion', async () => {
    const queue = await fresh({ maxAttempts: 2 });
    await postbox.sendBatch(queue, [
      { body: 'plain' },
      { body: 'with', headers: { h: '1' }, priority: -3, groupKey: 'g' },
    ]);
    // The plain one leased once for 1 ms (lease token kept, an attempt counted); run out at once.
    const [leased] = await claim(postbox.db, queue, 1, { visibilityTimeoutMs: 1 });
    expect(leased?.body).toBe('with');
    await sleep(5);
    const { rows } = await client.query(
      `select id::text as id, extract(epoch from enqueued_at)::float8 * 1000 as ms
       from postbox.messages where queue = $1 order by id`,
      [queue],
    );
    const messages = await postbox.db.transaction().execute((trx) => claimLocked(trx, queue, 10));
    const byBody = new Map(messages.map((m) => [m.body, m]));
    expect(byBody.get('plain')).toEqual({
      id: rows[0].id,
      receipt: `${rows[0].id}.0`,
      queue,
      body: 'plain',
      headers: {},
      attempts: 1,
      enqueuedAt: new Date(rows[0].ms),
      groupKey: null,
      priority: 0,
      leaseExpiresAt: new Date(8_640_000_000_000_000),
      leaseToken: null,
      exhausted: false,
    });
    expect(byBody.get('with')).toEqual({
      id: rows[1].id,
      receipt: `${rows[1].id}.0`,
      queue,
      body: 'with',
      headers: { h: '1' },
      attempts: 2,
      enqueuedAt: new Date(rows[1].ms),
      groupKey: 'g',
      priority: -3,
      leaseExpiresAt: new Date(8_640_000_000_000_000),
      leaseToken: leased?.receipt.split('.')[1],
      exhausted: false,
    });
    expect(messages.map((m) => m.body)).toEqual(['with', 'plain']);

    // One more lease run out: attempts reach maxAttempts (2), so the lock claim flags it exhausted.
    await claim(postbox.db, queue, 1, { visibilityTimeoutMs: 1 });
    await sleep(5);
    const again = await postbox.db.transaction().execute((trx) => claimLocked(trx, queue, 10));
    expect(again.map((m) => [m.body, m.attempts, m.exhausted])).toEqual([
      ['with', 3, true],
      ['plain', 1, false],
    ]);
  });
});
