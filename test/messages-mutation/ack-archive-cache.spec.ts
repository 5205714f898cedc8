import type pg from 'pg';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ack } from '../../libs/core/src/messages/ack';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues } from '../setup/fresh-queues';
import { openTestPostbox } from '../setup/test-database';

/**
 * The ack of a queue with a retention (ack-and-archive.ts) and the per-executor
 * memory of which queues archive (acked-retention-cache.ts): what each ack
 * leaves in archived_messages, per queue, across the 10 s the memory lasts.
 * Written to kill survivors of `npm run test:mutation` (docs/mutation-testing.md).
 */
describe('ack with an archive, and the memory of who archives', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('arch', () => postbox);

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Sends one message and claims it: its receipt. */
  async function delivered(queue: string, body: unknown): Promise<string> {
    await postbox.send(queue, { body });
    const [m] = await postbox.receive(queue, { max: 1 });
    expect(m?.body).toEqual(body);
    return m?.receipt as string;
  }

  async function archived(queue: string) {
    const { rows } = await client.query(
      `select body #>> '{}' as body from postbox.archived_messages where queue = $1 order by id`,
      [queue],
    );
    return rows.map((r) => r.body);
  }

  it('archives every ack of a queue with retention, also when its first ack matched nothing', async () => {
    const queue = await fresh({ retentionMs: 60_000 });
    const first = await delivered(queue, 'a');
    expect(await ack(postbox.db, queue, [first])).toEqual({ acked: 1, stale: [] });
    // A stale-only ack returns no row, so it must not teach "does not archive".
    expect(await ack(postbox.db, queue, [first])).toEqual({ acked: 0, stale: [first] });
    const second = await delivered(queue, 'b');
    expect(await ack(postbox.db, queue, [second])).toEqual({ acked: 1, stale: [] });
    expect(await archived(queue)).toEqual(['a', 'b']);

    const late = await fresh({ retentionMs: 60_000 });
    const never = await delivered(late, 'c');
    await client.query('delete from postbox.messages where queue = $1', [late]);
    expect(await ack(postbox.db, late, [never])).toEqual({ acked: 0, stale: [never] });
    const real = await delivered(late, 'd');
    expect(await ack(postbox.db, late, [real])).toEqual({ acked: 1, stale: [] });
    expect(await archived(late)).toEqual(['d']);
  });

  it('remembers per queue: a queue without retention does not stop another from archiving', async () => {
    const plain = await fresh();
    const kept = await fresh({ retentionMs: 60_000 });
    expect(await ack(postbox.db, plain, [await delivered(plain, 'p1')])).toEqual({ acked: 1, stale: [] });
    expect(await ack(postbox.db, kept, [await delivered(kept, 'k1')])).toEqual({ acked: 1, stale: [] });
    expect(await ack(postbox.db, plain, [await delivered(plain, 'p2')])).toEqual({ acked: 1, stale: [] });
    expect(await ack(postbox.db, kept, [await delivered(kept, 'k2')])).toEqual({ acked: 1, stale: [] });
    expect(await archived(plain)).toEqual([]);
    expect(await archived(kept)).toEqual(['k1', 'k2']);
    expect(
      await client.query('select count(*)::int as n from postbox.messages where queue = any($1)', [[plain, kept]]),
    ).toMatchObject({ rows: [{ n: 0 }] });
  });

  it('trusts what it learned for exactly 10 s, then asks the database again', async () => {
    const queue = await fresh();
    const t0 = Date.now();
    /** Acks one new delivery with the clock the memory reads standing at `at`. */
    const ackAt = async (at: number, body: string) => {
      const receipt = await delivered(queue, body);
      const now = vi.spyOn(Date, 'now').mockReturnValue(at);
      try {
        expect(await ack(postbox.db, queue, [receipt])).toEqual({ acked: 1, stale: [] });
      } finally {
        now.mockRestore();
      }
    };
    await ackAt(t0, 'learn'); // no retention: remembered as not archiving until t0 + 10 s
    // The queue gains a retention behind this executor's back (another process re-created it).
    await client.query('update postbox.queues set retention_ms = 60000 where name = $1', [queue]);
    await ackAt(t0 + 5_000, 'within');
    await ackAt(t0 + 10_000, 'at the end');
    expect(await archived(queue)).toEqual([]);
    await ackAt(t0 + 10_001, 'after');
    expect(await archived(queue)).toEqual(['after']);
  });
});
