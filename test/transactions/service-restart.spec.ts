import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/server/src/database/embedded-postgres';
import { request, until } from '../server/test-server';
import { type Exit, spawnNode } from '../setup/node-process';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { answer, ProducerServer } from './producer-server';

const ROOT = path.resolve(__dirname, '../..');
// Built once for the run by test/setup/global-setup.ts.
const MAIN = path.join(ROOT, 'apps/server/dist/cli/main.js');

interface RunningService {
  child: ChildProcess;
  url: string;
  exited: Promise<Exit>;
  logs(): string;
}

/**
 * The real service process (compiled: Nest needs decorator metadata, which
 * tsx does not emit) is SIGKILLed after a prepare and before its check-back
 * is due; a new service process must still check the transaction back.
 */
describe('the service process restarted between prepare and check-back', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let producer: ProducerServer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await useTestDatabase();
    client = await db.client();
    producer = await new ProducerServer().start();
  }, 180_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await producer.close();
  });

  async function startService(): Promise<RunningService> {
    const port = await freePort();
    const running = spawnNode(MAIN, ['serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        POSTBOX_CHECKBACK_ALLOW: '127.0.0.1',
      },
    });
    const { child, output: logs, exited } = running;
    children.push(child);
    await until(() => {
      if (child.exitCode !== null) throw new Error(`service exited early:\n${logs()}`);
      return logs().includes('listening on');
    }, 120_000);
    return { child, url: `http://127.0.0.1:${port}`, exited, logs };
  }

  it('is still checked back by the next service process, once', async () => {
    const first = await startService();
    expect((await request(first.url, 'POST', '/v1/queues', { body: { name: 'restart' } })).status).toBe(201);
    const prepared = await request(first.url, 'POST', '/v1/transactions', {
      body: { queue: 'restart', body: { order: 7 }, checkbackUrl: producer.url, checkAfterMs: 2_000 },
    });
    expect(prepared.status).toBe(201);
    const id = prepared.body.transactionId as string;
    producer.script(id, answer('commit'));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(producer.callsFor(id)).toEqual([]);
    const { rows } = await client.query('select state, checks from postbox.transactions where id = $1', [id]);
    expect(rows).toEqual([{ state: 'prepared', checks: 0 }]);

    const second = await startService();
    await until(
      async () => (await request(second.url, 'GET', `/v1/transactions/${id}`)).body.state === 'committed',
      60_000,
    );
    expect((await request(second.url, 'GET', `/v1/transactions/${id}`)).body).toMatchObject({
      state: 'committed',
      checks: 1,
      resolvedBy: 'checkback',
    });
    expect(producer.callsFor(id)).toHaveLength(1);
    const received = await request(second.url, 'POST', '/v1/queues/restart/receive', { body: { max: 10 } });
    expect(received.body.messages.map((m: { body: unknown }) => m.body)).toEqual([{ order: 7 }]);
    expect(second.logs()).toContain(`transaction ${id} check 1 via url: committed`);

    // A graceful stop stops the runner too, and the process exits cleanly.
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});
