import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Held, SourceContext } from '../../libs/core/src/consumer/claim-source';
import { DeliveryEvents } from '../../libs/core/src/consumer/delivery-events';
import { LeaseClaims } from '../../libs/core/src/consumer/lease-claims';
import { LockClaims } from '../../libs/core/src/consumer/lock-claims';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues, messageRows } from '../setup/fresh-queues';
import { openTestPostbox } from '../setup/test-database';
import { sleep, until } from '../setup/until';

/**
 * The two claim sources (lease-claims.ts, lock-claims.ts) judged by exact
 * numbers and rows: how much each asks for, what a failed ack or nack
 * does, how leases are extended and lost. Written for
 * `npm run test:mutation:consumer` (docs/mutation-testing.md): short specs,
 * so a mutant that hangs fails at the mutation config's 8 s test timeout.
 *
 * A failed write is made with a trigger in this file's own database: it
 * refuses an UPDATE or DELETE of the rows whose body is listed in
 * public.refuse, so one statement of the consumer fails while the others
 * (the claim, the other rows) go through.
 */
describe('claim sources, exactly', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('source', () => postbox);
  const rows = (queue: string) => messageRows(client, queue);
  const refuse = (op: 'UPDATE' | 'DELETE', body: string) =>
    client.query('insert into public.refuse values ($1, $2)', [op, JSON.stringify(body)]);
  const allow = () => client.query('delete from public.refuse');
  const context = (queue: string, held: Held[] = []): SourceContext & { reported: unknown[] } => {
    const reported: unknown[] = [];
    return {
      queue,
      schema: postbox.schema,
      events: new DeliveryEvents(),
      stopping: () => false,
      held: () => held,
      wake: () => {},
      report: (error) => reported.push(error),
      reported,
    };
  };

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
    await client.query(`
      create table public.refuse (op text not null, body jsonb not null);
      create function public.refuse_write() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from public.refuse r where r.op = tg_op and r.body = old.body) then
          raise exception 'refused % of %', tg_op, old.body;
        end if;
        return case when tg_op = 'DELETE' then old else new end;
      end $$;
      create trigger refuse_write before update or delete on postbox.messages
        for each row execute function public.refuse_write();`);
  });

  it('lease mode asks for room for the handlers plus two claims, and only once half a claim fits', async () => {
    const source = new LeaseClaims(postbox.db, context(await fresh()), 4, 100, 30_000);
    try {
      // The claim size starts at the concurrency (4): 4 + 2 × 4 - inFlight, at most 4, at least 2.
      expect([0, 7, 8, 9, 10, 11, 12, 16].map((inFlight) => source.want(inFlight))).toEqual([4, 4, 4, 3, 2, 0, 0, 0]);
    } finally {
      await source.drain(Date.now());
    }
    const odd = new LeaseClaims(postbox.db, context(await fresh()), 3, 100, 30_000);
    try {
      // Half of 3 rounds up to 2.
      expect([0, 6, 7, 8].map((inFlight) => odd.want(inFlight))).toEqual([3, 3, 2, 0]);
    } finally {
      await odd.drain(Date.now());
    }
  });

  it('lock mode asks for a whole batch while two fit, and for nothing with three claim transactions open', async () => {
    const queue = await fresh();
    await postbox.sendBatch(queue, [{ body: 'a' }, { body: 'b' }, { body: 'c' }, { body: 'd' }]);
    const ctx = context(queue);
    const source = new LockClaims(postbox.db, ctx, 2, 10, 1000, false);
    // 2 + 2 × 10 - inFlight, at most 10, at least 5.
    expect([0, 12, 13, 17, 18, 30].map((inFlight) => source.want(inFlight))).toEqual([10, 10, 9, 5, 0, 0]);
    const claims = [await source.claim(1), await source.claim(1)];
    expect(source.want(0)).toBe(10);
    claims.push(await source.claim(1));
    expect(claims.map((c) => [c.held.length, c.full])).toEqual([
      [1, true],
      [1, true],
      [1, true],
    ]);
    // Three transactions hold their rows: no fourth.
    expect(source.want(0)).toBe(0);
    const last = await source.claim(5);
    expect([last.held.map((h) => h.message.body), last.full]).toEqual([['d'], false]);
    await source.release([...claims.flatMap((c) => c.held), ...last.held]);
    await source.drain();
    expect(ctx.events.stats).toMatchObject({ claims: 4, claimed: 4, released: 4, acked: 0, nacked: 0 });
    expect(source.want(0)).toBe(10);
    expect(await rows(queue)).toEqual(
      ['a', 'b', 'c', 'd'].map((body) => ({ body, attempts: 0, leased: false, last_error: null })),
    );
    // Claimed again (released rows are ready at once) and acked: one commit writes all four.
    const again = await source.claim(5);
    expect([again.held.length, again.full]).toEqual([4, false]);
    for (const h of again.held) source.settle(h, { ack: true });
    await source.drain();
    expect(ctx.events.stats).toMatchObject({ claims: 5, claimed: 8, acked: 4 });
    expect(await rows(queue)).toEqual([]);
    expect(await source.claim(5)).toEqual({ held: [], full: false });
    await source.drain();
    expect(ctx.reported).toEqual([]);
  });

  it('lease mode: a claim holds its rows for the visibility timeout and counts the attempt', async () => {
    const queue = await fresh();
    await postbox.sendBatch(queue, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const ctx = context(queue);
    const source = new LeaseClaims(postbox.db, ctx, 2, 100, 30_000);
    const before = Date.now();
    const got = await source.claim(2);
    expect(got.full).toBe(true);
    expect(got.held.map((h) => h.message.body)).toEqual(['a', 'b']);
    for (const h of got.held) {
      expect(h.leaseEndsAt).toBeGreaterThanOrEqual(before + 30_000);
      expect(h.leaseEndsAt).toBeLessThanOrEqual(Date.now() + 30_000);
    }
    const rest = await source.claim(2);
    expect([rest.held.length, rest.full]).toEqual([1, false]);
    expect(await rows(queue)).toEqual(
      ['a', 'b', 'c'].map((body) => ({ body, attempts: 1, leased: true, last_error: null })),
    );
    // Released: ready again, the attempt given back.
    await source.release([...got.held, ...rest.held]);
    await source.release([]);
    await source.drain(Date.now());
    expect(ctx.events.stats).toMatchObject({ claims: 2, claimed: 3, released: 3 });
    expect(await rows(queue)).toEqual(
      ['a', 'b', 'c'].map((body) => ({ body, attempts: 0, leased: false, last_error: null })),
    );
  });

  it('lease mode: a refused ack is reported, kept, and written once the database takes it', async () => {
    const queue = await fresh();
    await postbox.send(queue, { body: 'ack-me' });
    const errors: unknown[] = [];
    const consumer = await postbox.consume(queue, () => refuse('DELETE', 'ack-me').then(() => {}), {
      pollIntervalMs: 20,
      onError: (error) => errors.push(error),
    });
    await until(() => errors.length >= 1);
    expect(consumer.stats.acked).toBe(0);
    expect((errors[0] as Error).message).toBe('refused DELETE of "ack-me"');
    await allow();
    await until(() => consumer.stats.acked === 1);
    await consumer.stop();
    expect(await rows(queue)).toEqual([]);
  });

  it('lease mode: a refused nack is kept and written later, with its error and the attempt', async () => {
    const queue = await fresh({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await postbox.send(queue, { body: 'nack-me' });
    const errors: unknown[] = [];
    const consumer = await postbox.consume(
      queue,
      async () => {
        await refuse('UPDATE', 'nack-me');
        throw new Error('handler failed');
      },
      { pollIntervalMs: 20, onError: (error) => errors.push(error) },
    );
    await until(() => errors.some((e) => (e as Error).message.startsWith('refused UPDATE')));
    expect(consumer.stats.nacked).toBe(0);
    await allow();
    await until(() => consumer.stats.nacked === 1);
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ retried: 1, deadLettered: 0, acked: 0 });
    expect(await rows(queue)).toEqual([
      { body: 'nack-me', attempts: 1, leased: false, last_error: 'Error: handler failed' },
    ]);
  });

  it('lease mode: stop({timeoutMs}) gives up on an ack the database keeps refusing', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 60_000 });
    await postbox.send(queue, { body: 'never' });
    await refuse('DELETE', 'never');
    const errors: unknown[] = [];
    const consumer = await postbox.consume(queue, () => {}, {
      pollIntervalMs: 20,
      onError: (error) => errors.push(error),
    });
    await until(() => errors.length >= 1);
    const stopAt = Date.now();
    await consumer.stop({ timeoutMs: 200 });
    // Gives up at the first retry after the deadline (retry delays 100, 200, 400 ms…).
    expect(Date.now() - stopAt).toBeLessThan(4_000);
    await allow();
    expect(consumer.stats.acked).toBe(0);
    expect(await rows(queue)).toEqual([{ body: 'never', attempts: 1, leased: true, last_error: null }]);
  });

  it('lease mode: a stop whose release is refused reports it and still stops', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch(queue, [{ body: 'run' }, { body: 'buffered' }]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const errors: unknown[] = [];
    const consumer = await postbox.consume(queue, () => gate, {
      concurrency: 1,
      pollIntervalMs: 20,
      onError: (error) => errors.push(error),
    });
    await until(() => consumer.stats.started === 1 && consumer.inFlight === 2);
    await refuse('UPDATE', 'buffered');
    const stopping = consumer.stop();
    await until(() => errors.length === 1);
    release();
    await stopping;
    await allow();
    expect((errors[0] as Error).message).toBe('refused UPDATE of "buffered"');
    expect(consumer.stats).toMatchObject({ acked: 1, released: 0 });
    expect(await rows(queue)).toEqual([{ body: 'buffered', attempts: 1, leased: true, last_error: null }]);
  });

  it('lease mode: a long handler has its lease extended before half of it is gone', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 400 });
    await postbox.send(queue, { body: 'long' });
    const leasedUntil = async () =>
      (await client.query(`select leased_until from postbox.messages where queue = $1`, [queue])).rows[0]
        ?.leased_until as Date;
    const seen: Date[] = [];
    let aborted: boolean | undefined;
    const consumer = await postbox.consume(
      queue,
      async (_m, { signal }) => {
        seen.push(await leasedUntil());
        await sleep(900);
        seen.push(await leasedUntil());
        aborted = signal.aborted;
      },
      { pollIntervalMs: 20 },
    );
    await until(() => consumer.stats.acked === 1);
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ claimed: 1, started: 1, acked: 1 });
    // Every extend found the lease still ours: the handler's signal never fired.
    expect(aborted).toBe(false);
    const [first, last] = seen as [Date, Date];
    // Extended every ~133 ms once less than 200 ms was left: the lease ended well after the first one would have.
    expect(last.getTime() - first.getTime()).toBeGreaterThanOrEqual(500);
    expect(await rows(queue)).toEqual([]);
  });

  it('lease mode: an extend that finds the lease taken aborts the handler with "lease lost", and its ack counts nothing', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 300 });
    await postbox.send(queue, { body: 'stolen' });
    let reason: unknown;
    const consumer = await postbox.consume(
      queue,
      async (_m, { signal }) => {
        // Someone else's delivery now holds it (as if the lease had run out and it was claimed again).
        await client.query(`update postbox.messages set lease_token = lease_token + 1 where queue = $1`, [queue]);
        reason = await new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
      },
      { pollIntervalMs: 20 },
    );
    await until(() => reason !== undefined);
    await consumer.stop();
    expect((reason as Error).message).toBe('lease lost');
    expect(consumer.stats).toMatchObject({ started: 1, acked: 0 });
    expect(await rows(queue)).toEqual([{ body: 'stolen', attempts: 1, leased: true, last_error: null }]);
  });

  it('lock mode: exact counts of acks, retries and dead letters, and the rows they leave', async () => {
    const queue = await fresh({ maxAttempts: 2, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await postbox.sendBatch(queue, [{ body: 'ok' }, { body: 'retry' }, { body: 'dead' }, { body: 'retry-2' }]);
    await client.query(`update postbox.messages set attempts = 1 where body = '"dead"'`);
    const consumer = await postbox.consume(
      queue,
      (m) => {
        if (m.body !== 'ok') throw new Error(`no ${m.body}`);
      },
      { claimMode: 'lock', batchSize: 4, concurrency: 4, pollIntervalMs: 20 },
    );
    await until(() => consumer.stats.acked + consumer.stats.nacked === 4);
    await consumer.stop();
    // Two retried, one dead: unequal, so a swapped count shows.
    expect(consumer.stats).toMatchObject({ claimed: 4, started: 4, acked: 1, nacked: 3, retried: 2, deadLettered: 1 });
    expect(await rows(queue)).toEqual([
      { body: 'retry', attempts: 1, leased: false, last_error: 'Error: no retry' },
      { body: 'retry-2', attempts: 1, leased: false, last_error: 'Error: no retry-2' },
    ]);
    const [dead] = await postbox.peek(queue, 'dead');
    expect(dead).toMatchObject({ body: 'dead', attempts: 2, lastError: 'Error: no dead' });
  });

  it('lock mode: a refused ack rolls the batch back and reports it; the message comes again', async () => {
    const queue = await fresh();
    await postbox.send(queue, { body: 'again' });
    const errors: unknown[] = [];
    let runs = 0;
    const consumer = await postbox.consume(
      queue,
      async () => {
        runs++;
        if (runs === 1) await refuse('DELETE', 'again');
        else await allow();
      },
      { claimMode: 'lock', pollIntervalMs: 20, onError: (error) => errors.push(error) },
    );
    await until(() => consumer.stats.acked === 1);
    await consumer.stop();
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['refused DELETE of "again"']);
    expect(await rows(queue)).toEqual([]);
  });
});
