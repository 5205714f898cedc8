import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../libs/core/src/consumer/consumer';
import { ConsumerLifecycle } from '../../libs/core/src/consumer/consumer-state';
import { UnrecoverableError } from '../../libs/core/src/errors';
import type { Postbox } from '../../libs/core/src/postbox';
import { freshQueues, messageRows } from '../setup/fresh-queues';
import { openTestPostbox } from '../setup/test-database';
import { sleep, until } from '../setup/until';

/**
 * The consumer's run loop (consumer.ts, consumer-state.ts, handle-message.ts,
 * delivery-events.ts) judged by exact outcomes: error texts, state names,
 * stats counters, rows. Written to kill the mutants of
 * `npm run test:mutation:consumer` (docs/mutation-testing.md), so every spec
 * is short (well under a second unmutated) and a hanging mutant fails at the
 * mutation config's 8 s test timeout.
 */
describe('consumer run loop, exactly', () => {
  let postbox: Postbox;
  let client: pg.Client;
  const fresh = freshQueues('loop', () => postbox);
  const rows = (queue: string) => messageRows(client, queue);

  beforeAll(async () => {
    ({ postbox, client } = await openTestPostbox());
  });

  it('refuses bad options with their own error text, and takes the edges of each range', async () => {
    const queue = await fresh();
    const make = (options: ConstructorParameters<typeof Consumer>[3]) =>
      new Consumer({ db: postbox.db, schema: postbox.schema }, queue, () => {}, options);
    for (const concurrency of [0, -1, 1.5]) {
      expect(() => make({ concurrency })).toThrow(/^concurrency must be >= 1$/);
    }
    for (const batchSize of [0, 1001, 2.5]) {
      expect(() => make({ batchSize })).toThrow(/^batchSize must be between 1 and 1000$/);
    }
    expect(() => make({ claimMode: 'queue' as 'lease' })).toThrow(/^claimMode must be 'lease' or 'lock'$/);
    expect(() => make({ exactlyOnce: { consumer: '' } })).toThrow('exactlyOnce.consumer');
    expect(() => make({ claimMode: 'lock', exactlyOnce: { consumer: 'c' } })).toThrow(
      /^exactlyOnce needs claimMode 'lease'$/,
    );
    // The edges are allowed.
    for (const options of [{ concurrency: 1, batchSize: 1 }, { batchSize: 1000 }, { claimMode: 'lock' as const }]) {
      expect(make(options).state).toBe('created');
    }
    expect(make({ exactlyOnce: { consumer: 'c' } }).state).toBe('created');
  });

  it('moves created → running → stopped, refuses a second start, and stop() is one promise', async () => {
    const queue = await fresh();
    const consumer = new Consumer({ db: postbox.db, schema: postbox.schema }, queue, () => {}, {});
    expect(consumer.state).toBe('created');
    expect(await consumer.start()).toBe(consumer);
    expect(consumer.state).toBe('running');
    await expect(consumer.start()).rejects.toThrow(/^consumer cannot go from running to starting$/);
    const stopping = consumer.stop();
    expect(consumer.state).toBe('draining');
    expect(consumer.stop()).toBe(stopping);
    await stopping;
    expect(consumer.state).toBe('stopped');
    await expect(consumer.start()).rejects.toThrow(/^consumer cannot go from stopped to starting$/);
  });

  it('stop() while starting: start() claims nothing and the message stays untouched', async () => {
    const queue = await fresh();
    await postbox.send(queue, { body: 'left' });
    let handled = 0;
    const consumer = new Consumer({ db: postbox.db, schema: postbox.schema }, queue, () => void handled++, {
      pollIntervalMs: 20,
    });
    const started = consumer.start();
    expect(consumer.state).toBe('starting');
    await consumer.stop();
    expect(await started).toBe(consumer);
    await sleep(100);
    expect(consumer.state).toBe('stopped');
    expect(consumer.stats.claims).toBe(0);
    expect(handled).toBe(0);
    expect(await rows(queue)).toEqual([{ body: 'left', attempts: 0, leased: false, last_error: null }]);
  });

  it('stop() before start(): straight to stopped, and start() then refuses', async () => {
    const queue = await fresh();
    const consumer = new Consumer({ db: postbox.db, schema: postbox.schema }, queue, () => {}, {});
    await consumer.stop();
    expect(consumer.state).toBe('stopped');
    await expect(consumer.start()).rejects.toThrow(/^consumer cannot go from stopped to starting$/);
  });

  it('an unknown queue fails start()', async () => {
    const consumer = new Consumer({ db: postbox.db, schema: postbox.schema }, 'no-such-queue', () => {}, {});
    await expect(consumer.start()).rejects.toThrow(/no-such-queue/);
  });

  it('runs exactly `concurrency` handlers at once, never more', async () => {
    const queue = await fresh();
    await postbox.sendBatch(
      queue,
      Array.from({ length: 12 }, (_, i) => ({ body: i })),
    );
    let running = 0;
    let most = 0;
    let done = 0;
    const consumer = await postbox.consume(
      queue,
      async () => {
        running++;
        most = Math.max(most, running);
        await sleep(30);
        running--;
        done++;
      },
      { concurrency: 3, pollIntervalMs: 20 },
    );
    expect(consumer.inFlight).toBeGreaterThanOrEqual(0);
    await until(() => done === 12 && consumer.stats.acked === 12);
    expect(consumer.inFlight).toBe(0);
    await consumer.stop();
    expect(most).toBe(3);
    expect(await rows(queue)).toEqual([]);
  });

  for (const claimMode of ['lease', 'lock'] as const) {
    it(`counts every hand-over exactly and reports handler errors with queue and id (${claimMode} mode)`, async () => {
      const queue = await fresh({ maxAttempts: 2, backoff: { initialMs: 60_000, maxMs: 60_000 } });
      const { ids } = await postbox.sendBatch(queue, [
        { body: 'ok-1' },
        { body: 'retry' },
        { body: 'ok-2' },
        { body: 'poison' },
        { body: 'ok-3' },
      ]);
      const reported: [unknown, unknown][] = [];
      const consumer = await postbox.consume(
        queue,
        (m) => {
          if (m.body === 'retry') throw new RangeError('try later');
          if (m.body === 'poison') throw new UnrecoverableError('bad body');
        },
        {
          claimMode,
          concurrency: 5,
          batchSize: 5,
          pollIntervalMs: 60_000,
          onError: (error, context) => reported.push([error, context]),
        },
      );
      await until(() => consumer.stats.acked === 3 && consumer.stats.nacked === 2);
      await consumer.stop();
      expect(consumer.stats).toMatchObject({
        claimed: 5,
        started: 5,
        acked: 3,
        nacked: 2,
        retried: 1,
        deadLettered: 1,
        released: 0,
      });
      expect(consumer.stats.claims).toBeGreaterThanOrEqual(1);
      expect(
        reported
          .map(([error, context]) => [(error as Error).message, context])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      ).toEqual([
        ['bad body', { queue, messageId: ids[3] }],
        ['try later', { queue, messageId: ids[1] }],
      ]);
      // The retried one waits out its backoff with its error; the poison one is dead with its own.
      expect(await rows(queue)).toEqual([
        { body: 'retry', attempts: 1, leased: false, last_error: 'RangeError: try later' },
      ]);
      const [dead] = await postbox.peek(queue, 'dead');
      expect(dead).toMatchObject({ id: ids[3], attempts: 1, lastError: 'UnrecoverableError: bad body' });
    });
  }

  it('stop() without a timeout waits for the running handler and acks it', async () => {
    const queue = await fresh();
    await postbox.send(queue, { body: 'slow' });
    let finished = false;
    const consumer = await postbox.consume(
      queue,
      async () => {
        await sleep(150);
        finished = true;
      },
      { pollIntervalMs: 20 },
    );
    await until(() => consumer.stats.started === 1);
    expect(consumer.inFlight).toBe(1);
    await consumer.stop();
    expect(finished).toBe(true);
    expect(consumer.stats.acked).toBe(1);
    expect(await rows(queue)).toEqual([]);
  });

  it('stop({timeoutMs}) aborts a stuck handler with "consumer stopped" and leaves its message leased, unacked', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch(queue, [{ body: 'quick' }, { body: 'stuck' }]);
    let reason: unknown;
    const consumer = await postbox.consume(
      queue,
      async (m, { signal }) => {
        if (m.body !== 'stuck') return;
        reason = await new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
      },
      { concurrency: 2, pollIntervalMs: 20 },
    );
    await until(() => consumer.stats.started === 2 && consumer.stats.acked === 1);
    const stopAt = Date.now();
    await consumer.stop({ timeoutMs: 100 });
    expect(Date.now() - stopAt).toBeLessThan(5_000);
    expect(consumer.state).toBe('stopped');
    expect((reason as Error).message).toBe('consumer stopped');
    expect(consumer.stats.acked).toBe(1);
    expect(consumer.stats.nacked).toBe(0);
    expect(consumer.inFlight).toBe(0);
    expect(await rows(queue)).toEqual([{ body: 'stuck', attempts: 1, leased: true, last_error: null }]);
  });

  it('stop({timeoutMs}) with handlers that finish in time acks them all', async () => {
    const queue = await fresh();
    await postbox.sendBatch(queue, [{ body: 'a' }, { body: 'b' }]);
    const consumer = await postbox.consume(queue, () => sleep(50), { concurrency: 2, pollIntervalMs: 20 });
    await until(() => consumer.stats.started === 2);
    await consumer.stop({ timeoutMs: 5_000 });
    expect(consumer.stats.acked).toBe(2);
    expect(await rows(queue)).toEqual([]);
  });

  it('on stop gives the buffered messages back with their attempt, and counts them released', async () => {
    const queue = await fresh({ visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch(
      queue,
      Array.from({ length: 6 }, (_, i) => ({ body: i })),
    );
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = await postbox.consume(queue, () => gate, { concurrency: 2, batchSize: 4, pollIntervalMs: 20 });
    // Two running, four buffered (the claim sizer starts at the concurrency: two claims' worth ahead).
    await until(() => consumer.stats.started === 2 && consumer.inFlight === 6);
    const stopping = consumer.stop();
    await until(() => consumer.stats.released === 4);
    release();
    await stopping;
    expect(consumer.stats).toMatchObject({ claims: 3, claimed: 6, started: 2, acked: 2, released: 4 });
    expect(await rows(queue)).toEqual([
      { body: '2', attempts: 0, leased: false, last_error: null },
      { body: '3', attempts: 0, leased: false, last_error: null },
      { body: '4', attempts: 0, leased: false, last_error: null },
      { body: '5', attempts: 0, leased: false, last_error: null },
    ]);
  });

  it('a handler sees its signal unaborted while it holds the message', async () => {
    const queue = await fresh();
    await postbox.send(queue, { body: 1 });
    const seen: boolean[] = [];
    const consumer = await postbox.consume(queue, (_m, { signal }) => void seen.push(signal.aborted), {
      pollIntervalMs: 20,
    });
    await until(() => consumer.stats.acked === 1);
    await consumer.stop();
    expect(seen).toEqual([false]);
  });

  it('exactly-once: the handler gets a transaction, the ack rides it, the inbox remembers', async () => {
    const queue = await fresh();
    const { id } = await postbox.send(queue, { body: 'once' });
    const contexts: unknown[] = [];
    const consumer = await postbox.consume(
      queue,
      (_m, context) => {
        contexts.push([typeof context.trx?.selectFrom, context.signal.aborted]);
      },
      { exactlyOnce: { consumer: 'loop-eo' }, pollIntervalMs: 20 },
    );
    await until(() => consumer.stats.acked === 1);
    await consumer.stop();
    expect(contexts).toEqual([['function', false]]);
    expect(consumer.stats).toMatchObject({ claimed: 1, started: 1, acked: 1, nacked: 0 });
    expect(await rows(queue)).toEqual([]);
    const { rows: inbox } = await client.query('select consumer, message_id::text as id from postbox.inbox');
    expect(inbox).toEqual([{ consumer: 'loop-eo', id: String(id) }]);
  });

  it('a claim that fails is reported without a message id and retried with a doubling delay', async () => {
    const queue = await fresh();
    const errors: [unknown, unknown][] = [];
    await client.query('alter function postbox.claim_messages rename to claim_messages_away');
    let consumer: Consumer | undefined;
    try {
      consumer = await postbox.consume(queue, () => {}, {
        pollIntervalMs: 60_000,
        onError: (error, context) => errors.push([error, context]),
      });
      await sleep(1_000);
    } finally {
      await client.query('alter function postbox.claim_messages_away rename to claim_messages');
    }
    // Delays 100, 200, 400 ms…: 4 attempts in the second (5 with a slow start), not 10 nor 1.
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThanOrEqual(6);
    expect(errors[0]?.[1]).toEqual({ queue, messageId: undefined });
    expect((errors[0]?.[0] as Error).message).toMatch(/claim_messages/);
    // It recovers: the next retry claims.
    await postbox.send(queue, { body: 'after' });
    await until(() => consumer?.stats.acked === 1);
    await consumer?.stop();
  });
});

describe('ConsumerLifecycle', () => {
  it('allows only the one way through, naming both states when refused', () => {
    const life = new ConsumerLifecycle();
    expect([life.state, life.running, life.stopping]).toEqual(['created', false, false]);
    expect(() => life.moveTo('running')).toThrow(/^consumer cannot go from created to running$/);
    expect(() => life.moveTo('stopped')).toThrow(/^consumer cannot go from created to stopped$/);
    life.moveTo('starting');
    expect([life.state, life.running, life.stopping]).toEqual(['starting', false, false]);
    expect(() => life.moveTo('starting')).toThrow('consumer cannot go from starting to starting');
    expect(() => life.moveTo('stopped')).toThrow('consumer cannot go from starting to stopped');
    life.moveTo('running');
    expect([life.state, life.running, life.stopping]).toEqual(['running', true, false]);
    expect(() => life.moveTo('starting')).toThrow('consumer cannot go from running to starting');
    expect(() => life.moveTo('stopped')).toThrow('consumer cannot go from running to stopped');
    expect(() => life.moveTo('running')).toThrow('consumer cannot go from running to running');
    life.moveTo('draining');
    expect([life.state, life.running, life.stopping]).toEqual(['draining', false, true]);
    expect(() => life.moveTo('running')).toThrow('consumer cannot go from draining to running');
    expect(() => life.moveTo('draining')).toThrow('consumer cannot go from draining to draining');
    life.moveTo('stopped');
    expect([life.state, life.running, life.stopping]).toEqual(['stopped', false, true]);
    for (const next of ['created', 'starting', 'running', 'draining', 'stopped'] as const) {
      expect(() => life.moveTo(next)).toThrow(`consumer cannot go from stopped to ${next}`);
    }
    // created and starting may go straight to draining (stop before or during start).
    const early = new ConsumerLifecycle();
    early.moveTo('draining');
    expect(early.state).toBe('draining');
    const starting = new ConsumerLifecycle();
    starting.moveTo('starting');
    starting.moveTo('draining');
    expect(starting.stopping).toBe(true);
  });
});
