import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, MessageTooLargeError, QueueFullError } from '../../libs/core/src/errors';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';
import { sleep, until } from '../setup/until';

/** Issue 13 items 1, 3, 5, 6, 8 against real PostgreSQL: library and psql. */
describe('queue controls', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let db: TestDatabase;
  beforeAll(async () => {
    ({ postbox, client, db } = await openTestPostbox());
  });

  const rows = async (queue: string) =>
    (await client.query('select body from postbox.messages where queue = $1 order by id', [queue])).rows.map(
      (r) => r.body,
    );
  const dead = async (queue: string) =>
    (await client.query('select body, last_error from postbox.dead_letters where queue = $1 order by id', [queue]))
      .rows;

  describe('pause / resume', () => {
    it('a paused queue hands nothing to receive or psql receive; sends land; resume hands out again', async () => {
      await postbox.createQueue('p-lease');
      await postbox.send('p-lease', { body: 1 });
      const paused = await postbox.pauseQueue('p-lease');
      expect(paused.paused).toBe(true);
      await postbox.send('p-lease', { body: 2 });
      expect(await rows('p-lease')).toEqual([1, 2]);
      expect(await postbox.receive('p-lease', { max: 10 })).toEqual([]);
      expect((await client.query(`select * from postbox.receive('p-lease', 10)`)).rows).toEqual([]);
      expect((await postbox.getQueueStats('p-lease')).paused).toBe(true);
      const resumed = await postbox.resumeQueue('p-lease');
      expect(resumed.paused).toBe(false);
      expect((await postbox.receive('p-lease', { max: 10 })).map((m) => m.body)).toEqual([1, 2]);
    });

    it('resume wakes a waiting receive at once', async () => {
      await postbox.createQueue('p-wait');
      await postbox.pauseQueue('p-wait');
      await postbox.send('p-wait', { body: 'x' });
      const started = Date.now();
      const waiting = postbox.receive('p-wait', { max: 1, waitMs: 20_000 });
      await sleep(300);
      await postbox.resumeQueue('p-wait');
      const got = await waiting;
      expect(got.map((m) => m.body)).toEqual(['x']);
      // Woken by the NOTIFY, not by the end of the 20 s wait.
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    for (const claimMode of ['lease', 'lock'] as const) {
      it(`a ${claimMode}-mode consumer gets nothing while paused and everything after resume`, async () => {
        const queue = `p-consumer-${claimMode}`;
        await postbox.createQueue(queue);
        await postbox.pauseQueue(queue);
        await postbox.sendBatch(
          queue,
          Array.from({ length: 20 }, (_, i) => ({ body: i })),
        );
        const seen: number[] = [];
        // No poll for 10 minutes: only resume's wake-up can start this consumer.
        const consumer = await postbox.consume(queue, (m) => void seen.push(m.body as number), {
          claimMode,
          batchSize: 5,
          pollIntervalMs: 600_000,
        });
        await sleep(700);
        expect(seen).toEqual([]);
        expect((await rows(queue)).length).toBe(20);
        await postbox.resumeQueue(queue);
        await until(() => seen.length === 20, { what: 'all 20 handled after resume' });
        await consumer.stop();
        expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(await rows(queue)).toEqual([]);
      });
    }

    it('in-flight messages keep their lease while paused: ack works', async () => {
      await postbox.createQueue('p-inflight');
      await postbox.send('p-inflight', { body: 'a' });
      const [m] = await postbox.receive('p-inflight', { max: 1 });
      await postbox.pauseQueue('p-inflight');
      expect((await postbox.ack('p-inflight', [m?.receipt as string])).acked).toBe(1);
    });

    it('pauses one topic group alone', async () => {
      await postbox.createTopic('p-topic');
      const a = await postbox.subscribe('p-topic', 'a');
      const b = await postbox.subscribe('p-topic', 'b');
      const qa = a.queue.name;
      const qb = b.queue.name;
      expect((await postbox.pauseGroup('p-topic', 'a')).name).toBe(qa);
      await postbox.publish('p-topic', { body: 'hello' });
      expect(await postbox.receive(qa, { max: 1 })).toEqual([]);
      expect((await postbox.receive(qb, { max: 1 })).map((m) => m.body)).toEqual(['hello']);
      await postbox.resumeGroup('p-topic', 'a');
      expect((await postbox.receive(qa, { max: 1 })).map((m) => m.body)).toEqual(['hello']);
      await expect(postbox.pauseGroup('p-topic', 'nobody')).rejects.toThrow(
        'subscription "nobody" of topic "p-topic" does not exist',
      );
    });

    it('psql pause_queue / resume_queue, and unknown queues', async () => {
      await postbox.createQueue('p-psql');
      await client.query(`select postbox.pause_queue('p-psql')`);
      expect((await postbox.getQueue('p-psql')).paused).toBe(true);
      await client.query(`select postbox.resume_queue('p-psql')`);
      expect((await postbox.getQueue('p-psql')).paused).toBe(false);
      await expect(client.query(`select postbox.pause_queue('p-none')`)).rejects.toThrow(
        'queue "p-none" does not exist',
      );
      await expect(postbox.pauseQueue('p-none')).rejects.toThrow('queue "p-none" does not exist');
    });
  });

  describe('update settings in place', () => {
    it('changes a subset, keeps the rest, and refuses bad input naming the field', async () => {
      await postbox.createQueue('u-one', { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 1000 } });
      const updated = await postbox.updateQueue('u-one', { visibilityTimeoutMs: 5000, backoff: { maxMs: 2000 } });
      expect(updated).toMatchObject({
        maxAttempts: 3,
        visibilityTimeoutMs: 5000,
        backoff: { initialMs: 100, maxMs: 2000 },
      });
      await expect(postbox.updateQueue('u-one', { maxAttempts: 0 })).rejects.toThrow(
        'maxAttempts must be an integer between 1 and 1000',
      );
      await expect(postbox.updateQueue('u-one', { backoff: { maxMs: 50 } })).rejects.toThrow(
        'backoff.maxMs must be greater than or equal to backoff.initialMs',
      );
      await expect(postbox.updateQueue('u-one', { nope: 1 } as never)).rejects.toThrow('nope is not a queue setting');
      await expect(postbox.updateQueue('u-one', { maxAttempts: null } as never)).rejects.toThrow(
        'maxAttempts cannot be null',
      );
      await expect(postbox.updateQueue('u-one', { overflow: 'sideways' as never })).rejects.toThrow(
        'overflow must be one of reject, dropOldest',
      );
      await expect(postbox.updateQueue('u-one', { deadLetterQueue: 'u-missing' })).rejects.toThrow(
        'deadLetterQueue names queue "u-missing", which does not exist',
      );
      await expect(postbox.updateQueue('u-one', { deadLetterQueue: 'u-one' })).rejects.toThrow(InvalidInputError);
      await expect(postbox.updateQueue('u-none', { maxAttempts: 2 })).rejects.toThrow('queue "u-none" does not exist');
      expect(await postbox.getQueue('u-one')).toMatchObject({ maxAttempts: 3, visibilityTimeoutMs: 5000 });
    });

    it('in-flight messages keep their lease; new claims use the new visibility timeout', async () => {
      await postbox.createQueue('u-lease', { visibilityTimeoutMs: 60_000 });
      await postbox.sendBatch('u-lease', [{ body: 1 }, { body: 2 }]);
      const [first] = await postbox.receive('u-lease', { max: 1 });
      await postbox.updateQueue('u-lease', { visibilityTimeoutMs: 1000 });
      const [second] = await postbox.receive('u-lease', { max: 1 });
      const firstLease = (first?.leaseExpiresAt.getTime() ?? 0) - Date.now();
      const secondLease = (second?.leaseExpiresAt.getTime() ?? 0) - Date.now();
      expect(firstLease).toBeGreaterThan(30_000);
      expect(secondLease).toBeLessThanOrEqual(1000);
    });

    it('lowering maxAttempts dead-letters a message already at it on its next claim', async () => {
      await postbox.createQueue('u-attempts', { maxAttempts: 5, visibilityTimeoutMs: 60_000 });
      await postbox.send('u-attempts', { body: 'x' });
      const [m] = await postbox.receive('u-attempts', { max: 1 });
      await postbox.nack('u-attempts', [{ receipt: m?.receipt as string, delayMs: 0 }]);
      await postbox.updateQueue('u-attempts', { maxAttempts: 1 });
      expect(await postbox.receive('u-attempts', { max: 1 })).toEqual([]);
      expect((await dead('u-attempts')).map((d) => d.body)).toEqual(['x']);
    });

    it('messageTtlMs applies to messages sent after the change; expiredTo when a message expires', async () => {
      await postbox.createQueue('u-ttl');
      await postbox.send('u-ttl', { body: 'before' });
      await postbox.updateQueue('u-ttl', { messageTtlMs: 1 });
      await postbox.send('u-ttl', { body: 'after' });
      await postbox.updateQueue('u-ttl', { expiredTo: 'drop' });
      await sleep(20);
      expect((await postbox.receive('u-ttl', { max: 10 })).map((m) => m.body)).toEqual(['before']);
      expect(await dead('u-ttl')).toEqual([]);
      expect(await rows('u-ttl')).toEqual(['before']);
    });

    it('psql update_queue changes settings and refuses unknown ones', async () => {
      await postbox.createQueue('u-psql');
      await client.query(`select postbox.update_queue('u-psql', '{"maxLength": 10, "messageTtlMs": 5000}')`);
      expect(await postbox.getQueue('u-psql')).toMatchObject({ maxLength: 10, messageTtlMs: 5000 });
      await client.query(`select postbox.update_queue('u-psql', '{"maxLength": null}')`);
      expect((await postbox.getQueue('u-psql')).maxLength).toBeNull();
      await expect(client.query(`select postbox.update_queue('u-psql', '{"color": 1}')`)).rejects.toThrow(
        'color is not a queue setting',
      );
      await expect(client.query(`select postbox.update_queue('u-psql', '{"maxAttempts": 0}')`)).rejects.toThrow(
        'check constraint',
      );
    });
  });

  describe('TTL', () => {
    for (const claimMode of ['lease', 'lock'] as const) {
      it(`${claimMode} mode: an expired message is never delivered and goes to the dead letters with reason "expired"`, async () => {
        const queue = `t-${claimMode}`;
        await postbox.createQueue(queue, { messageTtlMs: 200 });
        await postbox.sendBatch(queue, [{ body: 'old-1' }, { body: 'old-2' }]);
        await sleep(400);
        await postbox.send(queue, { body: 'fresh' });
        await postbox.send(queue, { body: 'own-expiry', expiresAt: new Date(Date.now() + 60_000) });
        const seen: string[] = [];
        const consumer = await postbox.consume(queue, (m) => void seen.push(m.body as string), {
          claimMode,
          batchSize: 10,
        });
        await until(() => seen.length === 2, { what: 'the two live messages handled' });
        await until(async () => (await rows(queue)).length === 0, { what: 'queue empty' });
        await consumer.stop();
        expect(seen.sort()).toEqual(['fresh', 'own-expiry']);
        expect(await dead(queue)).toEqual([
          { body: 'old-1', last_error: 'expired' },
          { body: 'old-2', last_error: 'expired' },
        ]);
      });
    }

    for (const claimMode of ['lease', 'lock'] as const) {
      it(`${claimMode} mode: live messages behind many expired ones follow without waiting for the poll`, async () => {
        const queue = `t-behind-${claimMode}`;
        await postbox.createQueue(queue);
        const past = new Date(Date.now() - 1000);
        await postbox.sendBatch(
          queue,
          Array.from({ length: 300 }, (_, i) => ({ body: `old-${i}`, expiresAt: past })),
        );
        await postbox.sendBatch(queue, [{ body: 'live-1' }, { body: 'live-2' }]);
        const seen: string[] = [];
        // A poll every 10 minutes: only wake-ups can move this consumer past short batches.
        const consumer = await postbox.consume(queue, (m) => void seen.push(m.body as string), {
          claimMode,
          batchSize: 50,
          pollIntervalMs: 600_000,
        });
        await until(() => seen.length === 2, { what: 'live messages behind 300 expired ones' });
        if (claimMode === 'lease') {
          // Each claim removes up to a batch of expired messages and wakes the queue, so the claims go on
          // until none is left (no poll: that is 10 minutes away).
          await until(async () => (await dead(queue)).length === 300, { what: 'all 300 expired dead-lettered' });
        }
        await consumer.stop();
        expect(seen).toEqual(['live-1', 'live-2']);
        // Lock mode removes expired messages inside batches it commits (a claim that finds nothing live is
        // rolled back), so some may remain: never delivered, still counted.
        const left = await rows(queue);
        expect(left.every((b) => String(b).startsWith('old-'))).toBe(true);
        expect((await dead(queue)).length + left.length).toBe(300);
      });
    }

    it('per-message expiresAt overrides the queue TTL; expiredTo "drop" drops', async () => {
      await postbox.createQueue('t-drop', { expiredTo: 'drop' });
      await postbox.sendBatch('t-drop', [{ body: 'gone', expiresAt: new Date(Date.now() - 1) }, { body: 'kept' }]);
      expect((await postbox.receive('t-drop', { max: 10 })).map((m) => m.body)).toEqual(['kept']);
      expect(await rows('t-drop')).toEqual(['kept']);
      expect(await dead('t-drop')).toEqual([]);
    });

    it('a dead-letter queue gets expired messages with the reason in the headers', async () => {
      await postbox.createQueue('t-dlq');
      await postbox.createQueue('t-src', { deadLetterQueue: 't-dlq', messageTtlMs: 1 });
      await postbox.send('t-src', { body: 'late' });
      await sleep(20);
      expect(await postbox.receive('t-src', { max: 1 })).toEqual([]);
      const [d] = await postbox.receive('t-dlq', { max: 1 });
      expect(d?.body).toBe('late');
      expect(d?.headers).toMatchObject({ 'x-postbox-dead-letter-from': 't-src', 'x-postbox-last-error': 'expired' });
    });

    it('psql send takes expires_at; bad expiresAt is refused naming the field', async () => {
      await postbox.createQueue('t-psql');
      await client.query(`select postbox.send('t-psql', '"a"', expires_at => now() - interval '1 second')`);
      expect((await client.query(`select * from postbox.receive('t-psql', 10)`)).rows).toEqual([]);
      expect((await dead('t-psql')).map((d) => d.last_error)).toEqual(['expired']);
      await expect(postbox.send('t-psql', { body: 1, expiresAt: 'soon' })).rejects.toThrow(
        'expiresAt must be an ISO-8601 time',
      );
      await expect(postbox.createQueue('t-bad', { messageTtlMs: 0 })).rejects.toThrow(
        /^messageTtlMs must be an integer between 1 and/,
      );
    });
  });

  describe('length limits', () => {
    it('overflow "reject": the send that would exceed maxLength fails whole with QueueFullError', async () => {
      await postbox.createQueue('l-reject', { maxLength: 3 });
      await postbox.sendBatch('l-reject', [{ body: 1 }, { body: 2 }]);
      const full = postbox.sendBatch('l-reject', [{ body: 3 }, { body: 4 }]);
      await expect(full).rejects.toThrow(QueueFullError);
      await expect(postbox.sendBatch('l-reject', [{ body: 3 }, { body: 4 }])).rejects.toThrow(
        'queue "l-reject" is full (maxLength 3)',
      );
      expect(await rows('l-reject')).toEqual([1, 2]);
      await postbox.send('l-reject', { body: 3 });
      await expect(client.query(`select postbox.send('l-reject', '4')`)).rejects.toThrow(
        'queue "l-reject" is full (maxLength 3)',
      );
      await expect(postbox.send('l-reject', { body: 4, dedupKey: 'k' })).rejects.toThrow(QueueFullError);
      expect(await rows('l-reject')).toEqual([1, 2, 3]);
      // In-flight messages count: receiving does not make room, acking does.
      const [m] = await postbox.receive('l-reject', { max: 1 });
      await expect(postbox.send('l-reject', { body: 4 })).rejects.toThrow(QueueFullError);
      await postbox.ack('l-reject', [m?.receipt as string]);
      await postbox.send('l-reject', { body: 4 });
      expect(await rows('l-reject')).toEqual([2, 3, 4]);
    });

    it('overflow "dropOldest": the oldest ready messages go to the dead letters', async () => {
      await postbox.createQueue('l-drop', { maxLength: 3, overflow: 'dropOldest' });
      await postbox.sendBatch('l-drop', [{ body: 1 }, { body: 2 }, { body: 3 }]);
      await postbox.sendBatch('l-drop', [{ body: 4 }, { body: 5 }]);
      expect(await rows('l-drop')).toEqual([3, 4, 5]);
      expect(await dead('l-drop')).toEqual([
        { body: 1, last_error: 'dropped: queue reached maxLength (overflow: dropOldest)' },
        { body: 2, last_error: 'dropped: queue reached maxLength (overflow: dropOldest)' },
      ]);
    });

    it('concurrent uncommitted sends overshoot by at most (N - 1) x batch, as docs/queue-controls.md says', async () => {
      await postbox.createQueue('l-race', { maxLength: 10 });
      await postbox.sendBatch(
        'l-race',
        Array.from({ length: 9 }, (_, i) => ({ body: i })),
      );
      // Three producers, each in its own open transaction: none sees the others' row.
      const producers = await Promise.all([db.client(), db.client(), db.client()]);
      for (const p of producers) {
        await p.query('begin');
        await p.query(`select postbox.send('l-race', '"x"')`);
      }
      for (const p of producers) await p.query('commit');
      // 9 + 3 = 12 = maxLength + (3 - 1) x 1: the bound, reached.
      expect((await rows('l-race')).length).toBe(12);
      // Once committed, everyone sees them: the next send is refused.
      await expect(postbox.send('l-race', { body: 'y' })).rejects.toThrow(QueueFullError);
      // Sequential producers never overshoot.
      await postbox.createQueue('l-seq', { maxLength: 10 });
      const outcomes = [];
      for (let i = 0; i < 15; i++)
        outcomes.push(
          await postbox.send('l-seq', { body: i }).then(
            () => 'ok',
            () => 'full',
          ),
        );
      expect(outcomes.filter((o) => o === 'ok').length).toBe(10);
      expect((await rows('l-seq')).length).toBe(10);
    });

    it('publish respects each group queue limit', async () => {
      await postbox.createTopic('l-topic');
      await postbox.subscribe('l-topic', 'small', { maxLength: 1 });
      const small = 'l-topic.small';
      await postbox.publish('l-topic', { body: 1 });
      await expect(postbox.publish('l-topic', { body: 2 })).rejects.toThrow(`queue "${small}" is full (maxLength 1)`);
      await expect(client.query(`select postbox.publish('l-topic', '3')`)).rejects.toThrow('is full (maxLength 1)');
      expect(await rows(small)).toEqual([1]);
    });
  });

  describe('maxMessageBytes', () => {
    it('defaults to 1 MiB and refuses larger messages on every path, naming the limit', async () => {
      await postbox.createQueue('s-default');
      expect((await postbox.getQueue('s-default')).maxMessageBytes).toBe(1_048_576);
      const big = 'x'.repeat(1_048_577);
      const error = await postbox.send('s-default', { body: big }).catch((e) => e);
      expect(error).toBeInstanceOf(MessageTooLargeError);
      expect(error.message).toBe(
        'message is 1048579 bytes, more than queue "s-default" allows (maxMessageBytes 1048576)',
      );
      expect(await rows('s-default')).toEqual([]);
    });

    it('counts body plus headers; a batch names the message; psql, publish and half-message commit alike', async () => {
      await postbox.createQueue('s-small', { maxMessageBytes: 20 });
      await postbox.send('s-small', { body: 'x'.repeat(18) }); // "xxx…" is 20 bytes of JSON
      await expect(postbox.send('s-small', { body: 'x', headers: { h: 'y'.repeat(20) } })).rejects.toThrow(
        MessageTooLargeError,
      );
      await expect(postbox.sendBatch('s-small', [{ body: 1 }, { body: 'x'.repeat(30) }])).rejects.toThrow(
        /^messages\[1\] is 32 bytes, more than queue "s-small" allows \(maxMessageBytes 20\)$/,
      );
      await expect(
        postbox.sendBatch('s-small', [
          { body: 1, dedupKey: 'a' },
          { body: 'x'.repeat(30), dedupKey: 'b' },
        ]),
      ).rejects.toThrow('messages[1] is 32 bytes');
      await expect(client.query(`select postbox.send('s-small', to_jsonb(repeat('x', 30)))`)).rejects.toThrow(
        'message is 32 bytes, more than queue "s-small" allows (maxMessageBytes 20)',
      );
      await postbox.createTopic('s-topic');
      await postbox.subscribe('s-topic', 'g', { maxMessageBytes: 100 });
      await expect(postbox.publish('s-topic', { body: 'x'.repeat(200) })).rejects.toThrow(
        /^message is \d+ bytes, more than queue "s-topic.g" allows \(maxMessageBytes 100\)$/,
      );
      await expect(client.query(`select postbox.publish('s-topic', to_jsonb(repeat('x', 200)))`)).rejects.toThrow(
        'more than queue "s-topic.g" allows (maxMessageBytes 100)',
      );
      const transactionId = await postbox.prepare({ queue: 's-small' }, { body: 'x'.repeat(30) });
      await expect(postbox.commitTransaction(transactionId)).rejects.toThrow(MessageTooLargeError);
      expect((await postbox.getTransaction(transactionId)).state).toBe('prepared');
      expect(await rows('s-small')).toEqual(['x'.repeat(18)]);
      expect(await rows('s-topic.g')).toEqual([]);
    });

    it('group-committed concurrent sends: only the large one fails', async () => {
      await postbox.createQueue('s-group', { maxMessageBytes: 10 });
      const results = await Promise.allSettled([
        postbox.send('s-group', { body: 1 }),
        postbox.send('s-group', { body: 'x'.repeat(20) }),
        postbox.send('s-group', { body: 3 }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/^message is 22 bytes/);
      expect(await rows('s-group')).toEqual([1, 3]);
    });
  });
});
