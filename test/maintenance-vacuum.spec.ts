import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Postbox } from '../libs/core/src';
import { vacuumQueueTables } from '../libs/core/src/maintenance/vacuum-queue-tables';
import { openTestPostbox, type TestDatabase } from './setup/test-database';
import { sleep, until } from './setup/until';

/**
 * The vacuum sweep (maintenance/vacuum-queue-tables.ts): a queue table whose
 * dead rows pass the bound is vacuumed by Postbox's maintenance, not left
 * for autovacuum's next visit (up to a minute away); one process at a time;
 * a role that may not vacuum is told once and nothing fails.
 */
describe('maintenance: vacuum of the queue tables', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  const role = `postbox_vacuum_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox({ maintenance: false }));
    // Autovacuum off for this file's database copy: it would race the sweep
    // (migration 000013 has it take the table at 10,000 dead rows).
    await client.query('alter table postbox.messages set (autovacuum_enabled = false)');
    await postbox.createQueue('churn');
    await postbox.createQueue('churned');
  });

  afterAll(async () => {
    await client.query(`drop owned by ${role}`).catch(() => {});
    await client.query(`drop role if exists ${role}`).catch(() => {});
  });

  const stats = async () => {
    const { rows } = await client.query(
      `select n_dead_tup::int as dead, vacuum_count::int as vacuums
       from pg_stat_user_tables where relid = 'postbox.messages'::regclass`,
    );
    return rows[0] as { dead: number; vacuums: number };
  };

  /** 20,000 inserted and deleted: 20,000 dead rows, once this backend's counts reach the shared statistics. */
  const churn = async () => {
    await client.query(
      "insert into postbox.messages (queue, body) select 'churned', to_jsonb(g) from generate_series(1, 20000) g",
    );
    await client.query("delete from postbox.messages where queue = 'churned'");
    await until(async () => (await stats()).dead >= 20_000, { what: 'n_dead_tup to count the deleted rows' });
  };

  it('vacuums messages once its dead rows pass the bound, and the claim still reads the index', async () => {
    await client.query(
      "insert into postbox.messages (queue, body) select 'churn', to_jsonb(g) from generate_series(1, 5000) g",
    );
    const below = await postbox.maintenance.runOnce();
    expect(below.find((p) => p.sweep === 'vacuum')?.changed).toBe(0); // nothing over 10,000 yet
    await churn();
    const before = await stats();
    const passes = await postbox.maintenance.runOnce();
    expect(passes.find((p) => p.sweep === 'vacuum')?.changed).toBe(1);
    const after = await stats();
    expect(after.vacuums).toBe(before.vacuums + 1);
    expect(after.dead).toBeLessThan(1_000);
    // The claim's candidate scan after the vacuum, with the settings
    // claim_messages() pins (migrations/functions/30-claim.sql): the ordered
    // index, no sort. (VACUUM does not refresh column statistics; the function
    // pins the plan against stale ones.)
    const plan = await postbox.db.transaction().execute(async (trx) => {
      await sql`set local enable_sort = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`
        explain select id from postbox.messages
        where queue = 'churn' and available_at <= now()
        order by priority, available_at, id limit 10 for update skip locked`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using messages_claim_idx/);
    expect(plan).not.toMatch(/\bSort\b/);
    const [first] = await postbox.receive('churn');
    expect(first?.body).toBe(1);
  });

  it('lets one process vacuum at a time: a held sweep is skipped, and two at once vacuum once', async () => {
    await churn();
    // Another process holds the sweep (the lock vacuum-queue-tables.ts takes).
    const lock = [0x73776570, 'postbox.vacuum'];
    await client.query('select pg_advisory_lock($1, hashtext($2))', lock);
    expect(await vacuumQueueTables(postbox.db)).toBeNull();
    await client.query('select pg_advisory_unlock($1, hashtext($2))', lock);

    const before = await stats();
    const other = await db.postbox({ maintenance: false });
    const passes = await Promise.all([postbox, other].map((p) => p.maintenance.runOnce()));
    const vacuumed = passes.map((pass) => pass.find((p) => p.sweep === 'vacuum')?.changed ?? 0);
    expect(vacuumed.reduce((a, b) => a + b, 0)).toBe(1);
    expect((await stats()).vacuums).toBe(before.vacuums + 1);
  });

  it('refuses inside a transaction: VACUUM cannot run in one', async () => {
    await expect(postbox.db.transaction().execute((trx) => vacuumQueueTables(trx))).rejects.toThrow(
      'VACUUM cannot run inside a transaction',
    );
  });

  it('skips a table the role may not vacuum, says so once, and keeps running', async () => {
    // An application role with DML on the tables, as a deployment that
    // migrates with an owner role and runs with another would have.
    await client.query(`create role ${role} login password 'vacuum'`);
    await client.query(`grant usage on schema postbox to ${role}`);
    await client.query(`grant select, insert, update, delete on all tables in schema postbox to ${role}`);
    await client.query(`grant usage on all sequences in schema postbox to ${role}`);
    await churn();
    const url = new URL(db.url);
    url.username = role;
    url.password = 'vacuum';

    const errors: string[] = [];
    const app = await Postbox.create({
      connectionString: url.toString(),
      maintenance: { vacuumIntervalMs: 20 },
      onError: (error) => errors.push(String(error)),
    });
    try {
      expect(await vacuumQueueTables(app.db)).toEqual({ vacuumed: [], notPermitted: ['messages'] });
      await until(() => errors.some((e) => e.includes('may not VACUUM')), { what: 'the refusal reported' });
      await sleep(300); // a dozen more passes on the 20 ms interval
      expect(errors.filter((e) => e.includes('may not VACUUM'))).toEqual([
        'Error: maintenance: this role may not VACUUM postbox.messages (not its owner): its dead rows are left to autovacuum; vacuumIntervalMs: false turns this sweep off',
      ]);
      expect((await stats()).dead).toBeGreaterThanOrEqual(20_000);
    } finally {
      await app.close();
    }
    await postbox.maintenance.runOnce(); // the owner can
    expect((await stats()).dead).toBeLessThan(1_000);
  });

  it('is off with vacuumIntervalMs: false', async () => {
    const off = await db.postbox({ maintenance: { vacuumIntervalMs: false } });
    const passes = await off.maintenance.runOnce();
    expect(passes.map((p) => p.sweep)).not.toContain('vacuum');
  });
});
