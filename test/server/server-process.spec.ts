import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/server/src/database/embedded-postgres';
import { type NodeProcess, spawnNode } from '../setup/node-process';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { request, until } from './test-server';

const root = path.resolve(__dirname, '../..');
// Built once for the run by test/setup/global-setup.ts.
const main = path.join(root, 'apps/server/dist/cli/main.js');

/** `ownProcessGroup`: like a terminal's foreground job, so a group signal reaches Postgres too (Ctrl-C). */
function startServer(env: NodeJS.ProcessEnv, { ownProcessGroup = false } = {}): NodeProcess {
  return spawnNode(main, ['serve'], { cwd: root, env, detached: ownProcessGroup });
}

/** The environment of the test run minus anything that would change which database the server picks. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  for (const name of ['DATABASE_URL', 'POSTBOX_API_KEY', 'POSTBOX_SCHEMA', 'POSTBOX_DATA_DIR', 'POSTBOX_PG_PORT']) {
    delete env[name];
  }
  return env;
}

async function waitForHealth(url: string, server: NodeProcess, timeoutMs = 120_000): Promise<void> {
  await until(async () => {
    if (server.child.exitCode !== null) throw new Error(`server exited early:\n${server.output()}`);
    const res = await request(url, 'GET', '/health').catch(() => null);
    return res?.status === 200;
  }, timeoutMs);
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start (postbox serve)', () => {
  let db: TestDatabase;
  const started: NodeProcess[] = [];
  const tempDirs: string[] = [];

  beforeAll(async () => {
    db = await useTestDatabase();
    if (!existsSync(main)) throw new Error(`no ${main}: the global setup builds it`);
  });

  afterAll(async () => {
    for (const server of started) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        // A detached server leads its own process group (with its Postgres); others are killed alone.
        try {
          process.kill(-(server.child.pid as number), 'SIGKILL');
        } catch {
          server.child.kill('SIGKILL');
        }
        await server.exited;
      }
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('with DATABASE_URL: migrates, serves send/receive/ack, exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startServer({ ...baseEnv(), DATABASE_URL: db.url, PORT: String(port) });
    started.push(server);
    await waitForHealth(url, server);
    expect(server.output()).toContain(`Postbox listening on http://127.0.0.1:${port}`);

    expect((await request(url, 'POST', '/v1/queues', { body: { name: 'over-http' } })).status).toBe(201);
    const sent = await request(url, 'POST', '/v1/queues/over-http/messages', { body: { body: { n: 1 } } });
    expect(sent.status).toBe(201);
    const received = await request(url, 'POST', '/v1/queues/over-http/receive', { body: { waitMs: 1_000 } });
    expect(received.status).toBe(200);
    expect(received.body.messages).toEqual([expect.objectContaining({ id: sent.body.ids[0], body: { n: 1 } })]);
    const acked = await request(url, 'POST', '/v1/queues/over-http/ack', {
      body: { receipts: [received.body.messages[0].receipt] },
    });
    expect(acked.body).toEqual({ acked: 1, stale: [] });

    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it('without DATABASE_URL: starts embedded Postgres, keeps its data across restarts, stops it on SIGINT and Ctrl-C', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'postbox-start-'));
    tempDirs.push(parent);
    // mkdtemp makes it 0700; Postgres runs as the "postgres" user when we are root and must reach its data dir.
    chmodSync(parent, 0o755);
    const dataDir = path.join(parent, 'pg');
    const pgPort = await freePort();
    const env = { ...baseEnv(), POSTBOX_DATA_DIR: dataDir, POSTBOX_PG_PORT: String(pgPort) };

    const runOnce = async (interrupt: 'process' | 'process group', check: (url: string) => Promise<void>) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const server = startServer({ ...env, PORT: String(port) }, { ownProcessGroup: interrupt === 'process group' });
      started.push(server);
      await waitForHealth(url, server);
      expect(server.output()).toContain(`embedded PostgreSQL on port ${pgPort}`);
      await check(url);
      // Ctrl-C in a terminal signals the whole foreground process group: Postgres gets SIGINT at the same time.
      if (interrupt === 'process group') process.kill(-(server.child.pid as number), 'SIGINT');
      else server.child.kill('SIGINT');
      expect((await server.exited).code).toBe(0);
      // Postgres is gone: nothing listens on its port, and it removed its pid file on a clean shutdown.
      expect(await portAcceptsConnections(pgPort)).toBe(false);
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    };

    await runOnce('process', async (url) => {
      expect((await request(url, 'POST', '/v1/queues', { body: { name: 'durable' } })).status).toBe(201);
      expect((await request(url, 'POST', '/v1/queues/durable/messages', { body: { body: 'kept' } })).status).toBe(201);
    });
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);

    await runOnce('process group', async (url) => {
      const queue = await request(url, 'GET', '/v1/queues/durable');
      expect(queue.status).toBe(200);
      expect(queue.body).toMatchObject({ name: 'durable', ready: 1 });
    });
  }, 300_000);
});
