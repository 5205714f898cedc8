import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, QueueNotFoundError } from '../libs/core/src/errors';
import type { Postbox } from '../libs/core/src/postbox';
import { WakeupNotifier } from '../libs/core/src/wakeups/wakeup-notifier';
import { openTestPostbox, type TestDatabase } from './setup/test-database';
import { until } from './setup/until';

/**
 * Postbox.send outside a transaction: concurrent sends to one queue share a
 * statement (group commit), and the wake-up rides in the statement when the
 * client is otherwise idle, after the commit when it is busy.
 */
describe('send: group commit and wake-ups', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
  });

  async function rows(queue: string): Promise<{ id: string; body: unknown; tx: string }[]> {
    const result = await client.query(
      'select id::text as id, body, xmin::text as tx from postbox.messages where queue = $1 order by id',
      [queue],
    );
    return result.rows;
  }

  it('concurrent sends share one statement, and each caller gets the id of its own message', async () => {
    await postbox.createQueue('gc-ids');
    const bodies = Array.from({ length: 50 }, (_, i) => ({ i, text: `message ${i}` }));
    const results = await Promise.all(bodies.map((body) => postbox.send('gc-ids', { body })));
    expect(results.every((r) => r.duplicate === false)).toBe(true);
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    const stored = await rows('gc-ids');
    const bodyById = new Map(stored.map((r) => [r.id, r.body]));
    results.forEach((r, i) => {
      expect(bodyById.get(r.id)).toEqual(bodies[i]);
    });
    // Issued in one turn of the event loop, they were committed by one transaction.
    expect(new Set(stored.map((r) => r.tx)).size).toBe(1);
    // Ids follow the call order.
    expect(results.map((r) => Number(r.id))).toEqual(results.map((r) => Number(r.id)).sort((a, b) => a - b));
  });

  it('sends arriving while a statement is in flight ride the next one', async () => {
    await postbox.createQueue('gc-waves');
    const total = 400;
    let next = 0;
    const ids: string[] = [];
    // 8 producers, each awaiting its own send, as a service's request handlers would.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const n = next++;
          ids[n] = (await postbox.send('gc-waves', { body: { n } })).id;
        }
      }),
    );
    const stored = await rows('gc-waves');
    expect(stored).toHaveLength(total);
    const bodyById = new Map(stored.map((r) => [r.id, r.body]));
    ids.forEach((id, n) => {
      expect(bodyById.get(id)).toEqual({ n });
    });
    // One transaction per send would be 400.
    expect(new Set(stored.map((r) => r.tx)).size).toBeLessThan(total / 4);
  });

  it('a send whose promise resolved is committed: a fresh connection sees it at once', async () => {
    await postbox.createQueue('gc-durable');
    const readers = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      const checks: Promise<void>[] = [];
      const sends = Array.from({ length: 30 }, (_, i) =>
        postbox.send('gc-durable', { body: { i } }).then(({ id }) => {
          checks.push(
            readers.query('select body from postbox.messages where id = $1', [id]).then((r) => {
              expect(r.rows).toEqual([{ body: { i } }]);
            }),
          );
        }),
      );
      await Promise.all(sends);
      await Promise.all(checks);
      expect(checks).toHaveLength(30);
    } finally {
      await readers.end();
    }
  });

  it('a message that cannot be stored fails its own caller only; its neighbours are stored', async () => {
    await postbox.createQueue('gc-bad');
    const calls = Array.from({ length: 10 }, (_, i) =>
      // jsonb has no NUL character: refused before the message joins the shared statement.
      postbox.send('gc-bad', { body: i === 6 ? { text: 'nul \u0000 here' } : { i } }),
    );
    // A message that fails validation never joins the batch, and names its field as a lone send does.
    const invalid = postbox.send('gc-bad', { body: 'x', priority: 1.5 }).catch((error: unknown) => error);
    const settled = await Promise.allSettled(calls);
    expect(await invalid).toBeInstanceOf(InvalidInputError);
    expect(String(await invalid)).toMatch(/: priority must be a 32-bit integer$/);
    expect(settled.map((s) => s.status)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === 6 ? 'rejected' : 'fulfilled')),
    );
    expect((settled[6] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidInputError);
    expect(String((settled[6] as PromiseRejectedResult).reason)).toMatch(/: body must not contain NUL characters/);
    const stored = await rows('gc-bad');
    expect(stored.map((r) => r.body)).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9].map((i) => ({ i })));
    const ids = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.id] : []));
    expect(stored.map((r) => r.id)).toEqual(ids);
  });

  it('an unknown queue fails every coalesced caller with QueueNotFoundError', async () => {
    const settled = await Promise.allSettled([1, 2, 3].map((i) => postbox.send('gc-missing', { body: i })));
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(QueueNotFoundError);
    }
  });

  it('two sends with the same dedup key in one statement: one message, the same id, one marked duplicate', async () => {
    await postbox.createQueue('gc-dedup');
    const [first, second, other] = await Promise.all([
      postbox.send('gc-dedup', { body: 'first', dedupKey: 'k1' }),
      postbox.send('gc-dedup', { body: 'second', dedupKey: 'k1' }),
      postbox.send('gc-dedup', { body: 'other' }),
    ]);
    expect(first).toEqual({ id: expect.any(String), duplicate: false });
    expect(second).toEqual({ id: first?.id, duplicate: true });
    expect(other?.duplicate).toBe(false);
    const stored = await rows('gc-dedup');
    expect(stored.map((r) => r.body)).toEqual(['first', 'other']);
    expect(new Set(stored.map((r) => r.tx)).size).toBe(1);
    // And a later send of the key, on its own, is a duplicate of the same message.
    expect(await postbox.send('gc-dedup', { body: 'third', dedupKey: 'k1' })).toEqual({
      id: first?.id,
      duplicate: true,
    });
  });

  it('close() waits for sends still pending', async () => {
    const own = await db.postbox();
    await own.createQueue('gc-close');
    const sends = Array.from({ length: 20 }, (_, i) => own.send('gc-close', { body: i }));
    await own.close();
    const results = await Promise.all(sends);
    expect(results).toHaveLength(20);
    expect((await rows('gc-close')).map((r) => r.body)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  describe('wake-ups', () => {
    /** A Postbox over a Kysely that records every statement it runs. */
    async function recordingPostbox(): Promise<{ postbox: Postbox; statements: string[]; close(): Promise<void> }> {
      const statements: string[] = [];
      const kysely = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 4 }) }),
        log: (event) => {
          if (event.level !== 'query') return;
          const text = event.query.sql.replace(/\s+/g, ' ');
          // A batch goes through send_plain(queue, batch, notify): its NOTIFY is the last parameter.
          const notify = text.includes('"send_plain"(') ? ` /* notify=${event.query.parameters.at(-1)} */` : '';
          statements.push(text + notify);
        },
      });
      const own = await db.postbox({ db: kysely, connectionString: db.url });
      return {
        postbox: own,
        statements,
        async close() {
          await own.close();
          await kysely.destroy();
        },
      };
    }

    async function listen(): Promise<string[]> {
      const listener = await db.client();
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query('listen "postbox.wakeup"');
      return heard;
    }

    const inserts = (statements: string[]) =>
      statements.filter((s) => s.includes('insert into "postbox"."messages"') || s.includes('"send_plain"('));
    const bareNotifies = (statements: string[]) =>
      statements.filter((s) => s.includes('pg_notify') && !s.includes('insert into'));

    it('idle: the NOTIFY is part of the insert statement, and no second statement follows', async () => {
      const recording = await recordingPostbox();
      try {
        await recording.postbox.createQueue('wake-idle');
        const heard = await listen();
        recording.statements.length = 0;
        await recording.postbox.send('wake-idle', { body: 1 });
        await until(() => heard.includes('wake-idle'), { what: 'the wake-up' });
        expect(inserts(recording.statements)).toHaveLength(1);
        expect(inserts(recording.statements)[0]).toContain('pg_notify');
        expect(bareNotifies(recording.statements)).toEqual([]);
        // A lone batch too.
        await recording.postbox.sendBatch('wake-idle', [{ body: 2 }, { body: 3 }]);
        expect(inserts(recording.statements)).toHaveLength(2);
        expect(inserts(recording.statements)[1]).toContain('notify=true');
        expect(bareNotifies(recording.statements)).toEqual([]);
      } finally {
        await recording.close();
      }
    });

    it('busy: a statement overlapping another commits without NOTIFY, and its queue is woken after the commit', async () => {
      const recording = await recordingPostbox();
      try {
        await recording.postbox.createQueue('wake-busy-a');
        await recording.postbox.createQueue('wake-busy-b');
        const heard = await listen();
        recording.statements.length = 0;
        // Two queues, two statements, started in the same turn: the second overlaps the first.
        await Promise.all([
          recording.postbox.send('wake-busy-a', { body: 'a' }),
          recording.postbox.send('wake-busy-b', { body: 'b' }),
        ]);
        await until(() => heard.includes('wake-busy-a') && heard.includes('wake-busy-b'), { what: 'both wake-ups' });
        const [first, second] = inserts(recording.statements);
        expect(first).toContain('pg_notify');
        expect(second).not.toContain('pg_notify');
        expect(bareNotifies(recording.statements)).toHaveLength(1);
      } finally {
        await recording.close();
      }
    });

    it('the notifier puts the NOTIFY in the statement only when nothing else is in flight', async () => {
      const notifier = new WakeupNotifier(postbox.db);
      const decisions: boolean[] = [];
      let release: () => void = () => {};
      const blocked = new Promise<void>((resolve) => {
        release = resolve;
      });
      const first = notifier.runStatement('nq', async (inStatement) => {
        decisions.push(inStatement);
        await blocked;
      });
      await notifier.runStatement('nq', async (inStatement) => {
        decisions.push(inStatement);
      });
      release();
      await first;
      await notifier.flush(); // the after-commit NOTIFY of the second
      await notifier.runStatement('nq', async (inStatement) => {
        decisions.push(inStatement);
      });
      expect(decisions).toEqual([true, false, true]);
    });

    it.each([
      ['idle', false],
      ['busy', true],
    ])('a consumer that only NOTIFY can wake (poll every 60 s) gets the messages promptly: %s', async (mode, busy) => {
      const queue = `wake-consumer-${mode}`;
      await postbox.createQueue(queue);
      await postbox.createQueue(`${queue}-other`);
      const got: unknown[] = [];
      const consumer = await postbox.consume(queue, (m) => void got.push(m.body), { pollIntervalMs: 60_000 });
      try {
        // Let the consumer's first (empty) claim finish: from here on it sleeps until woken.
        await until(() => consumer.stats.claims >= 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (let round = 0; round < 3; round++) {
          // Busy: a statement for another queue is in flight first, so this one is woken after its commit.
          await Promise.all([
            busy ? postbox.send(`${queue}-other`, { body: round }) : null,
            postbox.send(queue, { body: round }),
          ]);
          await until(() => got.length === round + 1, { timeoutMs: 10_000, what: 'delivery' });
        }
        expect(got).toEqual([0, 1, 2]);
      } finally {
        await consumer.stop();
      }
    });
  });
});
