import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../apps/server/src/database/embedded-postgres';
import { request, until } from '../server/test-server';
import { type NodeProcess, spawnNode } from '../setup/node-process';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { launchBrowser, noBrowser, signIn } from './browser';

const root = path.resolve(__dirname, '../..');
// Built once for the run by test/setup/global-setup.ts: the build must have copied the page's modules.
const main = path.join(root, 'apps/server/dist/cli/main.js');
const KEY = 'built-dashboard-key';

/** The compiled service (`postbox serve`) serves the dashboard from its own dist, and the page loads nothing from elsewhere. */
describe('dashboard from the built package', () => {
  let db: TestDatabase;
  let server: NodeProcess;
  let url: string;

  beforeAll(async () => {
    db = await useTestDatabase();
    if (!existsSync(main)) throw new Error(`no ${main}: the global setup builds it`);
    expect(existsSync(path.join(root, 'apps/server/dist/dashboard/assets/app.js'))).toBe(true);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: db.url };
    env.POSTBOX_API_KEY = KEY;
    delete env.POSTBOX_SCHEMA;
    server = spawnNode(main, ['serve'], { cwd: root, env });
    await until(async () => {
      if (server.child.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
      return (await request(url, 'GET', '/health').catch(() => null))?.status === 200;
    }, 60_000);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('answers the page and every module it imports', async () => {
    const page = await request(url, 'GET', '/');
    expect(page.status).toBe(200);
    const modules = [...page.text.matchAll(/\.\/dashboard\/([\w.-]+)/g)].map((m) => m[1]);
    expect(modules).toEqual(expect.arrayContaining(['app.js', 'dashboard.css', 'preact.mjs', 'hooks.mjs', 'htm.mjs']));
    for (const file of modules) expect((await request(url, 'GET', `/dashboard/${file}`)).status, file).toBe(200);
  });

  it.skipIf(noBrowser !== null)('signs in and renders with every request going to the service itself', async () => {
    const browser = await launchBrowser();
    try {
      const requested: string[] = [];
      const page = await signIn(browser, url, KEY);
      page.on('request', (r) => {
        requested.push(r.url());
      });
      await page.reload();
      await page.getByTestId('live').filter({ hasText: 'Live' }).waitFor();
      expect(requested.length).toBeGreaterThan(5);
      expect(requested.filter((u) => !u.startsWith(`${url}/`))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
