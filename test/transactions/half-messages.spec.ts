import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError, QueueNotFoundError } from '../../libs/core/src/errors';
import { CheckbackRunner } from '../../libs/core/src/half-messages/checkback-runner';
import { claimDueChecks } from '../../libs/core/src/half-messages/claim-due-checks';
import { commitTransaction } from '../../libs/core/src/half-messages/commit';
import { TransactionNotFoundError } from '../../libs/core/src/half-messages/transaction';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox } from '../setup/test-database';

describe('half messages', () => {
  let postbox: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  async function messageCount(queue: string): Promise<number> {
    const { rows } = await client.query('select count(*)::int as n from postbox.messages where queue = $1', [queue]);
    return rows[0].n;
  }

  it('prepare stores the message invisible to every consumer', async () => {
    await postbox.createQueue('hm-invisible');
    const id = await postbox.prepare({ queue: 'hm-invisible' }, { body: { amount: 5 }, headers: { trace: 't1' } });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await postbox.receive('hm-invisible', { max: 10 })).toEqual([]);
    expect(await postbox.peek('hm-invisible', 'ready')).toEqual([]);
    expect(await postbox.peek('hm-invisible', 'delayed')).toEqual([]);
    expect(await messageCount('hm-invisible')).toBe(0);
    const tx = await postbox.getTransaction(id);
    expect(tx).toMatchObject({
      transactionId: id,
      queue: 'hm-invisible',
      state: 'prepared',
      checks: 0,
      maxChecks: 15,
      checkAfterMs: 60_000,
      message: { body: { amount: 5 }, headers: { trace: 't1' } },
      resolvedAt: null,
      messageId: null,
    });
  });

  it('commit makes it visible exactly once; committing again changes nothing', async () => {
    await postbox.createQueue('hm-commit');
    const id = await postbox.prepare({ queue: 'hm-commit' }, { body: 'pay', priority: 3 });
    const committed = await postbox.commitTransaction(id);
    expect(committed).toMatchObject({ state: 'committed', resolvedBy: 'producer' });
    expect(committed.messageId).toMatch(/^\d+$/);
    const again = await postbox.commitTransaction(id);
    expect(again.messageId).toBe(committed.messageId);
    expect(again.state).toBe('committed');
    const received = await postbox.receive('hm-commit', { max: 10 });
    expect(received.map((m) => [m.id, m.body, m.priority])).toEqual([[committed.messageId, 'pay', 3]]);
    await postbox.ack(
      'hm-commit',
      received.map((m) => m.receipt),
    );
    expect(await postbox.commitTransaction(id)).toMatchObject({ state: 'committed' });
    expect(await postbox.receive('hm-commit', { max: 10 })).toEqual([]);
    expect(await messageCount('hm-commit')).toBe(0);
  });

  it('concurrent commits of one transaction send one message', async () => {
    await postbox.createQueue('hm-race');
    const id = await postbox.prepare({ queue: 'hm-race' }, { body: 'once' });
    const results = await Promise.all(Array.from({ length: 8 }, () => postbox.commitTransaction(id)));
    expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
    expect(await messageCount('hm-race')).toBe(1);
  });

  it('rollback discards it; rollback again is fine; commit after rollback is a conflict', async () => {
    await postbox.createQueue('hm-rollback');
    const id = await postbox.prepare({ queue: 'hm-rollback' }, { body: 'cancel me' });
    expect(await postbox.rollbackTransaction(id)).toMatchObject({ state: 'rolledBack', resolvedBy: 'producer' });
    expect(await postbox.rollbackTransaction(id)).toMatchObject({ state: 'rolledBack' });
    await expect(postbox.commitTransaction(id)).rejects.toThrow(ConflictError);
    await expect(postbox.commitTransaction(id)).rejects.toThrow(/is already rolled back and cannot be committed/);
    expect(await postbox.receive('hm-rollback', { max: 10 })).toEqual([]);
    expect(await messageCount('hm-rollback')).toBe(0);
    expect(await postbox.getTransaction(id)).toMatchObject({ state: 'rolledBack' });
  });

  it('rollback after commit is a conflict and leaves the message', async () => {
    await postbox.createQueue('hm-late-rollback');
    const id = await postbox.prepare({ queue: 'hm-late-rollback' }, { body: 'kept' });
    await postbox.commitTransaction(id);
    await expect(postbox.rollbackTransaction(id)).rejects.toThrow(/is already committed and cannot be rolled back/);
    expect(await messageCount('hm-late-rollback')).toBe(1);
  });

  it('commit inside the caller transaction follows that transaction', async () => {
    await postbox.createQueue('hm-in-trx');
    const id = await postbox.prepare({ queue: 'hm-in-trx' }, { body: 'nested' });
    await expect(
      postbox.db.transaction().execute(async (trx) => {
        await postbox.commitTransaction(id, { trx });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await postbox.getTransaction(id)).toMatchObject({ state: 'prepared' });
    expect(await messageCount('hm-in-trx')).toBe(0);
    await postbox.db.transaction().execute((trx) => commitTransaction(trx, id));
    expect(await messageCount('hm-in-trx')).toBe(1);
  });

  it('unknown and malformed ids are not found', async () => {
    const unknown = '6f1c2b9e-8a41-4c1e-9a0e-2b4f1d3c5a7e';
    await expect(postbox.getTransaction(unknown)).rejects.toThrow(TransactionNotFoundError);
    await expect(postbox.commitTransaction(unknown)).rejects.toThrow(`transaction "${unknown}" does not exist`);
    await expect(postbox.rollbackTransaction(unknown)).rejects.toThrow(NotFoundError);
    await expect(postbox.getTransaction('42')).rejects.toThrow(NotFoundError);
  });

  it('a retried prepare with the same dedupKey returns the same transaction', async () => {
    await postbox.createQueue('hm-dedup');
    await postbox.createQueue('hm-dedup-2');
    const first = await postbox.prepare({ queue: 'hm-dedup' }, { body: 1 }, { dedupKey: 'order-7' });
    const again = await postbox.prepare({ queue: 'hm-dedup' }, { body: 1 }, { dedupKey: 'order-7' });
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => postbox.prepare({ queue: 'hm-dedup' }, { body: 1 }, { dedupKey: 'order-8' })),
    );
    const otherQueue = await postbox.prepare({ queue: 'hm-dedup-2' }, { body: 1 }, { dedupKey: 'order-7' });
    expect(again).toBe(first);
    expect(new Set(concurrent).size).toBe(1);
    expect(otherQueue).not.toBe(first);
    const { rows } = await client.query(
      `select dedup_key, count(*)::int as n from postbox.transactions where target = 'hm-dedup' group by dedup_key order by dedup_key`,
    );
    expect(rows).toEqual([
      { dedup_key: 'order-7', n: 1 },
      { dedup_key: 'order-8', n: 1 },
    ]);
    // Still deduplicated after it was committed: the retry must not create a second message.
    await postbox.commitTransaction(first);
    expect(await postbox.prepare({ queue: 'hm-dedup' }, { body: 1 }, { dedupKey: 'order-7' })).toBe(first);
    expect(await messageCount('hm-dedup')).toBe(1);
  });

  it('rejects bad input naming the field, and an unknown queue, storing nothing', async () => {
    await postbox.createQueue('hm-bad');
    await expect(postbox.prepare({ queue: 'hm-nope' }, { body: 1 })).rejects.toThrow(QueueNotFoundError);
    await expect(postbox.prepare({ queue: 'hm-bad' }, {} as never)).rejects.toThrow(/^body is required/);
    await expect(postbox.prepare({ queue: 'hm-bad' }, { body: 1 }, { maxChecks: 0 })).rejects.toThrow(
      /^maxChecks must be/,
    );
    await expect(postbox.prepare({ queue: 'hm-bad' }, { body: 1 }, { checkAfterMs: -1 })).rejects.toThrow(
      /^checkAfterMs must be/,
    );
    await expect(postbox.prepare({ queue: 'hm-bad' }, { body: 1 }, { checkbackUrl: 'ftp://x' })).rejects.toThrow(
      /^checkbackUrl must be an absolute http\(s\) URL/,
    );
    await expect(postbox.prepare({} as never, { body: 1 })).rejects.toThrow(/^queue or topic is required/);
    await expect(postbox.prepare({ queue: 'hm-bad', topic: 't' } as never, { body: 1 })).rejects.toThrow(
      InvalidInputError,
    );
    const { rows } = await client.query(
      `select count(*)::int as n from postbox.transactions where target in ('hm-bad', 'hm-nope')`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('an in-process checker resolves due transactions; one without an answer is retried then expires', async () => {
    await postbox.createQueue('hm-checker');
    const answers = new Map<string, 'commit' | 'rollback' | 'unknown'>();
    const seen: string[] = [];
    const unregister = postbox.registerChecker('hm-checker', (tx) => {
      seen.push(tx.transactionId);
      return answers.get(tx.transactionId) ?? 'unknown';
    });
    const opts = { checkAfterMs: 0, maxChecks: 2 };
    const toCommit = await postbox.prepare({ queue: 'hm-checker' }, { body: 'c' }, opts);
    const toRollback = await postbox.prepare({ queue: 'hm-checker' }, { body: 'r' }, opts);
    const toExpire = await postbox.prepare({ queue: 'hm-checker' }, { body: 'e' }, opts);
    answers.set(toCommit, 'commit');
    answers.set(toRollback, 'rollback');
    const runner = new CheckbackRunner({
      db: postbox.db,
      checkerFor: (target) =>
        target === 'hm-checker' ? (tx) => answers.get(tx.transactionId) ?? 'unknown' : undefined,
    });
    expect(await runner.runOnce()).toBe(3);
    expect(await postbox.getTransaction(toCommit)).toMatchObject({
      state: 'committed',
      resolvedBy: 'checkback',
      checks: 1,
    });
    expect(await postbox.getTransaction(toRollback)).toMatchObject({ state: 'rolledBack', resolvedBy: 'checkback' });
    const retrying = await postbox.getTransaction(toExpire);
    expect(retrying).toMatchObject({ state: 'prepared', checks: 1, lastError: 'the producer answered unknown' });
    // The retry is scheduled with backoff (at least 50 ms: 100 ms base, equal jitter).
    expect((retrying.nextCheckAt as Date).getTime()).toBeGreaterThan((retrying.lastCheckAt as Date).getTime());
    await client.query(`update postbox.transactions set next_check_at = now() where id = $1`, [toExpire]);
    expect(await runner.runOnce()).toBe(1);
    expect(await postbox.getTransaction(toExpire)).toMatchObject({
      state: 'expired',
      resolvedBy: 'expiry',
      checks: 2,
      lastError: 'the producer answered unknown',
    });
    await expect(postbox.commitTransaction(toExpire)).rejects.toThrow(/is already expired/);
    expect(await postbox.rollbackTransaction(toExpire)).toMatchObject({ state: 'expired' });
    expect((await postbox.receive('hm-checker', { max: 10 })).map((m) => m.body)).toEqual(['c']);

    // The Postbox's own runner uses the registered checker.
    const viaPostbox = await postbox.prepare({ queue: 'hm-checker' }, { body: 'p' }, opts);
    answers.set(viaPostbox, 'commit');
    const ownRunner = postbox.startCheckbackRunner({ pollIntervalMs: 50 });
    const deadline = Date.now() + 30_000;
    while ((await postbox.getTransaction(viaPostbox)).state === 'prepared' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await postbox.getTransaction(viaPostbox)).toMatchObject({ state: 'committed', resolvedBy: 'checkback' });
    expect(seen).toContain(viaPostbox);
    await ownRunner.stop();
    unregister();
  });

  it('two runners never claim the same due transaction (SKIP LOCKED, interleaved)', async () => {
    await postbox.createQueue('hm-skip');
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, i) => postbox.prepare({ queue: 'hm-skip' }, { body: i }, { checkAfterMs: 0 })),
    );
    // A claims inside an open transaction (its row locks held), B claims meanwhile.
    const trxA = await postbox.db.startTransaction().execute();
    const claimedA = await claimDueChecks(trxA, 3, { leaseMs: 60_000 });
    const claimedB = await claimDueChecks(postbox.db, 10, { leaseMs: 60_000 });
    await trxA.commit().execute();
    // And after A commits, its lease keeps them away from B.
    const claimedLater = await claimDueChecks(postbox.db, 10, { leaseMs: 60_000 });
    const a = claimedA.map((t) => t.transactionId).filter((id) => ids.includes(id));
    const b = claimedB.map((t) => t.transactionId).filter((id) => ids.includes(id));
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(3);
    expect(new Set([...a, ...b]).size).toBe(6);
    expect(claimedLater.filter((t) => ids.includes(t.transactionId))).toEqual([]);
    for (const t of [...claimedA, ...claimedB]) expect(t.checks).toBe(1);
  });

  it('a runner that died during the final check: the lease runs out and the transaction expires', async () => {
    await postbox.createQueue('hm-final');
    const id = await postbox.prepare({ queue: 'hm-final' }, { body: 1 }, { checkAfterMs: 0, maxChecks: 1 });
    const [claimed] = await claimDueChecks(postbox.db, 10, { leaseMs: 1 });
    expect(claimed?.transactionId).toBe(id);
    // (its runner dies here) — the lease of 1 ms has run out by the next claim.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await claimDueChecks(postbox.db, 10, { leaseMs: 60_000 })).map((t) => t.transactionId)).not.toContain(id);
    expect(await postbox.getTransaction(id)).toMatchObject({
      state: 'expired',
      checks: 1,
      lastError: 'the final check-back never answered',
    });
  });

  it('a topic target fans out to every group at commit, once', async () => {
    await postbox.createTopic('hm-topic');
    await postbox.subscribe('hm-topic', 'billing');
    await postbox.subscribe('hm-topic', 'shipping', { tags: ['paid'] });
    await postbox.subscribe('hm-topic', 'audit', { tags: ['refund'] });
    const id = await postbox.prepare({ topic: 'hm-topic' }, { body: { order: 9 }, tag: 'paid' });
    expect(await postbox.getTransaction(id)).toMatchObject({ topic: 'hm-topic', state: 'prepared' });
    expect(await messageCount('hm-topic.billing')).toBe(0);
    expect(await messageCount('hm-topic.shipping')).toBe(0);
    const committed = await postbox.commitTransaction(id);
    await postbox.commitTransaction(id);
    for (const group of ['billing', 'shipping']) {
      const received = await postbox.receive(`hm-topic.${group}`, { max: 10 });
      expect(received.map((m) => [m.body, m.headers['x-postbox-topic-message-id']])).toEqual([
        [{ order: 9 }, committed.messageId],
      ]);
    }
    expect(await messageCount('hm-topic.audit')).toBe(0);
    const rolledBack = await postbox.prepare({ topic: 'hm-topic' }, { body: 'never' });
    await postbox.rollbackTransaction(rolledBack);
    expect(await messageCount('hm-topic.billing')).toBe(1);
  });

  it('a topic target must exist, and takes no per-message dedupKey; a queue target takes no tag', async () => {
    await expect(postbox.prepare({ topic: 'hm-no-topic' }, { body: 1 })).rejects.toThrow(
      'topic "hm-no-topic" does not exist',
    );
    await postbox.createTopic('hm-topic-2');
    await expect(postbox.prepare({ topic: 'hm-topic-2' }, { body: 1, dedupKey: 'k' })).rejects.toThrow(
      /^dedupKey is not supported/,
    );
    await postbox.createQueue('hm-tagless');
    await expect(postbox.prepare({ queue: 'hm-tagless' }, { body: 1, tag: 'x' })).rejects.toThrow(/^tag is only/);
  });

  it('purges resolved transactions past the retention, never prepared ones', async () => {
    await postbox.createQueue('hm-purge');
    const old = await postbox.prepare({ queue: 'hm-purge' }, { body: 1 });
    const pending = await postbox.prepare({ queue: 'hm-purge' }, { body: 2 });
    await postbox.rollbackTransaction(old);
    await client.query(
      `update postbox.transactions set resolved_at = now() - interval '8 days', created_at = now() - interval '8 days'
       where target = 'hm-purge' and state <> 'prepared'`,
    );
    expect(await postbox.purgeResolvedTransactions()).toBe(1);
    await expect(postbox.getTransaction(old)).rejects.toThrow(NotFoundError);
    expect(await postbox.getTransaction(pending)).toMatchObject({ state: 'prepared' });
  });
});
