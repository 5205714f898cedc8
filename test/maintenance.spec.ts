import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { Postbox } from '../libs/core/src';
import { openTestPostbox, type TestDatabase } from './setup/test-database';
import { until } from './setup/until';

/**
 * Housekeeping runs in the library (every process that uses Postbox), not
 * only in the REST service: expired dedup keys, inbox rows and resolved half
 * messages past retention go, and with several processes one sweeps at a time.
 */
describe('maintenance', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox({ maintenance: false }));
  });

  it('is on by default: Postbox.create starts it (the archive partitions appear at start)', async () => {
    const partitions = async () =>
      (
        await client.query(
          "select count(*)::int as n from pg_inherits where inhparent = 'postbox.published_messages'::regclass",
        )
      ).rows[0].n as number;
    expect(await partitions()).toBe(1); // only the default partition in a fresh database
    const defaults = await Postbox.create({ connectionString: db.url }); // no maintenance option at all
    try {
      await until(async () => (await partitions()) > 1, { what: 'hourly partitions created by maintenance' });
    } finally {
      await defaults.close();
    }
  });

  it('sweeps expired dedup keys on its interval, without the service', async () => {
    await postbox.createQueue('short-dedup', { dedupWindowMs: 1 });
    await postbox.createQueue('long-dedup');
    await postbox.send('short-dedup', { body: 1, dedupKey: 'k' });
    await postbox.send('long-dedup', { body: 1, dedupKey: 'k' });
    const swept = await db.postbox({ maintenance: { dedupKeysIntervalMs: 100 } });
    await until(
      async () => {
        const { rows } = await client.query(
          "select count(*)::int as n from postbox.dedup_keys where queue = 'short-dedup'",
        );
        return rows[0].n === 0;
      },
      { timeoutMs: 20_000 },
    );
    const { rows } = await client.query('select queue from postbox.dedup_keys');
    expect(rows).toEqual([{ queue: 'long-dedup' }]);
    await swept.close();
  });

  it('prunes inbox rows and resolved half messages past their retention, in one pass', async () => {
    await client.query(`insert into postbox.inbox (consumer, message_id, processed_at)
      values ('old', 1, now() - interval '8 days'), ('new', 2, now())`);
    await postbox.createQueue('half');
    const committed = await postbox.prepare({ queue: 'half' }, { body: 'x' });
    await postbox.commitTransaction(committed);
    const pending = await postbox.prepare({ queue: 'half' }, { body: 'y' });
    await client.query(`update postbox.transactions set resolved_at = now() - interval '8 days' where id = $1`, [
      committed,
    ]);
    const passes = await postbox.maintenance.runOnce();
    expect(passes.find((p) => p.sweep === 'inbox')?.changed).toBe(1);
    expect(passes.find((p) => p.sweep === 'half-messages')?.changed).toBe(1);
    const { rows: inbox } = await client.query('select consumer from postbox.inbox order by consumer');
    expect(inbox).toEqual([{ consumer: 'new' }]);
    const { rows: left } = await client.query('select id::text from postbox.transactions');
    expect(left).toEqual([{ id: pending }]);
  });

  it('removes expired messages no claim has met (a lock-only or idle queue): dead-lettered or dropped as the queue says', async () => {
    await postbox.createQueue('ttl-idle', { messageTtlMs: 60_000 });
    await postbox.createQueue('ttl-drop', { messageTtlMs: 60_000, expiredTo: 'drop' });
    const past = new Date(Date.now() - 1_000);
    await postbox.sendBatch('ttl-idle', [{ body: 'stale', expiresAt: past }, { body: 'fresh' }]);
    await postbox.sendBatch('ttl-drop', [{ body: 'stale', expiresAt: past }]);
    const passes = await postbox.maintenance.runOnce();
    expect(passes.find((p) => p.sweep === 'expired-messages')?.changed).toBe(2);
    const { rows: live } = await client.query(
      "select queue, body from postbox.messages where queue like 'ttl-%' order by queue, id",
    );
    expect(live).toEqual([{ queue: 'ttl-idle', body: 'fresh' }]);
    const { rows: dead } = await client.query(
      "select queue, body, last_error from postbox.dead_letters where queue like 'ttl-%'",
    );
    expect(dead).toEqual([{ queue: 'ttl-idle', body: 'stale', last_error: 'expired' }]);
  });

  it('lets one process run a sweep at a time: the others skip the pass', async () => {
    await client.query(`insert into postbox.inbox (consumer, message_id, processed_at)
      select 'bulk', g, now() - interval '8 days' from generate_series(1, 20000) g`);
    const others = await Promise.all([db.postbox({ maintenance: false }), db.postbox({ maintenance: false })]);
    const passes = await Promise.all([postbox, ...others].map((p) => p.maintenance.runOnce()));
    const inbox = passes.map((pass) => pass.find((p) => p.sweep === 'inbox')?.changed ?? null);
    // Whoever ran deleted all 20,000; a process that found the sweep taken reports null (or 0 after it ended).
    expect(inbox.reduce<number>((sum, n) => sum + (n ?? 0), 0)).toBe(20_000);
    const { rows } = await client.query("select count(*)::int as n from postbox.inbox where consumer = 'bulk'");
    expect(rows[0].n).toBe(0);
    await Promise.all(others.map((p) => p.close()));
  });
});
