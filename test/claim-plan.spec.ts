import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/index';
import { openTestPostbox } from './setup/test-database';

/**
 * Issue 14: with true statistics (20,000 waiting, analyzed) the lease
 * claim's UPDATE hash-joined its 500 candidates against a sequential scan of
 * every message: backend CPU 470 ms per 20,000 claimed, 340 ms once the
 * function forbade hash and merge joins (30-claim.sql), 270 ms with one
 * CSPRNG draw per claim (00-lease-token.sql). The claim runs inside a
 * PL/pgSQL function, whose inner plan only auto_explain shows.
 */
describe('the lease claim plan', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const plans: string[] = [];

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await postbox.createQueue('claim-plan');
    for (let i = 0; i < 20_000; i += 1_000) {
      await postbox.sendBatch(
        'claim-plan',
        Array.from({ length: 1_000 }, (_, j) => ({ body: { n: i + j } })),
      );
    }
    await client.query('analyze postbox.messages');
    client.on('notice', (notice) => {
      if (notice.message?.includes('claimed as')) plans.push(notice.message);
    });
    await client.query("load 'auto_explain'");
    await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on;
      set auto_explain.log_level = notice; set client_min_messages = notice`);
  }, 120_000);

  it('finds each of 500 candidates again through the primary key, never a scan of the table', async () => {
    const { rows } = await client.query(`select id from postbox.claim_messages('claim-plan', 500, null, true)`);
    expect(rows).toHaveLength(500);
    expect(plans).toHaveLength(1);
    const plan = plans[0] as string;
    const update = plan.slice(plan.indexOf('CTE claimed'), plan.indexOf('CTE exhausted'));
    expect(update).toContain('Nested Loop');
    expect(update).toContain('Index Scan using messages_pkey on messages');
    expect(plan).not.toContain('Hash Join');
    expect(plan).not.toContain('Merge Join');
    expect(plan).not.toMatch(/Seq Scan on messages/);
  });
});

/**
 * Both claims keep ONE generic plan per connection (plan_cache_mode =
 * force_generic_plan, 30-claim.sql and 31-lock.sql), made at the first
 * call. A connection that first claimed from an empty, never-analyzed queue
 * must not keep a plan fit for an empty table once a backlog arrives: here
 * it still reads the claim index and probes the primary key.
 */
describe('a claim planned on an empty queue', () => {
  it('still probes the indexes after 20,000 messages arrive, in both modes', async () => {
    const { postbox, client } = await openTestPostbox();
    await postbox.createQueue('planned-empty');
    const plans: string[] = [];
    client.on('notice', (notice) => {
      if (notice.message?.includes('plan:')) plans.push(notice.message);
    });
    await client.query("load 'auto_explain'");
    await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on;
      set auto_explain.log_level = notice; set client_min_messages = notice`);
    await client.query(`select * from postbox.claim_messages('planned-empty', 500, null, true)`);
    await client.query('begin');
    await client.query(`select * from postbox.lock_messages('planned-empty', 500)`);
    await client.query('rollback');
    for (let i = 0; i < 20_000; i += 1_000) {
      await postbox.sendBatch(
        'planned-empty',
        Array.from({ length: 1_000 }, (_, j) => ({ body: { n: i + j } })),
      );
    }
    plans.length = 0;
    const leased = await client.query(`select id from postbox.claim_messages('planned-empty', 500, null, true)`);
    await client.query('begin');
    const locked = await client.query(`select id from postbox.lock_messages('planned-empty', 500)`);
    await client.query('rollback');
    expect([leased.rows.length, locked.rows.length]).toEqual([500, 500]);
    const claim = plans.find((p) => p.includes('CTE claimed')) as string;
    const lock = plans.find((p) => p.includes('LockRows')) as string;
    expect(claim.slice(claim.indexOf('CTE claimed'), claim.indexOf('CTE exhausted'))).toContain(
      'Index Scan using messages_pkey on messages',
    );
    for (const plan of [claim, lock]) {
      expect(plan).toContain('Index Scan using messages_claim_idx on messages');
      expect(plan).not.toMatch(/Seq Scan on messages|Hash Join|Merge Join/);
    }
  }, 120_000);
});
