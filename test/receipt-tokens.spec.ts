import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Postbox, parseReceipt } from '../libs/core/src/index';
import { openTestPostbox } from './setup/test-database';

/**
 * Issue 10 item 11: a receipt is a capability (whoever holds it may ack,
 * nack or extend the delivery), so its lease token must not be predictable.
 * It came from random() (a seeded PRNG); it now takes 62 bits of
 * gen_random_uuid() (the OS CSPRNG), migration 000007.
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

  it('the claim draws tokens from gen_random_uuid(), not random()', async () => {
    const { rows } = await client.query<{ name: string; src: string }>(
      `select proname as name, prosrc as src from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'postbox' and proname in ('claim_messages', 'new_lease_token')`,
    );
    const source = Object.fromEntries(rows.map((r) => [r.name, r.src]));
    expect(source.claim_messages).toContain('new_lease_token()');
    expect(source.claim_messages).not.toMatch(/\brandom\(\)/);
    expect(source.new_lease_token).toContain('gen_random_uuid()');
  });
});
