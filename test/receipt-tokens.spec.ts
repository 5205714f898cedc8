import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Postbox, parseReceipt } from '../libs/core/src/index';
import { openTestPostbox } from './setup/test-database';

/**
 * Issue 10 item 11: a receipt is a capability (whoever holds it may ack,
 * nack or extend the delivery), so its lease token must not be predictable.
 * It came from random() (a seeded PRNG); it now takes 62 bits of
 * gen_random_uuid() (the OS CSPRNG), migration 000007; since issue 14, one
 * draw per claim keys an md5 per message (00-lease-token.sql).
 */
describe('lease tokens', () => {
  let postbox: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await postbox.createQueue('tokens');
  });

  it('1,000 receipts carry 1,000 distinct tokens spread over all 62 bits', async () => {
    for (let i = 0; i < 1_000; i += 500) {
      await postbox.sendBatch(
        'tokens',
        Array.from({ length: 500 }, (_, j) => ({ body: i + j })),
      );
    }
    const received = [...(await postbox.receive('tokens', { max: 1000 }))];
    expect(received).toHaveLength(1_000);
    const tokens = received.map((m) => BigInt(parseReceipt(m.receipt).token));
    expect(new Set(tokens).size).toBe(1_000);
    const limit = 1n << 62n;
    for (const token of tokens) expect(token >= 0n && token < limit).toBe(true);
    // Every one of the 62 bits is set in some token and clear in another
    // (each fails by chance with probability 2^-999): no fixed bits, no
    // 53-bit float scaled up as random() * 2^53 gave.
    const anyOne = tokens.reduce((a, t) => a | t, 0n);
    const allOnes = tokens.reduce((a, t) => a & t, limit - 1n);
    expect(anyOne).toBe(limit - 1n);
    expect(allOnes).toBe(0n);
  });

  it('the claim draws one gen_random_uuid() per claim and derives each token through md5, never random()', async () => {
    const { rows } = await client.query<{ name: string; src: string }>(
      `select proname as name, prosrc as src from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'postbox' and proname in ('claim_messages', 'lease_token_for', 'new_lease_token')`,
    );
    const source = Object.fromEntries(rows.map((r) => [r.name, r.src]));
    expect(source.claim_messages).toContain('gen_random_uuid()::text as claim_key');
    expect(source.claim_messages).toContain('lease_token_for(q.claim_key, m.id)');
    expect(source.claim_messages).not.toMatch(/\brandom\(\)/);
    expect(source.lease_token_for).toContain('md5(claim_key');
    expect(source.new_lease_token).toContain('gen_random_uuid()');
  });

  it('tokens of one claim share no arithmetic with their ids, and a redelivery draws a new token', async () => {
    await postbox.sendBatch(
      'tokens',
      Array.from({ length: 50 }, (_, i) => ({ body: i })),
    );
    const first = await postbox.receive('tokens', { max: 50, visibilityTimeoutMs: 1 });
    expect(first).toHaveLength(50);
    const pairs = first.map((m) => parseReceipt(m.receipt)).map((r) => ({ id: BigInt(r.id), token: BigInt(r.token) }));
    // A key derived as id xor base or id + base would repeat across the claim.
    expect(new Set(pairs.map((p) => p.token ^ p.id)).size).toBe(50);
    expect(new Set(pairs.map((p) => p.token - p.id)).size).toBe(50);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the 1 ms leases run out
    const again = await postbox.receive('tokens', { max: 50 });
    expect(again.map((m) => m.id).sort()).toEqual(first.map((m) => m.id).sort());
    const before = new Map(first.map((m) => [m.id, m.receipt]));
    for (const m of again) expect(m.receipt).not.toBe(before.get(m.id));
    // The first claim's receipts are stale now: acking them acks nothing.
    const stale = await postbox.ack('tokens', [...before.values()]);
    expect(stale.acked).toBe(0);
    expect(stale.stale).toHaveLength(50);
  });
});
