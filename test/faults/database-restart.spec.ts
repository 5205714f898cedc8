import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPostgres, startEmbeddedPostgres } from '../../apps/server/src/database/embedded-postgres';
import { runMigrations } from '../../libs/core/src/database/run-migrations';
import { Postbox } from '../../libs/core/src/postbox';
import { sleep, until } from '../setup/until';

/**
 * Restarts a real PostgreSQL under a running consumer. This file runs its own
 * embedded server (persistent data dir, fixed port for the restart) so the
 * restart does not disturb the other test files sharing the main server.
 */
describe('database restart under a running consumer', () => {
  const dataDir = path.join(os.tmpdir(), `postbox-restart-${process.pid}-${Date.now()}`);
  let server: RunningPostgres;
  let port: number;

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dataDir, port: 0, persistent: true, database: 'restart' });
    port = server.port;
    await runMigrations({ connectionString: server.connectionString });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loses no message and applies none twice; the listener reconnects and wakes the consumer', async () => {
    const errors: unknown[] = [];
    const postbox = await Postbox.create({ connectionString: server.connectionString, onError: (e) => errors.push(e) });
    try {
      await postbox.createQueue('survivor', { visibilityTimeoutMs: 5_000 });
      const handled = new Map<number, number>();
      const consumer = await postbox.consume(
        'survivor',
        async (m) => {
          handled.set(m.body as number, (handled.get(m.body as number) ?? 0) + 1);
        },
        { pollIntervalMs: 60_000, concurrency: 4 },
      );
      await postbox.sendBatch(
        'survivor',
        Array.from({ length: 100 }, (_, i) => ({ body: i })),
      );
      while (handled.size < 100) await sleep(20);

      await server.stop();
      server = await startEmbeddedPostgres({ dataDir, port, persistent: true, database: 'restart' });
      const connectsBefore = postbox.listener.connects;
      // Sends retry until the pool reaches the new server.
      for (;;) {
        try {
          await postbox.sendBatch(
            'survivor',
            Array.from({ length: 100 }, (_, i) => ({ body: 100 + i })),
          );
          break;
        } catch {
          await sleep(100);
        }
      }
      const deadline = Date.now() + 30_000;
      while (handled.size < 200 && Date.now() < deadline) await sleep(50);
      await consumer.stop();
      expect(handled.size).toBe(200);
      // Acked before the restart means acked: nothing was handled twice.
      expect([...handled.values()].filter((n) => n !== 1)).toEqual([]);
      expect(postbox.listener.connects).toBeGreaterThan(connectsBefore - 1);
      const stats = await postbox.getQueueStats('survivor');
      expect(stats.ready + stats.inFlight).toBe(0);
      expect(errors.length).toBeGreaterThan(0); // the outage was seen, and survived
    } finally {
      await postbox.close();
    }
  });

  it('in lock mode: loses no message; a batch whose commit died with the server is delivered again', async () => {
    const errors: unknown[] = [];
    const postbox = await Postbox.create({ connectionString: server.connectionString, onError: (e) => errors.push(e) });
    try {
      await postbox.createQueue('locked-survivor');
      const handled = new Map<number, number>();
      let restarting: Promise<void> | null = null;
      const consumer = await postbox.consume(
        'locked-survivor',
        async (m) => {
          const n = m.body as number;
          handled.set(n, (handled.get(n) ?? 0) + 1);
          // Restart the server while this batch's transaction holds its locks.
          if (n === 150 && !restarting) {
            restarting = (async () => {
              await server.stop();
              server = await startEmbeddedPostgres({ dataDir, port, persistent: true, database: 'restart' });
            })();
            await restarting;
          }
        },
        { pollIntervalMs: 200, concurrency: 1, batchSize: 100, claimMode: 'lock' },
      );
      await postbox.sendBatch(
        'locked-survivor',
        Array.from({ length: 200 }, (_, i) => ({ body: i })),
      );
      await until(() => handled.size === 200, { what: 'every message handled' });
      await until(
        async () => {
          try {
            return (await postbox.getQueueStats('locked-survivor')).ready === 0;
          } catch {
            return false;
          }
        },
        { what: 'the queue empty after the restart' },
      );
      await consumer.stop();
      // At-least-once, not exactly-twice: the batch holding 150 lost its
      // commit with the server, so its messages ran again; a claim that
      // raced the restart on a pooled connection may fail once more and
      // run a batch a third time (seen once: 150 handled 3 times). What is
      // guaranteed: nothing lost, nothing dead-lettered, and every extra
      // delivery is paid for by a failure the consumer reported.
      const stats = await postbox.getQueueStats('locked-survivor');
      expect(stats.ready + stats.inFlight + stats.delayed + stats.dead).toBe(0);
      expect([...handled.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(handled.get(150)).toBeGreaterThanOrEqual(2);
      expect(errors.length).toBeGreaterThan(0);
      const mostDeliveries = Math.max(...handled.values());
      expect(mostDeliveries - 1).toBeLessThanOrEqual(errors.length);
    } finally {
      await postbox.close();
    }
  });
});
