import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransactionState } from '../../libs/core/src/half-messages/transaction';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';
import { answer, ProducerServer } from './producer-server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fixture = path.join(__dirname, '..', 'fixtures', 'transactions-checkback-runner.ts');

async function untilState(postbox: Postbox, id: string, state: TransactionState, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tx = await postbox.getTransaction(id);
    if (tx.state === state) return tx;
    if (Date.now() > deadline) throw new Error(`transaction ${id} still ${tx.state}, wanted ${state}`);
    await sleep(50);
  }
}

function startRunnerProcess(url: string, env: Record<string, string> = {}) {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: url, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise<{ child: ChildProcess; exited: typeof exited }>((resolve, reject) => {
    child.once('message', () => resolve({ child, exited }));
    child.once('exit', (code, signal) => reject(new Error(`runner process exited early: ${code ?? signal}`)));
  });
}

describe('check-back over HTTP', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let producer: ProducerServer;
  let client: pg.Client;

  beforeAll(async () => {
    // The producer listens on loopback, which check-backs refuse unless allowed.
    ({ db, postbox, client } = await openTestPostbox({ checkbackAllow: '127.0.0.1' }));
    producer = await new ProducerServer().start();
    await postbox.createQueue('cb');
  });
  afterAll(async () => {
    await producer.close();
  });

  describe('with a runner in this process', () => {
    beforeAll(() => {
      postbox.startCheckbackRunner({ pollIntervalMs: 50, checkTimeoutMs: 1_000 });
    });

    it('"commit" delivers the message once, after checkAfterMs, and the call carries the transaction', async () => {
      const id = await postbox.prepare(
        { queue: 'cb' },
        { body: { order: 1 }, headers: { tenant: 'acme' } },
        { checkbackUrl: producer.url, checkAfterMs: 300 },
      );
      producer.script(id, answer('commit'));
      const tx = await untilState(postbox, id, 'committed');
      expect(tx).toMatchObject({ checks: 1, resolvedBy: 'checkback' });
      const calls = producer.callsFor(id);
      expect(calls.map((c) => c.body)).toEqual([
        { transactionId: id, queue: 'cb', headers: { tenant: 'acme' }, check: 1 },
      ]);
      // Not before checkAfterMs.
      expect((calls[0]?.at ?? 0) - tx.createdAt.getTime()).toBeGreaterThanOrEqual(250);
      const received = await postbox.receive('cb', { max: 10 });
      expect(received.map((m) => [m.id, m.body])).toEqual([[tx.messageId, { order: 1 }]]);
      await postbox.ack(
        'cb',
        received.map((m) => m.receipt),
      );
    });

    it('"rollback" discards it: nothing is ever delivered', async () => {
      const id = await postbox.prepare(
        { queue: 'cb' },
        { body: 'no' },
        { checkbackUrl: producer.url, checkAfterMs: 0 },
      );
      producer.script(id, answer('rollback'));
      expect(await untilState(postbox, id, 'rolledBack')).toMatchObject({ checks: 1, resolvedBy: 'checkback' });
      expect(await postbox.receive('cb', { max: 10 })).toEqual([]);
    });

    it('"unknown" every time: checked maxChecks times with backoff, then expired and recorded', async () => {
      const id = await postbox.prepare(
        { queue: 'cb' },
        { body: 'limbo' },
        { checkbackUrl: producer.url, checkAfterMs: 100, maxChecks: 4 },
      );
      producer.script(id, answer('unknown'));
      const tx = await untilState(postbox, id, 'expired');
      expect(tx).toMatchObject({ checks: 4, resolvedBy: 'expiry', lastError: 'the producer answered unknown' });
      const calls = producer.callsFor(id);
      expect(calls.map((c) => c.body.check)).toEqual([1, 2, 3, 4]);
      // Backoff doubles from 100 ms with equal jitter: gaps of at least 50, 100, 200 ms.
      const gaps = calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
      gaps.forEach((gap, i) => {
        expect(gap).toBeGreaterThanOrEqual(50 * 2 ** i - 10);
      });
      await sleep(300);
      expect(producer.callsFor(id)).toHaveLength(4);
      expect(await postbox.receive('cb', { max: 10 })).toEqual([]);
      const { rows } = await client.query(
        `select state, transactions::int from postbox.transaction_stats where target = 'cb' and state = 'expired'`,
      );
      expect(rows).toEqual([{ state: 'expired', transactions: 1 }]);
    });

    it('a failing endpoint (HTTP 500, bad body, timeout) is retried until it answers', async () => {
      const id = await postbox.prepare(
        { queue: 'cb' },
        { body: 'eventually' },
        { checkbackUrl: producer.url, checkAfterMs: 0, maxChecks: 10 },
      );
      producer.script(
        id,
        { status: 500, body: { error: 'boom' } },
        { status: 200, body: { status: 'maybe' } },
        'hang',
        answer('commit'),
      );
      const tx = await untilState(postbox, id, 'committed');
      expect(tx.checks).toBe(4);
      expect(producer.callsFor(id)).toHaveLength(4);
      expect((await postbox.receive('cb', { max: 10 })).map((m) => m.body)).toEqual(['eventually']);
    });

    it('an unreachable endpoint counts as a failed check', async () => {
      const id = await postbox.prepare(
        { queue: 'cb' },
        { body: 'nobody home' },
        { checkbackUrl: 'http://127.0.0.1:9/checkback', checkAfterMs: 0, maxChecks: 2 },
      );
      const tx = await untilState(postbox, id, 'expired');
      expect(tx.checks).toBe(2);
      expect(tx.lastError).toBe('network error: ECONNREFUSED');
    });

    it('a producer commit while a check is under way wins; the late check answer is ignored', async () => {
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const id = await postbox.prepare(
        { queue: 'cb' },
        { body: 'raced' },
        { checkbackUrl: producer.url, checkAfterMs: 0 },
      );
      producer.script(id, { status: 200, body: { status: 'rollback' }, after: released });
      const deadline = Date.now() + 60_000;
      while (producer.callsFor(id).length === 0 && Date.now() < deadline) await sleep(20);
      // The check is in flight; the producer commits first, then the check answers "rollback".
      await postbox.commitTransaction(id);
      release();
      await sleep(300);
      expect(await postbox.getTransaction(id)).toMatchObject({ state: 'committed', resolvedBy: 'producer', checks: 1 });
      expect(producer.callsFor(id)).toHaveLength(1);
      const received = await postbox.receive('cb', { max: 10 });
      expect(received.map((m) => m.body)).toEqual(['raced']);
      await postbox.ack(
        'cb',
        received.map((m) => m.receipt),
      );
    });

    afterAll(async () => {
      await postbox.startCheckbackRunner().stop();
    });
  });

  describe('across runner restarts (real processes)', () => {
    it('a runner killed between prepare and the check-back: the next runner still checks it', async () => {
      await postbox.createQueue('cb-restart');
      const first = await startRunnerProcess(db.url);
      const id = await postbox.prepare(
        { queue: 'cb-restart' },
        { body: 'survives' },
        { checkbackUrl: producer.url, checkAfterMs: 1_500 },
      );
      producer.script(id, answer('commit'));
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      expect(producer.callsFor(id)).toEqual([]);
      expect(await postbox.getTransaction(id)).toMatchObject({ state: 'prepared', checks: 0 });

      const second = await startRunnerProcess(db.url);
      const tx = await untilState(postbox, id, 'committed');
      expect(tx.checks).toBe(1);
      expect(producer.callsFor(id)).toHaveLength(1);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
      expect((await postbox.receive('cb-restart', { max: 10 })).map((m) => m.body)).toEqual(['survives']);
    });

    it('a runner killed in the middle of a check: after its lease another runner checks again', async () => {
      await postbox.createQueue('cb-midcheck');
      const id = await postbox.prepare(
        { queue: 'cb-midcheck' },
        { body: 'retried' },
        { checkbackUrl: producer.url, checkAfterMs: 0 },
      );
      producer.script(id, 'hang', answer('commit'));
      const first = await startRunnerProcess(db.url, { LEASE_MS: '1500', CHECK_TIMEOUT_MS: '60000' });
      const deadline = Date.now() + 60_000;
      while (producer.callsFor(id).length === 0 && Date.now() < deadline) await sleep(20);
      expect(producer.callsFor(id)).toHaveLength(1);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(await postbox.getTransaction(id)).toMatchObject({ state: 'prepared', checks: 1 });

      const second = await startRunnerProcess(db.url, { LEASE_MS: '1500' });
      const tx = await untilState(postbox, id, 'committed');
      expect(tx.checks).toBe(2);
      expect(producer.callsFor(id).map((c) => c.body.check)).toEqual([1, 2]);
      second.child.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);
      expect((await postbox.receive('cb-midcheck', { max: 10 })).map((m) => m.body)).toEqual(['retried']);
    });

    it('two runner processes at once check each transaction once', async () => {
      await postbox.createQueue('cb-pair');
      const ids = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          postbox.prepare({ queue: 'cb-pair' }, { body: i }, { checkbackUrl: producer.url, checkAfterMs: 1_000 }),
        ),
      );
      for (const id of ids) producer.script(id, answer('commit'));
      const runners = await Promise.all([startRunnerProcess(db.url), startRunnerProcess(db.url)]);
      for (const id of ids) await untilState(postbox, id, 'committed');
      for (const r of runners) r.child.kill('SIGTERM');
      await Promise.all(runners.map((r) => r.exited));
      for (const id of ids) expect(producer.callsFor(id)).toHaveLength(1);
      const { rows } = await client.query(`select count(*)::int as n from postbox.messages where queue = 'cb-pair'`);
      expect(rows[0].n).toBe(30);
    });
  });
});
