import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../libs/core/src/errors';
import { cancelByDedupKey } from '../../libs/core/src/messages/cancel-by-dedup-key';
import { deleteMessage, MessageNotFoundError } from '../../libs/core/src/messages/delete-message';
import { purgeExpiredDedupKeys } from '../../libs/core/src/messages/purge-dedup-keys';
import { executorForPgClient, sendWithPgClient } from '../../libs/core/src/messages/send-with-pg-client';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues, messageRows } from '../setup/fresh-queues';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';

/**
 * delete-message.ts, cancel-by-dedup-key.ts, purge-dedup-keys.ts and
 * send-with-pg-client.ts, exactly: error classes, names and texts, which
 * rows each leaves, counts and limits. Written to kill survivors of
 * `npm run test:mutation` (docs/mutation-testing.md).
 */
describe('small verbs, exactly', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('small', () => postbox);

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
  });

  async function bodies(queue: string) {
    return (await messageRows(client, queue)).map((r) => r.body);
  }

  it('deleteMessage: refuses a bad id, names a missing one, keeps an in-flight one unless forced', async () => {
    const queue = await fresh();
    const { ids } = await postbox.sendBatch(queue, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    for (const id of ['', 'x', '-1', '99999999999999999999']) {
      const error = await deleteMessage(postbox.db, queue, id).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe('id must be a message id (digits, within bigint)');
    }
    await deleteMessage(postbox.db, queue, ids[1] as string);
    expect(await bodies(queue)).toEqual(['a', 'c']);

    const missing = await deleteMessage(postbox.db, queue, ids[1] as string).catch((e) => e);
    expect(missing).toBeInstanceOf(MessageNotFoundError);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.name).toBe('MessageNotFoundError');
    expect(missing.message).toBe(`message ${ids[1]} is not in queue "${queue}"`);
    expect([missing.queue, missing.id]).toEqual([queue, ids[1]]);
    const elsewhere = await deleteMessage(postbox.db, `${queue}-x`, ids[0] as string).catch((e) => e);
    expect(elsewhere.message).toBe(`message ${ids[0]} is not in queue "${queue}-x"`);

    const [taken] = await postbox.receive(queue, { max: 1 });
    expect(taken?.id).toBe(ids[0]);
    for (const options of [undefined, {}, { force: false }]) {
      const busy = await deleteMessage(postbox.db, queue, ids[0] as string, options).catch((e) => e);
      expect(busy).toBeInstanceOf(ConflictError);
      expect(busy.message).toBe(`message ${ids[0]} is in flight; delete it with force to remove it anyway`);
    }
    expect(await bodies(queue)).toEqual(['a', 'c']);
    await deleteMessage(postbox.db, queue, ids[0] as string, { force: true });
    expect(await bodies(queue)).toEqual(['c']);
  });

  it('cancelByDedupKey: checks the key, returns the ids cancelled, 409 in flight, 404 none', async () => {
    const queue = await fresh();
    for (const key of ['', 'k'.repeat(257), 5]) {
      const error = await cancelByDedupKey(postbox.db, queue, key as string).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe('dedupKey must be a string of 1 to 256 characters');
    }
    await expect(cancelByDedupKey(postbox.db, queue, 'a\u0000')).rejects.toThrow(
      /^dedupKey must not contain NUL characters \(\\u0000\)$/,
    );
    const long = 'k'.repeat(256);
    const { ids } = await postbox.sendBatch(queue, [
      { body: 'one', dedupKey: 'k', delayMs: 60_000 },
      { body: 'long', dedupKey: long },
      { body: 'busy', dedupKey: 'busy' },
      { body: 'other', dedupKey: 'other' },
    ]);
    expect(await cancelByDedupKey(postbox.db, queue, 'k')).toEqual([ids[0]]);
    expect(await cancelByDedupKey(postbox.db, queue, long)).toEqual([ids[1]]);
    expect(await bodies(queue)).toEqual(['busy', 'other']);

    const claimed = await postbox.receive(queue, { max: 1 });
    expect(claimed.map((m) => m.body)).toEqual(['busy']);
    const busy = await cancelByDedupKey(postbox.db, queue, 'busy').catch((e) => e);
    expect(busy).toBeInstanceOf(ConflictError);
    expect(busy.message).toBe('the message with dedupKey "busy" is in flight');
    const none = await cancelByDedupKey(postbox.db, queue, 'k').catch((e) => e);
    expect(none).toBeInstanceOf(NotFoundError);
    expect(none.message).toBe(`no message with dedupKey "k" waits in queue "${queue}"`);
    expect(await bodies(queue)).toEqual(['busy', 'other']);
  });

  it('cancelByDedupKey: a key on two messages (its window ended in between) cancels both', async () => {
    const queue = await fresh();
    const first = await postbox.send(queue, { body: 1, dedupKey: 'twice', delayMs: 60_000 });
    await client.query('delete from postbox.dedup_keys where queue = $1', [queue]);
    const second = await postbox.send(queue, { body: 2, dedupKey: 'twice', delayMs: 60_000 });
    expect(second.duplicate).toBe(false);
    expect((await cancelByDedupKey(postbox.db, queue, 'twice')).sort()).toEqual([first.id, second.id].sort());
    expect(await bodies(queue)).toEqual([]);
  });

  it('purgeExpiredDedupKeys: deletes only keys past their window, up to the limit, and counts them', async () => {
    const queue = await fresh();
    await postbox.sendBatch(
      queue,
      ['e1', 'e2', 'e3', 'live'].map((dedupKey) => ({ body: dedupKey, dedupKey })),
    );
    await client.query(
      `update postbox.dedup_keys set expires_at = now() - interval '1 second' where queue = $1 and dedup_key like 'e%'`,
      [queue],
    );
    const keys = async () =>
      (await client.query('select dedup_key from postbox.dedup_keys where queue = $1 order by 1', [queue])).rows.map(
        (r) => r.dedup_key,
      );
    // Other tests' keys are in the same table but never expired; only ours go.
    expect(await purgeExpiredDedupKeys(postbox.db, { limit: 2 })).toBe(2);
    expect(await keys()).toHaveLength(2);
    expect(await purgeExpiredDedupKeys(postbox.db)).toBe(1);
    expect(await keys()).toEqual(['live']);
    expect(await purgeExpiredDedupKeys(postbox.db)).toBe(0);
  });

  it('sendWithPgClient: in BEGIN the messages follow the commit; every core verb takes the executor', async () => {
    const queue = await fresh();
    const own = new pg.Client(db.url);
    await own.connect();
    try {
      await own.query('begin');
      const result = await sendWithPgClient(own, queue, [{ body: 'x' }, { body: 'y', dedupKey: 'y' }]);
      expect(result.ids).toHaveLength(2);
      expect(result.duplicates).toEqual([]);
      expect(await bodies(queue)).toEqual([]);
      await own.query('commit');
      expect(await bodies(queue)).toEqual(['x', 'y']);
      const again = await sendWithPgClient(own, queue, [{ body: 'z', dedupKey: 'y' }]);
      expect(again).toMatchObject({ ids: [result.ids[1]], duplicates: [0] });

      await deleteMessage(executorForPgClient(own), queue, result.ids[0] as string);
      expect(await bodies(queue)).toEqual(['y']);
    } finally {
      await own.end();
    }
  });
});
