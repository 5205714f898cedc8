import { type RawBuilder, sql } from 'kysely';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/index';
import { ackStatement } from '../libs/core/src/messages/ack';
import { extendStatement } from '../libs/core/src/messages/extend';
import { nackStatement } from '../libs/core/src/messages/nack';
import { releaseStatement } from '../libs/core/src/messages/release';
import { openTestPostbox } from './setup/test-database';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * Issue 10 item 9: right after a burst, with statistics taken while the
 * table was small, `DELETE … USING unnest(…)` hash-joined the whole table
 * (0.43-3.4 s per ack of 10). Recreated here: stats at 10 rows, then 200,000
 * rows nobody analyzed; each receipt statement must still probe the primary
 * key, never read the table.
 */
describe('ack, nack, extend and release plans under stale statistics', () => {
  let postbox: Postbox;
  let client: pg.Client;
  let deliveries: { id: string; token: string }[];

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await postbox.createQueue('plans');
    // Autovacuum must not refresh the statistics behind the test's back.
    await client.query('alter table postbox.messages set (autovacuum_enabled = false)');
    await client.query(`insert into postbox.messages (queue, body, lease_token, available_at)
      select 'plans', '1'::jsonb, g, now() + interval '1 minute' from generate_series(1, 10) g`);
    await client.query('analyze postbox.messages');
    await client.query(`insert into postbox.messages (queue, body, lease_token, available_at)
      select 'plans', '1'::jsonb, g, now() + interval '1 minute' from generate_series(11, 200000) g`);
    const stats = await client.query(
      `select reltuples::int as tuples from pg_class where oid = 'postbox.messages'::regclass`,
    );
    expect(stats.rows[0].tuples).toBe(10);
    const { rows } = await client.query(
      `select id::text, lease_token::text as token from postbox.messages order by id desc limit 10`,
    );
    deliveries = rows;
  }, 120_000);

  /**
   * The statement's plan, also with nested loops disabled: a planner that
   * believes the table small or the receipts many (what stale statistics
   * made it believe in the bench) joins by hash or merge instead, and then
   * only an `id = any(…)` condition keeps the read of messages to the
   * receipts' own rows. The old `using unnest(…)` join read the whole table.
   */
  async function plansOf(statement: RawBuilder<unknown>): Promise<PlanNode[][]> {
    const explain = async (db: typeof postbox.db) => {
      const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>`explain (format json) ${statement}`.execute(
        db,
      );
      return nodes((rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
    };
    const asIs = await explain(postbox.db);
    const noNestedLoop = await postbox.db.transaction().execute(async (trx) => {
      await sql`set local enable_nestloop = off`.execute(trx);
      return explain(trx);
    });
    return [asIs, noNestedLoop];
  }

  function expectPrimaryKeyProbes(plans: PlanNode[][], label: string): void {
    for (const plan of plans) expectProbes(plan, label);
  }

  function expectProbes(plan: PlanNode[], label: string): void {
    const reads = plan.filter((n) => n['Relation Name'] === 'messages' && /Scan$/.test(n['Node Type']));
    expect(reads.length, label).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read['Node Type'], `${label}: ${JSON.stringify(plan.map((n) => n['Node Type']))}`).not.toBe('Seq Scan');
      const probe = read['Index Name'] ? read : read.Plans?.find((n) => n['Node Type'] === 'Bitmap Index Scan');
      expect(probe?.['Index Name'], label).toBe('messages_pkey');
      // A probe per receipt, not a walk of the whole index (a merge join's full index scan).
      expect(probe?.['Index Cond'], label).toMatch(/^\(id = /);
    }
    expect(
      plan.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'messages'),
      label,
    ).toEqual([]);
  }

  it('ack', async () => {
    expectPrimaryKeyProbes(await plansOf(ackStatement('plans', deliveries)), 'ack');
  });

  it('nack (lease and lock mode)', async () => {
    const failed = deliveries.map((d) => ({ ...d, error: 'boom' }));
    expectPrimaryKeyProbes(await plansOf(nackStatement('plans', failed)), 'nack');
    expectPrimaryKeyProbes(await plansOf(nackStatement('plans', failed, { heldLock: true })), 'nack (lock)');
  });

  it('extend', async () => {
    expectPrimaryKeyProbes(await plansOf(extendStatement('plans', deliveries, 30_000)), 'extend');
  });

  it('release', async () => {
    expectPrimaryKeyProbes(await plansOf(releaseStatement('plans', deliveries)), 'release');
  });

  it('the statements still act on exactly the receipts that match (stale token: nothing)', async () => {
    const [current, other] = deliveries as [{ id: string; token: string }, { id: string; token: string }];
    const stale = { id: other.id, token: String(BigInt(other.token) + 1n) };
    const { rows } = await ackStatement('plans', [current, stale]).execute(postbox.db);
    expect(rows.map((r) => String(r.id))).toEqual([current.id]);
  });
});
