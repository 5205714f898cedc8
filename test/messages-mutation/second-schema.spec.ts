import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../libs/core/src/database/run-migrations';
import { ack } from '../../libs/core/src/messages/ack';
import { sendWithPgClient } from '../../libs/core/src/messages/send-with-pg-client';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';

/**
 * Verbs given `{ schema }` on a database holding two Postbox schemas
 * (`postbox` and `side`, ~1 s of migrations): the pg-client outbox writes
 * into the schema it is given, and the memory of which queues archive keeps
 * the same queue name in two schemas apart. Written to kill survivors of
 * `npm run test:mutation` (docs/mutation-testing.md).
 */
describe('two schemas, one database', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let side: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
    await runMigrations({ connectionString: db.url, schema: 'side' });
    side = await db.postbox({ schema: 'side' });
  });

  async function count(schema: string, table: string, queue: string): Promise<number> {
    const { rows } = await client.query(`select count(*)::int as n from ${schema}.${table} where queue = $1`, [queue]);
    return rows[0].n;
  }

  it('sendWithPgClient writes into the schema it is given', async () => {
    await side.createQueue('side-only');
    const own = new pg.Client(db.url);
    await own.connect();
    try {
      const { ids } = await sendWithPgClient(own, 'side-only', [{ body: 1 }, { body: 2 }], { schema: 'side' });
      expect(ids).toHaveLength(2);
    } finally {
      await own.end();
    }
    expect(await count('side', 'messages', 'side-only')).toBe(2);
    expect(await count('postbox', 'messages', 'side-only')).toBe(0);
    expect((await side.receive('side-only', { max: 5 })).map((m) => m.body)).toEqual([1, 2]);
  });

  it('remembers archiving per schema: the same queue name archives in one and not the other', async () => {
    await postbox.createQueue('both');
    await side.createQueue('both', { retentionMs: 60_000 });
    const deliver = async (box: Postbox, body: string) => {
      await box.send('both', { body });
      const [m] = await box.receive('both', { max: 1 });
      return m?.receipt as string;
    };
    // One executor for both schemas, so one memory.
    expect(await ack(postbox.db, 'both', [await deliver(postbox, 'p1')], { schema: 'postbox' })).toEqual({
      acked: 1,
      stale: [],
    });
    expect(await ack(postbox.db, 'both', [await deliver(side, 's1')], { schema: 'side' })).toEqual({
      acked: 1,
      stale: [],
    });
    expect(await ack(postbox.db, 'both', [await deliver(postbox, 'p2')], { schema: 'postbox' })).toEqual({
      acked: 1,
      stale: [],
    });
    expect(await ack(postbox.db, 'both', [await deliver(side, 's2')], { schema: 'side' })).toEqual({
      acked: 1,
      stale: [],
    });
    expect(await count('postbox', 'archived_messages', 'both')).toBe(0);
    expect(await count('side', 'archived_messages', 'both')).toBe(2);
    expect(await count('postbox', 'messages', 'both')).toBe(0);
    expect(await count('side', 'messages', 'both')).toBe(0);
  });
});
