import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../libs/core/src/errors';
import type { Postbox } from '../../libs/core/src/postbox';
import { replayTopic } from '../../libs/core/src/topics/replay-topic';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { drain } from './drain';

/** The database's clock (replay's `from` is compared with now() of the server). */
async function dbNow(postbox: Postbox): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(postbox.db);
  return rows[0]?.now as Date;
}

describe('archive, retention and replay', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  const count = async (sql: string, params: unknown[] = []) => {
    const client = await db.client();
    const { rows } = await client.query(sql, params);
    return Number(rows[0].n);
  };
  const partitions = async (table: string) => {
    const client = await db.client();
    const { rows } = await client.query(
      `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = $1::regclass order by 1`,
      [`postbox.${table}`],
    );
    return rows.map((r) => r.relname as string);
  };

  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
  });

  it('archives into the default partition until maintenance, which then moves rows into hourly partitions', async () => {
    expect(await partitions('published_messages')).toEqual(['published_messages_default']);
    await postbox.createTopic('early', { retentionMs: 3_600_000 });
    await postbox.publish('early', { body: 'before maintenance' });
    expect(await count('select count(*) as n from postbox.published_messages_default')).toBe(1);
    const result = await postbox.maintainArchive();
    expect(result.created.length).toBeGreaterThanOrEqual(8); // 4+ hours per archive
    expect(result.dropped).toEqual([]);
    const parts = await partitions('published_messages');
    expect(parts).toContain('published_messages_default');
    expect(parts.some((p) => /^published_messages_p\d{10}$/.test(p))).toBe(true);
    expect(await count('select count(*) as n from postbox.published_messages_default')).toBe(0);
    expect(await count('select count(*) as n from postbox.published_messages')).toBe(1);
    // Concurrent runs (several service processes) take turns instead of failing.
    const [one, two] = await Promise.all([
      postbox.maintainArchive({ aheadMs: 6 * 3_600_000 }),
      postbox.maintainArchive({ aheadMs: 6 * 3_600_000 }),
    ]);
    expect(one.created.length + two.created.length).toBeGreaterThanOrEqual(6);
    expect(new Set([...one.created, ...two.created]).size).toBe(one.created.length + two.created.length);
    // Idempotent: nothing new to create in the same hour.
    const again = await postbox.maintainArchive();
    expect(again.created.length).toBeLessThanOrEqual(2); // at most an hour boundary passed meanwhile
  });

  it('does not give a late group earlier messages, but replay from before does, in order, only to that group', async () => {
    await postbox.createTopic('history', { retentionMs: 3_600_000 });
    await postbox.subscribe('history', 'early');
    const before = await dbNow(postbox);
    const published = await postbox.publishBatch('history', [
      { body: 1, tag: 'x' },
      { body: 2, tag: 'y' },
      { body: 3, tag: 'x' },
    ]);
    expect(published.map((p) => p.deliveredTo)).toEqual([1, 1, 1]);
    await postbox.subscribe('history', 'late');
    await postbox.subscribe('history', 'late-x', { tags: 'x' });
    await postbox.publish('history', { body: 4, tag: 'x' });
    expect((await drain(postbox, 'history.early', 4)).map((m) => m.body)).toEqual([1, 2, 3, 4]);
    const late = await drain(postbox, 'history.late', 1);
    expect(late.map((m) => m.body)).toEqual([4]);
    expect(late[0]?.headers['x-postbox-replay']).toBeUndefined();
    expect((await drain(postbox, 'history.late-x', 1)).map((m) => m.body)).toEqual([4]);

    expect(await postbox.replay('history', 'late', { from: before })).toEqual({ replayed: 4 });
    const replayed = await drain(postbox, 'history.late', 4);
    expect(replayed.map((m) => m.body)).toEqual([1, 2, 3, 4]);
    expect(replayed.every((m) => m.headers['x-postbox-replay'] === 'true')).toBe(true);
    expect(replayed[0]?.headers['x-postbox-topic-message-id']).toBe(published[0]?.id);
    expect(replayed[1]?.headers['x-postbox-tag']).toBe('y');
    // The tag filter applies to replays too; other groups get nothing.
    expect(await postbox.replay('history', 'late-x', { from: before.toISOString() })).toEqual({ replayed: 3 });
    expect((await drain(postbox, 'history.late-x', 3)).map((m) => m.body)).toEqual([1, 3, 4]);
    expect((await postbox.getQueueStats('history.early')).ready).toBe(0);
    // From a later point only the later messages.
    expect(await postbox.replay('history', 'early', { from: new Date(Date.now() + 60_000) })).toEqual({ replayed: 0 });
  });

  it('gives every message of a batch its own topic message id, and replays the batch in publish order', async () => {
    await postbox.createTopic('ids', { retentionMs: 3_600_000 });
    await postbox.subscribe('ids', 'g');
    const before = await dbNow(postbox);
    const first = await postbox.publishBatch('ids', [{ body: 'a' }, { body: 'b' }, { body: 'c' }, { body: 'd' }]);
    const second = await postbox.publishBatch('ids', [{ body: 'e', priority: 1 }, { body: 'f' }]);
    const ids = [...first, ...second].map((r) => Number(r.id));
    // Distinct and consecutive in input order (the bug gave a batch of 5 ids [5,5,5,5,5]).
    expect(ids).toEqual(ids.map((_, i) => (ids[0] as number) + i));
    const copies = await drain(postbox, 'ids.g', 6);
    const idOf = (m: { body: unknown; headers: Record<string, string> }) =>
      [m.body, Number(m.headers['x-postbox-topic-message-id'])] as const;
    const expected = ['a', 'b', 'c', 'd', 'e', 'f'].map((body, i) => [body, ids[i]]);
    expect(copies.map(idOf).sort((x, y) => x[1] - y[1])).toEqual(expected);
    const client = await db.client();
    const c = await client.query(`select id::int, body #>> '{}' as body from postbox.published_messages
      where topic = 'ids' order by id`);
    expect(c.rows.map((r) => [r.body, r.id])).toEqual(expected);
    expect(await postbox.replay('ids', 'g', { from: before })).toEqual({ replayed: 6 });
    const { rows } = await client.query(`select body #>> '{}' as body from postbox.messages
      where queue = 'ids.g' order by id`);
    expect(rows.map((r) => r.body)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('replays nothing for a topic without retention, and archives nothing for it', async () => {
    await postbox.createTopic('fleeting');
    await postbox.subscribe('fleeting', 'g');
    const before = await dbNow(postbox);
    await postbox.publish('fleeting', { body: 1 });
    expect(await count(`select count(*) as n from postbox.published_messages where topic = 'fleeting'`)).toBe(0);
    expect(await postbox.replay('fleeting', 'g', { from: before })).toEqual({ replayed: 0 });
  });

  it('rejects a bad from and unknown subscriptions; a rolled-back replay delivers nothing', async () => {
    await postbox.createTopic('checked', { retentionMs: 3_600_000 });
    await postbox.subscribe('checked', 'g');
    await expect(postbox.replay('checked', 'g', { from: 'yesterday' })).rejects.toThrow(/^from must be/);
    await expect(postbox.replay('checked', 'g', {} as never)).rejects.toThrow(InvalidInputError);
    await expect(postbox.replay('checked', 'nobody', { from: new Date(0) })).rejects.toThrow(NotFoundError);
    await expect(postbox.replay('missing', { from: new Date(0) })).rejects.toThrow('queue "missing" does not exist');
    await postbox.publish('checked', { body: 'once' });
    await drain(postbox, 'checked.g', 1);
    await expect(
      postbox.db.transaction().execute(async (trx) => {
        expect(await replayTopic(trx, 'checked', 'g', { from: new Date(0) })).toEqual({ replayed: 1 });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await postbox.getQueueStats('checked.g')).ready).toBe(0);
  });

  it('archives acked messages only for queues with retentionMs, and replays a queue from its archive', async () => {
    await postbox.createQueue('kept', { retentionMs: 3_600_000 });
    await postbox.createQueue('plain');
    const before = await dbNow(postbox);
    await postbox.sendBatch('kept', [{ body: 'a', headers: { k: '1' } }, { body: 'b', priority: 5 }, { body: 'c' }]);
    await postbox.sendBatch('plain', [{ body: 'p' }]);
    const keptMessages = await drain(postbox, 'kept', 3);
    await drain(postbox, 'plain', 1);
    expect(await count(`select count(*) as n from postbox.archived_messages where queue = 'kept'`)).toBe(3);
    expect(await count(`select count(*) as n from postbox.archived_messages where queue = 'plain'`)).toBe(0);
    // A stale receipt archives nothing and is reported stale.
    const stale = await postbox.ack('kept', [keptMessages[0]?.receipt as string]);
    expect(stale).toEqual({ acked: 0, stale: [keptMessages[0]?.receipt] });
    expect(await count(`select count(*) as n from postbox.archived_messages where queue = 'kept'`)).toBe(3);

    // Acks through a consumer archive too.
    await postbox.send('kept', { body: 'd' });
    const handled: unknown[] = [];
    const consumer = await postbox.consume('kept', async (m) => {
      handled.push(m.body);
    });
    const deadline = Date.now() + 30_000;
    while (
      (await count(`select count(*) as n from postbox.archived_messages where queue = 'kept'`)) < 4 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await consumer.stop();
    expect(handled).toEqual(['d']);

    expect(await postbox.replay('kept', { from: before })).toEqual({ replayed: 4 });
    const replayed = await drain(postbox, 'kept', 4);
    // Original send order within a priority; the priority itself is kept ("b" had priority 5, so comes last).
    expect(replayed.map((m) => m.body)).toEqual(['a', 'c', 'd', 'b']);
    expect(replayed.map((m) => m.priority)).toEqual([0, 0, 0, 5]);
    expect(replayed.every((m) => m.headers['x-postbox-replay'] === 'true')).toBe(true);
    const byBody = new Map(keptMessages.map((m) => [m.body, m.id]));
    expect(replayed.filter((m) => m.body !== 'd').map((m) => m.headers['x-postbox-replay-of'])).toEqual(
      ['a', 'c', 'b'].map((b) => byBody.get(b)),
    );
    expect(replayed[0]?.headers.k).toBe('1');
    // The replayed copies were acked (archived) too, but a second replay does not multiply history.
    expect(await postbox.replay('kept', { from: before })).toEqual({ replayed: 4 });
    await drain(postbox, 'kept', 4);
    expect(await postbox.replay('plain', { from: before })).toEqual({ replayed: 0 });
  });

  it('hides messages past retention from replay and drops expired partitions instead of deleting rows', async () => {
    await postbox.createTopic('short', { retentionMs: 1_000 });
    await postbox.subscribe('short', 'g');
    const before = await dbNow(postbox);
    await postbox.publish('short', { body: 'soon gone' });
    await drain(postbox, 'short.g', 1);
    // Still in its partition, but past the topic's retention: not replayable.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await count(`select count(*) as n from postbox.published_messages where topic = 'short'`)).toBe(1);
    expect(await postbox.replay('short', 'g', { from: before })).toEqual({ replayed: 0 });

    // A topic with a long retention: replayable now; maintenance run "3 days later" drops its partitions.
    await postbox.createTopic('expiring', { retentionMs: 24 * 3_600_000 });
    await postbox.subscribe('expiring', 'g');
    await postbox.maintainArchive();
    const t0 = await dbNow(postbox);
    await postbox.publishBatch('expiring', [{ body: 1 }, { body: 2 }]);
    await postbox.createQueue('acked-expiring', { retentionMs: 24 * 3_600_000 });
    await postbox.send('acked-expiring', { body: 'q' });
    await drain(postbox, 'acked-expiring', 1);
    await drain(postbox, 'expiring.g', 2);
    expect(await postbox.replay('expiring', 'g', { from: t0 })).toEqual({ replayed: 2 });
    await drain(postbox, 'expiring.g', 2);

    const currentHour = `${t0.toISOString().slice(0, 13).replace(/[-T]/g, '')}`;
    expect(await partitions('published_messages')).toContain(`published_messages_p${currentHour}`);
    // 23 hours later nothing is due yet (the longest retention is 24 h).
    const notYet = await postbox.maintainArchive({ now: new Date(t0.getTime() + 23 * 3_600_000) });
    expect(notYet.dropped).not.toContain(`published_messages_p${currentHour}`);
    const later = await postbox.maintainArchive({ now: new Date(t0.getTime() + 72 * 3_600_000) });
    expect(later.dropped).toContain(`published_messages_p${currentHour}`);
    expect(later.dropped).toContain(`archived_messages_p${currentHour}`);
    expect(later.busy).toEqual([]);
    expect(await partitions('published_messages')).not.toContain(`published_messages_p${currentHour}`);
    expect(await count(`select count(*) as n from postbox.published_messages where topic = 'expiring'`)).toBe(0);
    expect(await count(`select count(*) as n from postbox.archived_messages where queue = 'acked-expiring'`)).toBe(0);
    expect(await postbox.replay('expiring', 'g', { from: t0 })).toEqual({ replayed: 0 });
    expect(await postbox.replay('acked-expiring', { from: t0 })).toEqual({ replayed: 0 });
    // Partitions for the future were made ahead of the injected time.
    const future = new Date(t0.getTime() + 74 * 3_600_000).toISOString().slice(0, 13).replace(/[-T]/g, '');
    expect(await partitions('published_messages')).toContain(`published_messages_p${future}`);

    // Publishing and acking still work afterwards (the current hour goes to the default partition).
    await postbox.publish('expiring', { body: 3 });
    expect((await drain(postbox, 'expiring.g', 1)).map((m) => m.body)).toEqual([3]);
    expect(await postbox.replay('expiring', 'g', { from: t0 })).toEqual({ replayed: 1 });
  });
});
