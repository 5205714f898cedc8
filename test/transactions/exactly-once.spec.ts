import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { processExactlyOnce } from '../../libs/core/src/inbox/process-exactly-once';
import { claim } from '../../libs/core/src/messages/claim';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fixture = path.join(__dirname, '..', 'fixtures', 'inbox-consumer.ts');

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface ConsumerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startInboxConsumer(url: string, queue: string, env: Record<string, string>): Promise<ConsumerProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: url, QUEUE: queue, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve({ child, exited }));
    child.once('exit', (code, signal) => reject(new Error(`consumer process exited early: ${code ?? signal}`)));
  });
}

describe('exactly-once consumer (inbox)', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
    await client.query(`
      create table inbox_counter (id int primary key, n int not null);
      create table inbox_effects (message_id bigint not null, pid int not null, attempts int not null);
      create table inbox_app_counter (consumer text primary key, n int not null)`);
  });

  async function count(query: string, params: unknown[] = []): Promise<number> {
    const { rows } = await client.query(query, params);
    return Number(rows[0].n);
  }

  async function queueEmpty(queue: string): Promise<boolean> {
    const stats = await postbox.getQueueStats(queue);
    return stats.ready + stats.delayed + stats.inFlight + stats.dead === 0;
  }

  it('runs the handler in the inbox transaction: effects, inbox row and ack commit together', async () => {
    await postbox.createQueue('eo-basic');
    await client.query(`insert into inbox_app_counter values ('basic', 0)`);
    const { ids } = await postbox.sendBatch(
      'eo-basic',
      Array.from({ length: 40 }, (_, i) => ({ body: i })),
    );
    const consumer = await postbox.consume(
      'eo-basic',
      async (_message, { trx }) => {
        if (!trx) throw new Error('no trx');
        await sql`update inbox_app_counter set n = n + 1 where consumer = 'basic'`.execute(trx);
      },
      { exactlyOnce: { consumer: 'basic' }, concurrency: 5, pollIntervalMs: 100 },
    );
    await until('all processed', () => queueEmpty('eo-basic'));
    await consumer.stop();
    expect(await count(`select n from inbox_app_counter where consumer = 'basic'`)).toBe(40);
    const { rows } = await client.query(
      `select message_id::text as id from postbox.inbox where consumer = 'basic' order by message_id`,
    );
    expect(rows.map((r) => r.id)).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    expect(consumer.stats.acked).toBe(40);
  });

  it('a handler that throws leaves no effects and no inbox row; the retry applies them once', async () => {
    await postbox.createQueue('eo-retry', { backoff: { initialMs: 10, maxMs: 10 } });
    await client.query(`insert into inbox_app_counter values ('retry', 0)`);
    const { id } = await postbox.send('eo-retry', { body: 'flaky' });
    let calls = 0;
    const consumer = await postbox.consume(
      'eo-retry',
      async (_message, { trx }) => {
        if (!trx) throw new Error('no trx');
        await sql`update inbox_app_counter set n = n + 1 where consumer = 'retry'`.execute(trx);
        calls++;
        if (calls < 3) throw new Error(`failure ${calls}`);
      },
      { exactlyOnce: { consumer: 'retry' }, pollIntervalMs: 50 },
    );
    await until('processed', () => queueEmpty('eo-retry'));
    await consumer.stop();
    expect(calls).toBe(3);
    expect(await count(`select n from inbox_app_counter where consumer = 'retry'`)).toBe(1);
    expect(
      await count(`select count(*) as n from postbox.inbox where consumer = 'retry' and message_id = $1`, [id]),
    ).toBe(1);
  });

  it('a delivery whose inbox row exists is acked without running the handler', async () => {
    await postbox.createQueue('eo-seen');
    const { id } = await postbox.send('eo-seen', { body: 'already done' });
    // As if this consumer committed the message before and only the ack got lost.
    await client.query(`insert into postbox.inbox (consumer, message_id) values ('seen', $1)`, [id]);
    const handled: string[] = [];
    const consumer = await postbox.consume('eo-seen', (m) => void handled.push(m.id), {
      exactlyOnce: { consumer: 'seen' },
      pollIntervalMs: 50,
    });
    await until('acked', () => queueEmpty('eo-seen'));
    await consumer.stop();
    expect(handled).toEqual([]);
    expect(consumer.stats.acked).toBe(1);
    // Another consumer name has its own inbox: it would run.
    const again = await postbox.send('eo-seen', { body: 'new' });
    const other = await postbox.consume('eo-seen', (m) => void handled.push(m.id), {
      exactlyOnce: { consumer: 'other' },
      pollIntervalMs: 50,
    });
    await until('other processed', () => queueEmpty('eo-seen'));
    await other.stop();
    expect(handled).toEqual([again.id]);
  });

  it('a lease lost mid-handler: the first delivery commits its effects, the redelivery finds the inbox row', async () => {
    await postbox.createQueue('eo-lease');
    await client.query(`insert into inbox_app_counter values ('lease', 0)`);
    const { id } = await postbox.send('eo-lease', { body: 'slow' });
    const [first] = await claim(postbox.db, 'eo-lease', 1, { visibilityTimeoutMs: 50 });
    if (!first) throw new Error('nothing claimed');
    let second: Awaited<ReturnType<typeof claim>>[number] | undefined;
    const firstOutcome = await processExactlyOnce(postbox.db, first, 'lease', async (trx) => {
      await sql`update inbox_app_counter set n = n + 1 where consumer = 'lease'`.execute(trx);
      // The lease runs out while the handler works; another consumer claims the message.
      await until('redelivery', async () => {
        [second] = await claim(postbox.db, 'eo-lease', 1, { visibilityTimeoutMs: 60_000 });
        return second !== undefined;
      });
    });
    expect(firstOutcome).toEqual({ ran: true, acked: false });
    if (!second) throw new Error('no redelivery');
    expect(second.id).toBe(id);
    expect(second.attempts).toBe(2);
    let ranAgain = false;
    const secondOutcome = await processExactlyOnce(postbox.db, second, 'lease', () => {
      ranAgain = true;
    });
    expect(secondOutcome).toEqual({ ran: false, acked: true });
    expect(ranAgain).toBe(false);
    expect(await count(`select n from inbox_app_counter where consumer = 'lease'`)).toBe(1);
    expect(await queueEmpty('eo-lease')).toBe(true);
  });

  it('prunes inbox rows older than the retention, and only those', async () => {
    await client.query(`
      insert into postbox.inbox (consumer, message_id, processed_at) values
        ('prune', 1, now() - interval '8 days'), ('prune', 2, now() - interval '8 days'),
        ('prune', 3, now() - interval '1 hour'), ('prune-other', 4, now() - interval '8 days')`);
    expect(await postbox.pruneInbox({ consumer: 'prune' })).toBe(2);
    expect(await count(`select count(*) as n from postbox.inbox where consumer = 'prune'`)).toBe(1);
    expect(await postbox.pruneInbox({ retentionMs: 2 * 3600 * 1000, consumer: 'prune-other' })).toBe(1);
    expect(await count(`select count(*) as n from postbox.inbox where consumer like 'prune%'`)).toBe(1);
  });

  it('rejects a bad consumer name', async () => {
    await postbox.createQueue('eo-bad');
    await expect(postbox.consume('eo-bad', () => {}, { exactlyOnce: { consumer: '' } })).rejects.toThrow(
      /^exactlyOnce.consumer must be/,
    );
  });

  describe.each([
    { killAt: 'after-commit', committedByKilled: (n: number) => n },
    { killAt: 'before-commit', committedByKilled: (n: number) => n - 1 },
  ])('consumer processes SIGKILLed $killAt', ({ killAt, committedByKilled }) => {
    it('leave the counter equal to the number of distinct messages after recovery', async () => {
      const queue = `eo-kill-${killAt}`;
      const consumer = `kill-${killAt}`;
      const total = 300;
      await client.query(
        'delete from inbox_counter; delete from inbox_effects; insert into inbox_counter values (1, 0)',
      );
      await postbox.createQueue(queue, { visibilityTimeoutMs: 2_000, maxAttempts: 100 });
      const { ids } = await postbox.sendBatch(
        queue,
        Array.from({ length: total }, (_, i) => ({ body: { n: i } })),
      );

      // Three consumers that each die at their N-th transaction, all at work at once.
      const killAtCommits = [25, 40, 60];
      const killers = await Promise.all(
        killAtCommits.map((n) =>
          startInboxConsumer(db.url, queue, {
            CONSUMER: consumer,
            KILL_AT: killAt,
            KILL_AT_COMMIT: String(n),
            VISIBILITY_MS: '2000',
          }),
        ),
      );
      const deaths = await Promise.all(killers.map((k) => k.exited));
      expect(deaths.map((d) => d.signal)).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
      // Each process died at its N-th commit. Its other handlers (concurrency 4)
      // run on other connections, and up to 3 of their COMMITs may reach the
      // server before the SIGKILL lands, so a process leaves N..N+3 effects
      // (N-1..N+2 when killed before its N-th COMMIT) — never fewer.
      let committedBeforeKill = 0;
      for (const [i, killer] of killers.entries()) {
        const n = killAtCommits[i] as number;
        const left = await count('select count(*) as n from inbox_effects where pid = $1', [killer.child.pid]);
        expect(left).toBeGreaterThanOrEqual(committedByKilled(n));
        expect(left).toBeLessThanOrEqual(committedByKilled(n) + 3);
        committedBeforeKill += left;
      }
      // The counter moved exactly once per committed effect, nothing more.
      expect(await count('select n from inbox_counter')).toBe(committedBeforeKill);

      // Recovery: two fresh consumers take over, including the leases the dead ones held.
      const recovery = await Promise.all(
        [1, 2].map(() => startInboxConsumer(db.url, queue, { CONSUMER: consumer, VISIBILITY_MS: '2000' })),
      );
      await until(
        'the queue to drain',
        async () => (await queueEmpty(queue)) && (await count('select n from inbox_counter')) >= total,
      );
      for (const r of recovery) r.child.kill('SIGTERM');
      expect((await Promise.all(recovery.map((r) => r.exited))).map((e) => e.code)).toEqual([0, 0]);

      expect(await count('select n from inbox_counter')).toBe(total);
      expect(await count('select count(*) as n from inbox_effects')).toBe(total);
      expect(await count('select count(distinct message_id) as n from inbox_effects')).toBe(total);
      const { rows: inboxRows } = await client.query(
        'select message_id::text as id from postbox.inbox where consumer = $1 order by message_id',
        [consumer],
      );
      expect(inboxRows.map((r) => r.id)).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
      // The messages the dead processes held (claimed, uncommitted) came back as later attempts.
      expect(await count('select count(*) as n from inbox_effects where attempts >= 2')).toBeGreaterThan(0);
    });
  });
});
