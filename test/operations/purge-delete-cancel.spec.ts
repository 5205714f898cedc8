import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox } from '../setup/test-database';

/** Counts of one queue's messages by state, straight from the tables. */
async function states(client: pg.Client, queue: string) {
  const { rows } = await client.query(
    // A lease claim leaves available_at and writes leased_until (migration 000011).
    `select count(*) filter (where available_at <= now()
                               and (lease_token is null or leased_until is null or leased_until <= now()))::int as ready,
            count(*) filter (where available_at > now() and lease_token is null)::int as delayed,
            count(*) filter (where lease_token is not null
                               and (available_at > now() or leased_until > now()))::int as "inFlight",
            (select count(*)::int from postbox.dead_letters where queue = $1) as dead
     from postbox.messages where queue = $1`,
    [queue],
  );
  return rows[0];
}

/** A queue holding 5 ready, 3 delayed, 2 in flight and 4 dead messages. */
async function fill(postbox: Postbox, queue: string) {
  await postbox.createQueue(queue, { maxAttempts: 1 });
  await postbox.sendBatch(
    queue,
    Array.from({ length: 4 }, (_, i) => ({ body: `dies-${i}` })),
  );
  const dying = await postbox.receive(queue, { max: 4 });
  await postbox.nack(
    queue,
    dying.map((m) => ({ receipt: m.receipt, error: 'boom' })),
  );
  await postbox.sendBatch(queue, [
    ...Array.from({ length: 7 }, (_, i) => ({ body: `ready-${i}` })),
    ...Array.from({ length: 3 }, (_, i) => ({ body: `later-${i}`, delayMs: 3_600_000 })),
  ]);
  const inFlight = await postbox.receive(queue, { max: 2 });
  expect(inFlight).toHaveLength(2);
  return inFlight;
}

describe('purge', () => {
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  it('removes only the states asked for, never in-flight messages, and returns the count', async () => {
    const inFlight = await fill(postbox, 'purge-some');
    expect(await states(client, 'purge-some')).toEqual({ ready: 5, delayed: 3, inFlight: 2, dead: 4 });
    expect(await postbox.purgeQueue('purge-some', ['delayed'])).toBe(3);
    expect(await states(client, 'purge-some')).toEqual({ ready: 5, delayed: 0, inFlight: 2, dead: 4 });
    expect(await postbox.purgeQueue('purge-some', ['ready', 'dead'])).toBe(9);
    expect(await states(client, 'purge-some')).toEqual({ ready: 0, delayed: 0, inFlight: 2, dead: 0 });
    // The in-flight consumer's ack still works.
    expect(
      (
        await postbox.ack(
          'purge-some',
          inFlight.map((m) => m.receipt),
        )
      ).acked,
    ).toBe(2);
  });

  it('works in batches, leaves other queues and messages sent after it started alone', async () => {
    await postbox.createQueue('purge-big');
    await postbox.createQueue('purge-other');
    for (let i = 0; i < 5; i++) {
      await postbox.sendBatch(
        'purge-big',
        Array.from({ length: 1000 }, (_, j) => ({ body: i * 1000 + j })),
      );
    }
    await postbox.send('purge-other', { body: 'keep' });
    expect(await postbox.purgeQueue('purge-big', ['ready'], { batchSize: 700 })).toBe(5000);
    expect(await states(client, 'purge-big')).toMatchObject({ ready: 0 });
    expect(await states(client, 'purge-other')).toMatchObject({ ready: 1 });
  });

  it('skips rows a lock-mode consumer holds (in flight too)', async () => {
    await postbox.createQueue('purge-locked');
    await postbox.sendBatch('purge-locked', [{ body: 1 }, { body: 2 }]);
    await client.query('begin');
    await client.query("select id from postbox.messages where queue = 'purge-locked' order by id limit 1 for update");
    const purged = await postbox.purgeQueue('purge-locked', ['ready']);
    await client.query('rollback');
    expect(purged).toBe(1);
    expect(await states(client, 'purge-locked')).toMatchObject({ ready: 1 });
  });

  it('refuses bad states naming the field, and an unknown queue', async () => {
    await expect(postbox.purgeQueue('purge-some', [])).rejects.toThrow('states must list one or more');
    await expect(postbox.purgeQueue('purge-some', ['inFlight' as never])).rejects.toThrow(
      'states[0] must be one of ready, delayed, dead',
    );
    await expect(postbox.purgeQueue('nope', ['ready'])).rejects.toThrow('queue "nope" does not exist');
  });

  it('is a psql function too', async () => {
    await fill(postbox, 'purge-sql');
    const { rows } = await client.query("select postbox.purge_queue('purge-sql', array['ready','delayed']) as n");
    expect(Number(rows[0].n)).toBe(8);
    expect(await states(client, 'purge-sql')).toEqual({ ready: 0, delayed: 0, inFlight: 2, dead: 4 });
    await expect(client.query("select postbox.purge_queue('purge-sql', array['inFlight'])")).rejects.toThrow(
      'states must list one or more of ready, delayed, dead',
    );
  });
});

