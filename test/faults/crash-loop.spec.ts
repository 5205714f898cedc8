import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { sleep, until } from '../setup/until';

const fixture = path.join(__dirname, '..', 'fixtures', 'consumer-process.ts');

function startConsumerProcess(url: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: url, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`consumer process exited early with ${code}`)));
  });
}

/**
 * Issue 10 item 10: a lease-mode consumer SIGKILLed every 0.4-0.9 s with
 * batch 500 dead-lettered 115 of 5,000 messages whose handler never ran:
 * every message in its local buffer lost an attempt at each death.
 *
 * The guarantee now (consumer/lease-claims.ts): the claim counts the
 * attempt durably, and a crash spends an attempt of each message claimed
 * and not yet started, which the claim sizer keeps to what the handlers
 * need, far below batchSize. Measured here, as attempts counted minus
 * handler starts over every message (acked ones read from the archive):
 * 97, 148 and 185 over 10 kills in three runs (at most 1 on any message);
 * 178 and 199 once the consumer buffered two claims' worth. The handler never fails, so no message may die, and
 * none may be lost.
 */
describe('a crash-looping consumer', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await useTestDatabase();
  });

  it('dead-letters nothing, loses nothing, and spends few attempts on messages no handler saw', async () => {
    const postbox = await db.postbox();
    const client = await db.client();
    await client.query('create table deliveries (message_id bigint not null, pid int not null)');
    // Three attempts: a message dies once it was claimed three times without an ack.
    // Retention keeps each acked message (with its attempt count) in the archive.
    await postbox.createQueue('crash-loop', { visibilityTimeoutMs: 1_000, maxAttempts: 3, retentionMs: 3_600_000 });
    const ids: string[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const sent = await postbox.sendBatch(
        'crash-loop',
        Array.from({ length: 1_000 }, (_, i) => ({ body: batch * 1_000 + i })),
      );
      ids.push(...sent.ids);
    }

    const kills = 10;
    let killedWithBuffer = 0;
    for (let k = 0; k < kills; k++) {
      const child = await startConsumerProcess(db.url, {
        QUEUE: 'crash-loop',
        BATCH_SIZE: '500',
        CONCURRENCY: '5',
        HANDLER_MS: '2',
        VISIBILITY_MS: '1000',
      });
      await sleep(400 + Math.random() * 500);
      const { inFlight } = await postbox.getQueueStats('crash-loop');
      if (inFlight > 5) killedWithBuffer++;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // The test means something only if the kills caught claimed, unstarted messages.
    expect(killedWithBuffer).toBeGreaterThan(0);

    const handled = new Set<string>();
    const consumer = await postbox.consume(
      'crash-loop',
      async (m) => {
        await client.query('insert into deliveries (message_id, pid) values ($1, 0)', [m.id]);
        handled.add(m.id);
      },
      { concurrency: 10, pollIntervalMs: 100 },
    );
    await until(
      async () => {
        const stats = await postbox.getQueueStats('crash-loop');
        return stats.ready + stats.inFlight + stats.delayed === 0;
      },
      { timeoutMs: 90_000, what: 'queue drained' },
    );
    await consumer.stop();

    const { rows: dead } = await client.query('select count(*)::int as n from postbox.dead_letters');
    expect(dead[0].n).toBe(0);
    expect((await postbox.getQueueStats('crash-loop')).dead).toBe(0);
    const { rows: started } = await client.query('select distinct message_id::text as id from deliveries');
    const everHandled = new Set([...handled, ...started.map((r: { id: string }) => r.id)]);
    expect([...ids].filter((id) => !everHandled.has(id))).toEqual([]);

    // Attempts counted without a handler start: each acked message's final
    // count minus the times a handler started on it.
    const { rows: waste } = await client.query(
      `select a.id::text, a.attempts - count(d.message_id)::int as unstarted
       from postbox.archived_messages a left join deliveries d on d.message_id = a.id
       where a.queue = 'crash-loop' group by a.id, a.attempts`,
    );
    expect(waste).toHaveLength(ids.length);
    const unstarted = waste.reduce((sum: number, r: { unstarted: number }) => sum + r.unstarted, 0);
    const worst = Math.max(...waste.map((r: { unstarted: number }) => r.unstarted));
    console.log(
      `crash loop: ${kills} kills, ${unstarted} attempts counted without a handler start, at most ${worst} on one message`,
    );
    // Never negative: no handler started without its attempt counted.
    expect(Math.min(...waste.map((r: { unstarted: number }) => r.unstarted))).toBeGreaterThanOrEqual(0);
    // A kill costs at most one buffer, and the buffer stays far below batchSize (500).
    expect(unstarted).toBeLessThan(kills * 100);
    expect(worst).toBeLessThan(3);
  }, 180_000);
});
