import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/server/src/database/embedded-postgres';
import { type NodeProcess, spawnNode } from '../setup/node-process';
import { request, until } from './test-server';

const root = path.resolve(__dirname, '../..');
// Built once for the run by test/setup/global-setup.ts.
const main = path.join(root, 'apps/server/dist/cli/main.js');

function startServer(env: NodeJS.ProcessEnv): NodeProcess {
  return spawnNode(main, ['serve'], { cwd: root, env });
}

/** Embedded mode at the default log level (LOG_LEVEL unset), whatever the test run's environment says. */
function embeddedEnv(dataDir: string, pgPort: number, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1' };
  for (const name of ['DATABASE_URL', 'POSTBOX_API_KEY', 'POSTBOX_SCHEMA', 'LOG_LEVEL']) delete env[name];
  return { ...env, POSTBOX_DATA_DIR: dataDir, POSTBOX_PG_PORT: String(pgPort), PORT: String(port) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('embedded mode heals its own faults (issue 10 item 7)', () => {
  const started: NodeProcess[] = [];
  const tempDirs: string[] = [];
  const orphans: number[] = [];

  beforeAll(async () => {
    if (!existsSync(main)) throw new Error(`no ${main}: the global setup builds it`);
  });

  afterAll(async () => {
    for (const server of started) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    for (const pid of orphans) if (isAlive(pid)) process.kill(pid, 'SIGQUIT');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function tempDir(): string {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'postbox-orphan-'));
    // Postgres runs as the "postgres" user when we are root and must reach its data dir.
    chmodSync(parent, 0o755);
    tempDirs.push(parent);
    return parent;
  }

  it('after kill -9 of the server, the next start stops the orphaned Postgres and serves', async () => {
    const dataDir = path.join(tempDir(), 'pg');
    const pgPort = await freePort();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = startServer(embeddedEnv(dataDir, pgPort, port));
    started.push(first);
    await until(async () => (await request(url, 'GET', '/health').catch(() => null))?.status === 200, 120_000);
    expect((await request(url, 'POST', '/v1/queues', { body: { name: 'survives' } })).status).toBe(201);
    expect((await request(url, 'POST', '/v1/queues/survives/messages', { body: { body: 1 } })).status).toBe(201);

    first.child.kill('SIGKILL');
    await first.exited;
    // What the issue saw: Postgres outlives the server, holding the data directory.
    const orphan = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    orphans.push(orphan);
    expect(isAlive(orphan)).toBe(true);

    const second = startServer(embeddedEnv(dataDir, pgPort, port));
    started.push(second);
    await until(async () => {
      if (second.child.exitCode !== null) throw new Error(`second start exited:\n${second.output()}`);
      return (await request(url, 'GET', '/health').catch(() => null))?.status === 200;
    }, 120_000);
    expect(second.output()).toContain(`stopping orphaned PostgreSQL (pid ${orphan})`);
    expect(isAlive(orphan)).toBe(false);
    const queue = await request(url, 'GET', '/v1/queues/survives');
    expect(queue.body).toMatchObject({ name: 'survives', ready: 1 });

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 300_000);

  it('a data directory that is a file: the start-up failure says so at the default log level', async () => {
    const dataDir = path.join(tempDir(), 'not-a-dir');
    writeFileSync(dataDir, 'x');
    const server = startServer(embeddedEnv(dataDir, await freePort(), await freePort()));
    started.push(server);
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toMatch(
      /"level":60.*could not start: data directory .*not-a-dir exists and is not a directory/,
    );
  }, 120_000);

  it("Postgres' own reason (its port taken) is in the failure line at the default log level", async () => {
    const blocker = net.createServer();
    const pgPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(pgPort, '127.0.0.1', resolve));
    try {
      const server = startServer(embeddedEnv(path.join(tempDir(), 'pg'), pgPort, await freePort()));
      started.push(server);
      expect((await server.exited).code).toBe(1);
      const fatal = server
        .output()
        .split('\n')
        .find((line) => line.includes('could not start'));
      expect(fatal).toMatch(/"level":60/);
      expect(fatal).toContain('PostgreSQL did not start');
      expect(fatal).toMatch(/could not (bind|create any TCP\/IP sockets)/);
    } finally {
      blocker.close();
    }
  }, 180_000);
});