describe('delete one message', () => {
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await postbox.createQueue('del', { maxAttempts: 1 });
  });

  it('deletes a ready, a delayed and a dead message by id; 404 for an unknown one', async () => {
    const { ids } = await postbox.sendBatch('del', [{ body: 'a' }, { body: 'b', delayMs: 60_000 }, { body: 'c' }]);
    await postbox.deleteMessage('del', ids[0] as string);
    await postbox.deleteMessage('del', ids[1] as string);
    const [c] = await postbox.receive('del');
    await postbox.nack('del', [{ receipt: c?.receipt as string }]);
    await postbox.deleteMessage('del', ids[2] as string); // now a dead letter
    const { rows } = await client.query(
      "select (select count(*) from postbox.messages where queue = 'del')::int + (select count(*) from postbox.dead_letters where queue = 'del')::int as n",
    );
    expect(rows[0].n).toBe(0);
    await expect(postbox.deleteMessage('del', ids[0] as string)).rejects.toThrow(
      `message ${ids[0]} is not in queue "del"`,
    );
    await expect(postbox.deleteMessage('other', ids[0] as string)).rejects.toThrow('is not in queue "other"');
    await expect(postbox.deleteMessage('del', 'x1')).rejects.toThrow('id must be a message id');
  });

  it('refuses an in-flight message unless forced; the forced one leaves the consumer a stale receipt', async () => {
    const { id } = await postbox.send('del', { body: 'busy' });
    const [m] = await postbox.receive('del');
    await expect(postbox.deleteMessage('del', id)).rejects.toThrow(`message ${id} is in flight`);
    expect((await client.query('select count(*)::int as n from postbox.messages where id = $1', [id])).rows[0].n).toBe(
      1,
    );
    await postbox.deleteMessage('del', id, { force: true });
    expect(await postbox.ack('del', [m?.receipt as string])).toMatchObject({ acked: 0, stale: [m?.receipt] });
  });

  it('is a psql function too', async () => {
    const { id } = await postbox.send('del', { body: 'sql' });
    const { rows } = await client.query("select postbox.delete_message('del', $1) as outcome", [id]);
    expect(rows[0].outcome).toBe('deleted');
    const again = await client.query("select postbox.delete_message('del', $1) as outcome", [id]);
    expect(again.rows[0].outcome).toBe('not_found');
  });
});

describe('cancel by dedupKey', () => {
  let postbox: Postbox;
  let client: pg.Client;
  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await postbox.createQueue('reminders');
  });

  it('cancels a delayed message and releases its key for a new one', async () => {
    const { id } = await postbox.send('reminders', { body: 'remind', delayMs: 86_400_000, dedupKey: 'order-7' });
    await postbox.send('reminders', { body: 'other', delayMs: 86_400_000, dedupKey: 'order-8' });
    expect(await postbox.cancelByDedupKey('reminders', 'order-7')).toEqual([id]);
    const { rows } = await client.query("select dedup_key from postbox.messages where queue = 'reminders'");
    expect(rows).toEqual([{ dedup_key: 'order-8' }]);
    const again = await postbox.send('reminders', { body: 'rescheduled', delayMs: 1000, dedupKey: 'order-7' });
    expect(again.duplicate).toBe(false);
    expect(again.id).not.toBe(id);
  });

  it('finds a message after its dedup window ended (the key row swept)', async () => {
    const { id } = await postbox.send('reminders', { body: 'far', delayMs: 86_400_000, dedupKey: 'far' });
    await client.query("delete from postbox.dedup_keys where dedup_key = 'far'");
    expect(await postbox.cancelByDedupKey('reminders', 'far')).toEqual([id]);
  });

  it('409 while in flight, 404 for none, 400 for a bad key', async () => {
    await postbox.send('reminders', { body: 'now', dedupKey: 'busy' });
    const claimed = await postbox.receive('reminders', { max: 10 });
    expect(claimed.map((m) => m.body)).toContain('now');
    await expect(postbox.cancelByDedupKey('reminders', 'busy')).rejects.toThrow(
      'the message with dedupKey "busy" is in flight',
    );
    await expect(postbox.cancelByDedupKey('reminders', 'never')).rejects.toThrow(
      'no message with dedupKey "never" waits in queue "reminders"',
    );
    await expect(postbox.cancelByDedupKey('reminders', '')).rejects.toThrow('dedupKey must be a string of 1 to 256');
  });

  it('is a psql function too', async () => {
    const { id } = await postbox.send('reminders', { body: 'x', delayMs: 60_000, dedupKey: 'sql-key' });
    const { rows } = await client.query(
      "select id::text, outcome from postbox.cancel_by_dedup_key('reminders', 'sql-key')",
    );
    expect(rows).toEqual([{ id, outcome: 'cancelled' }]);
  });
});
