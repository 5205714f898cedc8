import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/postbox';
import { openTestPostbox } from './setup/test-database';
import { sleep, until } from './setup/until';

/** Rows some transaction holds locked right now (probed with SKIP LOCKED, which waits for nothing). */
async function lockedRows(client: pg.Client, queue: string): Promise<number> {
  const { rows } = await client.query(
    `select count(*)::int as n from postbox.messages m where m.queue = $1
       and not exists (select 1 from postbox.messages l where l.id = m.id for update skip locked)`,
    [queue],
  );
  return rows[0].n;
}

describe("consumer with claimMode: 'lock'", () => {
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  it('processes every message once, in few claim transactions, and leaves the table empty', async () => {
    await postbox.createQueue('lock-work');
    await postbox.sendBatch(
      'lock-work',
      Array.from({ length: 300 }, (_, i) => ({ body: i })),
    );
    const { rows: enqueued } = await client.query(
      `select min(enqueued_at) as first, max(enqueued_at) as last from postbox.messages where queue = 'lock-work'`,
    );
    const seen: number[] = [];
    const attempts = new Set<number>();
    const enqueuedAt: number[] = [];
    const consumer = await postbox.consume(
      'lock-work',
      (m) => {
        seen.push(m.body as number);
        attempts.add(m.attempts);
        enqueuedAt.push(m.enqueuedAt.getTime());
      },
      { concurrency: 10, batchSize: 50, claimMode: 'lock' },
    );
    await until(() => seen.length === 300 && consumer.stats.acked === 300);
    await consumer.stop();
    expect(new Set(seen).size).toBe(300);
    expect(seen.length).toBe(300);
    expect(attempts).toEqual(new Set([1]));
    expect(Math.min(...enqueuedAt)).toBe(Math.floor(enqueued[0].first.getTime()));
    expect(Math.max(...enqueuedAt)).toBe(Math.floor(enqueued[0].last.getTime()));
    expect(consumer.stats.claims).toBeLessThan(40);
    const { rows } = await client.query('select count(*)::int as n from postbox.messages');
    expect(rows[0].n).toBe(0);
  });

  it('sizes its claims when no batchSize is given: 4,000 messages in far fewer claims than claims of 10', async () => {
    await postbox.createQueue('lock-sized');
    for (let i = 0; i < 4_000; i += 1_000) {
      await postbox.sendBatch(
        'lock-sized',
        Array.from({ length: 1_000 }, (_, j) => ({ body: i + j })),
      );
    }
    const seen = new Set<number>();
    const consumer = await postbox.consume(
      'lock-sized',
      (m) => {
        seen.add(m.body as number);
      },
      { concurrency: 10, claimMode: 'lock' },
    );
    await until(() => consumer.stats.acked === 4_000, { timeoutMs: 60_000 });
    await consumer.stop();
    expect(seen.size).toBe(4_000);
    // A fixed claim of 10 takes 400 claims; doubling from 10 while the handlers wait gets there in far fewer.
    expect(consumer.stats.claims).toBeLessThan(100);
    expect(consumer.stats.claimed).toBe(4_000);
  });

  it('holds messages by row lock only: no lease written, other consumers skip them, and nothing commits until the batch is done', async () => {
    await postbox.createQueue('lock-held');
    await postbox.sendBatch('lock-held', [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started: string[] = [];
    const consumer = await postbox.consume(
      'lock-held',
      async (m) => {
        started.push(m.body as string);
        if (m.body === 'c') await gate;
      },
      { concurrency: 3, batchSize: 3, claimMode: 'lock' },
    );
    await until(() => started.length === 3);
    expect(await lockedRows(client, 'lock-held')).toBe(3);
    const { rows: untouched } = await client.query(
      `select count(*)::int as n from postbox.messages
       where queue = 'lock-held' and lease_token is null and attempts = 0 and available_at <= now()`,
    );
    expect(untouched[0].n).toBe(3);
    // A lease-mode claim (REST receive, another service) skips the locked rows.
    expect(await postbox.receive('lock-held', { max: 10, waitMs: 0 })).toEqual([]);
    // a and b are done, but their acks wait for the batch's commit.
    await sleep(100);
    const { rows: before } = await client.query(
      `select count(*)::int as n from postbox.messages where queue = 'lock-held'`,
    );
    expect(before[0].n).toBe(3);
    release();
    await until(async () => (await postbox.getQueueStats('lock-held')).ready === 0 && consumer.stats.acked === 3);
    await consumer.stop();
    const { rows: after } = await client.query(
      `select count(*)::int as n from postbox.messages where queue = 'lock-held'`,
    );
    expect(after[0].n).toBe(0);
  });

  it('counts failures as attempts: a throwing handler retries with backoff, then dead-letters with its error', async () => {
    await postbox.createQueue('lock-flaky', { maxAttempts: 3, backoff: { initialMs: 10, maxMs: 50 } });
    await postbox.sendBatch('lock-flaky', [{ body: 'ok-on-2' }, { body: 'always' }]);
    const attempts = new Map<string, number[]>();
    const consumer = await postbox.consume(
      'lock-flaky',
      (m) => {
        attempts.set(m.body as string, [...(attempts.get(m.body as string) ?? []), m.attempts]);
        if (m.body === 'always' || m.attempts < 2) throw new Error(`fail ${m.body} #${m.attempts}`);
      },
      { pollIntervalMs: 20, claimMode: 'lock' },
    );
    await until(
      async () => (await postbox.getQueueStats('lock-flaky')).dead === 1 && attempts.get('ok-on-2')?.length === 2,
    );
    await consumer.stop();
    expect(attempts.get('ok-on-2')).toEqual([1, 2]);
    expect(attempts.get('always')).toEqual([1, 2, 3]);
    const [dead] = await postbox.peek('lock-flaky', 'dead');
    expect(dead?.attempts).toBe(3);
    expect(dead?.lastError).toContain('Error: fail always #3');
    expect((await postbox.getQueueStats('lock-flaky')).ready).toBe(0);
  });

  it('counts the retry backoff from the failure, not from the start of the batch transaction', async () => {
    await postbox.createQueue('lock-backoff', { maxAttempts: 3, backoff: { initialMs: 400, maxMs: 400 } });
    await postbox.send('lock-backoff', { body: 'slow-then-fail' });
    const starts: number[] = [];
    let failedAt = 0;
    const consumer = await postbox.consume(
      'lock-backoff',
      async (m) => {
        starts.push(Date.now());
        if (m.attempts === 1) {
          // The batch's transaction is now 600 ms old when the nack runs.
          await sleep(600);
          failedAt = Date.now();
          throw new Error('first attempt fails');
        }
      },
      { claimMode: 'lock', pollIntervalMs: 20 },
    );
    await until(() => starts.length === 2);
    await consumer.stop();
    // Equal jitter: between half and all of 400 ms after the failure.
    expect((starts[1] as number) - failedAt).toBeGreaterThanOrEqual(190);
  });

  it('dead-letters, without running the handler, a message whose final lease ran out under a lease-mode consumer', async () => {
    await postbox.createQueue('lock-exhausted', { maxAttempts: 1 });
    await postbox.send('lock-exhausted', { body: 'poison' });
    const [leased] = await postbox.receive('lock-exhausted', { max: 1, visibilityTimeoutMs: 50 });
    expect(leased?.attempts).toBe(1);
    await sleep(100);
    const handled: unknown[] = [];
    const consumer = await postbox.consume('lock-exhausted', (m) => void handled.push(m.body), {
      claimMode: 'lock',
      pollIntervalMs: 20,
    });
    await until(async () => (await postbox.getQueueStats('lock-exhausted')).dead === 1);
    await consumer.stop();
    expect(handled).toEqual([]);
    const [dead] = await postbox.peek('lock-exhausted', 'dead');
    expect(dead?.attempts).toBe(1);
    expect(dead?.lastError).toBe('visibility timeout expired on the final attempt');
  });

  it('stop() commits the finished, releases the buffered untouched, and waits for the running', async () => {
    await postbox.createQueue('lock-stop');
    await postbox.sendBatch(
      'lock-stop',
      Array.from({ length: 20 }, (_, i) => ({ body: i })),
    );
    const done: number[] = [];
    const consumer = await postbox.consume(
      'lock-stop',
      async (m) => {
        await sleep(30);
        done.push(m.body as number);
      },
      { concurrency: 2, batchSize: 20, claimMode: 'lock' },
    );
    await until(() => done.length >= 4);
    await consumer.stop();
    const finished = done.length;
    expect(finished).toBeGreaterThanOrEqual(4);
    expect(finished).toBeLessThan(20);
    const { rows } = await client.query(
      `select (body #>> '{}')::int as n, attempts, lease_token from postbox.messages where queue = 'lock-stop' order by id`,
    );
    // Exactly the unfinished ones are back, ready, untouched.
    expect(rows.map((r) => r.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i).filter((n) => !done.includes(n)),
    );
    for (const row of rows) expect([row.attempts, row.lease_token]).toEqual([0, null]);
    expect(await lockedRows(client, 'lock-stop')).toBe(0);
  });

  it('stop({timeoutMs}) commits what finished and lets a stuck handler message go back', async () => {
    await postbox.createQueue('lock-stuck');
    await postbox.sendBatch('lock-stuck', [{ body: 'quick' }, { body: 'stuck' }]);
    let aborted = false;
    const consumer = await postbox.consume(
      'lock-stuck',
      async (m, { signal }) => {
        if (m.body === 'stuck') {
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          aborted = true;
        }
      },
      { concurrency: 2, batchSize: 2, claimMode: 'lock' },
    );
    await until(async () => (await lockedRows(client, 'lock-stuck')) === 2);
    await consumer.stop({ timeoutMs: 200 });
    expect(aborted).toBe(true);
    const { rows } = await client.query(
      `select body #>> '{}' as body, attempts from postbox.messages where queue = 'lock-stuck'`,
    );
    expect(rows).toEqual([{ body: 'stuck', attempts: 0 }]);
  });

  it('keeps FIFO group order with several handlers', async () => {
    await postbox.createQueue('lock-fifo', { fifo: true });
    const messages = Array.from({ length: 60 }, (_, i) => ({ body: i, groupKey: `g${i % 3}` }));
    await postbox.sendBatch('lock-fifo', messages);
    const order = new Map<string, number[]>();
    const consumer = await postbox.consume(
      'lock-fifo',
      async (m) => {
        await sleep(Math.random() * 3);
        order.set(m.groupKey as string, [...(order.get(m.groupKey as string) ?? []), m.body as number]);
      },
      { concurrency: 6, batchSize: 10, claimMode: 'lock', pollIntervalMs: 20 },
    );
    await until(() => [...order.values()].reduce((n, list) => n + list.length, 0) === 60);
    await consumer.stop();
    for (const g of [0, 1, 2]) {
      expect(order.get(`g${g}`)).toEqual(messages.filter((m) => m.groupKey === `g${g}`).map((m) => m.body));
    }
  });

  it('comes back after its connection is terminated mid-batch: the batch is delivered again, nothing lost', async () => {
    await postbox.createQueue('lock-cut');
    const { ids } = await postbox.sendBatch(
      'lock-cut',
      Array.from({ length: 30 }, (_, i) => ({ body: i })),
    );
    const handled = new Map<string, number>();
    let cut = false;
    const errors: unknown[] = [];
    const consumer = await postbox.consume(
      'lock-cut',
      async (m) => {
        handled.set(m.id, (handled.get(m.id) ?? 0) + 1);
        if (!cut) {
          cut = true;
          // Kill the backend whose transaction holds this batch's locks.
          await client.query(
            `select pg_terminate_backend(l.pid) from pg_locks l
             join pg_stat_activity a on a.pid = l.pid
             where l.locktype = 'transactionid' and l.mode = 'ExclusiveLock' and a.datname = current_database()
               and a.pid <> pg_backend_pid() and a.state = 'idle in transaction'`,
          );
        }
      },
      { concurrency: 1, batchSize: 30, claimMode: 'lock', pollIntervalMs: 50, onError: (e) => errors.push(e) },
    );
    await until(async () => {
      const { rows } = await client.query(`select count(*)::int as n from postbox.messages where queue = 'lock-cut'`);
      return rows[0].n === 0;
    });
    await consumer.stop();
    expect(errors.length).toBeGreaterThan(0);
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    // The messages of the cut batch ran twice (at-least-once); none was lost.
    expect(Math.max(...handled.values())).toBe(2);
  });

  it('refuses exactlyOnce, whose own transaction would wait on the claim lock', async () => {
    await postbox.createQueue('lock-eo');
    await expect(
      postbox.consume('lock-eo', () => {}, { claimMode: 'lock', exactlyOnce: { consumer: 'c' } }),
    ).rejects.toThrow("exactlyOnce needs claimMode 'lease'");
  });
});
