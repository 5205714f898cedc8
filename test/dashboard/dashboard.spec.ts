import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer } from '../server/test-server';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { launchBrowser, noBrowser, signIn } from './browser';

/**
 * The dashboard in headless Chromium against the real service and
 * PostgreSQL: each test clicks what an operator would and then reads the
 * rows, so a page that only looks right fails.
 */
const ADMIN = 'dashboard-admin-key';

describe.skipIf(noBrowser !== null)('dashboard in a browser', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    client = await db.client();
    server = await startTestServer(postbox, { apiKey: ADMIN, logLevel: 'silent', dashboardSampleMs: 300 });
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await page?.close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const count = async (sql: string, params: unknown[] = []) => Number((await client.query(sql, params)).rows[0].n);
  const ready = (queue: string) => count('select count(*) as n from postbox.messages where queue = $1', [queue]);
  const dead = (queue: string) => count('select count(*) as n from postbox.dead_letters where queue = $1', [queue]);
  /** Confirms the open dialog, typing the name first when it asks for it. */
  const confirmDialog = async (typed?: string) => {
    if (typed) await page.getByTestId('confirm-input').fill(typed);
    await page.getByTestId('confirm-ok').click();
  };
  /** Whether a route of API.md is on this branch yet (Express answers "Cannot POST …" when it is not). */
  const routeExists = async (method: string, path: string) => {
    const res = await server.request(method, path, {
      headers: { 'x-api-key': ADMIN },
      body: method === 'GET' ? undefined : {},
    });
    return !(res.status === 404 && /^Cannot /.test(res.body?.message ?? ''));
  };

  it('serves the page and its modules without a key, and nothing else without one', async () => {
    const shell = await fetch(`${server.url}/`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
    for (const file of ['app.js', 'dashboard.css', 'preact.mjs', 'hooks.mjs', 'htm.mjs']) {
      expect((await fetch(`${server.url}/dashboard/${file}`)).status, file).toBe(200);
    }
    expect((await fetch(`${server.url}/dashboard/..%2Fdashboard.module.ts`)).status).toBe(404);
    expect((await fetch(`${server.url}/v1/dashboard/history`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/dashboard/events`)).status).toBe(401);
  });

  it('refuses a wrong key, then shows every queue with its depth from the database', async () => {
    await postbox.createQueue('login.a');
    await postbox.sendBatch('login.a', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-key').fill('not-the-key');
    await page.getByTestId('login-submit').click();
    await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();
    await page.getByTestId('login-key').fill(ADMIN);
    await page.getByTestId('login-submit').click();
    const row = page.getByTestId('queue-row-login.a');
    await expect.poll(() => row.getByTestId('ready').textContent()).toContain(String(await ready('login.a')));
  });

  it('a key limited to some names sees only those queues, and no database-wide rates', async () => {
    await postbox.createQueue('team.visible');
    await postbox.createQueue('other.hidden');
    const made = await server.request('POST', '/v1/keys', {
      headers: { 'x-api-key': ADMIN },
      body: { name: 'team-reader', scopes: ['read'], names: 'team.*' },
    });
    page = await signIn(browser, server.url, made.body.key);
    await page.getByTestId('queue-row-team.visible').waitFor();
    expect(await page.getByTestId('queue-row-other.hidden').count()).toBe(0);
    expect(await page.getByTestId('queue-row-login.a').count()).toBe(0);
    await page.getByText('Database-wide rates are shown to keys that see every queue.').waitFor();
    expect(await page.getByTestId('who').textContent()).toBe('team-readerread · team.*');
    // A read-only key is offered no action: the queue page has no pause, purge or move.
    await page.goto(`${server.url}/#/queues/team.visible`);
    await page.getByTestId('queue-ready').waitFor();
    expect(await page.getByTestId('purge').count()).toBe(0);
    expect(await page.getByTestId('pause').count()).toBe(0);
    await page.goto(`${server.url}/#/queues/other.hidden`);
    await page.getByText('No queue named').waitFor();
    const other = await server.request('GET', '/v1/dashboard/history?queue=other.hidden', {
      headers: { 'x-api-key': made.body.key },
    });
    expect(other.status).toBe(403);
  });

  it('pushes new depth without a reload, and keeps the history across one', async () => {
    await postbox.createQueue('live.q');
    page = await signIn(browser, server.url, ADMIN);
    const row = page.getByTestId('queue-row-live.q');
    await expect.poll(() => row.getByTestId('ready').textContent()).toBe('0');
    await postbox.sendBatch(
      'live.q',
      Array.from({ length: 7 }, (_, i) => ({ body: i })),
    );
    await expect.poll(() => row.getByTestId('ready').textContent(), { timeout: 5000 }).toContain('7');
    const before = (await server.request('GET', '/v1/dashboard/history', { headers: { 'x-api-key': ADMIN } })).body;
    expect(before.points.length).toBeGreaterThan(2);
    const requested: string[] = [];
    page.on('request', (r) => {
      requested.push(new URL(r.url()).pathname);
    });
    await page.reload();
    // The depth chart draws the kept hour at once: a line per series, not "no samples yet".
    await page.getByTestId('chart-depth').locator('path[stroke]').first().waitFor();
    expect(await page.getByTestId('chart-depth').getByText('no samples yet').count()).toBe(0);
    // Viewers never make the service count a backlog: the overview, queue and topic pages read the pushed samples.
    await page.goto(`${server.url}/#/queues/live.q?tab=settings`);
    await page.getByTestId('settings-form').waitFor();
    await page.goto(`${server.url}/#/topics`);
    await page.getByTestId('nav-topics').waitFor();
    const counting = requested.filter((p) => /^\/v1\/(queues|topics)(\/[^/]+)?$/.test(p));
    expect(counting).toEqual([]);
    expect(requested).toContain('/v1/dashboard/events');
  });

  it('browses dead letters with filters, opens one, and redrives it', async () => {
    await postbox.createQueue('browse.q', { maxAttempts: 1 });
    await postbox.sendBatch('browse.q', [
      { body: { n: 1 }, headers: { tenant: 'acme' }, groupKey: 'g-1' },
      { body: { n: 2 }, headers: { tenant: 'globex' }, groupKey: 'g-2' },
    ]);
    const got = await postbox.receive('browse.q', { max: 2 });
    await postbox.nack(
      'browse.q',
      got.map((m) => ({ receipt: m.receipt, error: `boom ${m.body}` })),
    );
    expect(await dead('browse.q')).toBe(2);
    const [first, second] = got.map((m) => m.id).sort((a, b) => Number(a) - Number(b));

    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/queues/browse.q?state=dead`);
    await page.getByTestId(`message-row-${first}`).waitFor();
    await page.getByTestId('filter-header').fill('tenant=globex');
    await expect.poll(() => page.locator('[data-testid^="message-row-"]').count()).toBe(1);
    await page.getByTestId(`message-row-${second}`).waitFor();
    await page.getByTestId('filter-header').fill('');
    await page.getByTestId('filter-group').fill('g-1');
    await page.getByTestId(`message-row-${first}`).waitFor();
    expect(await page.getByTestId(`message-row-${second}`).count()).toBe(0);
    await page.getByTestId('filter-group').fill('');
    await page.getByTestId('filter-id').fill(second);
    await page.getByTestId(`message-row-${second}`).waitFor();
    expect(await page.getByTestId(`message-row-${first}`).count()).toBe(0);

    await page.getByTestId(`message-row-${second}`).click();
    await page.getByTestId('last-error').filter({ hasText: 'boom' }).waitFor();
    expect(await page.getByTestId('attempts').textContent()).toBe('1');
    await page.getByTestId('message-redrive').click();
    await confirmDialog();
    await expect.poll(() => dead('browse.q')).toBe(1);
    const back = await client.query('select attempts from postbox.messages where id = $1', [second]);
    expect(back.rows).toEqual([{ attempts: 0 }]);

    await page.goto(`${server.url}/#/queues/browse.q?state=dead`);
    await page.getByTestId('redrive-all').click();
    await confirmDialog();
    await expect.poll(() => dead('browse.q')).toBe(0);
    expect(await ready('browse.q')).toBe(2);
  });

  it('a cancelled confirmation changes nothing', async () => {
    await postbox.createQueue('cancel.q', { maxAttempts: 1 });
    await postbox.send('cancel.q', { body: 1 });
    const [m] = await postbox.receive('cancel.q');
    await postbox.nack('cancel.q', [{ receipt: m?.receipt as string }]);
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/queues/cancel.q?state=dead`);
    await page.getByTestId('redrive-all').click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForTimeout(300);
    expect(await dead('cancel.q')).toBe(1);
  });

  it('commits and rolls back half messages by hand', async () => {
    await postbox.createQueue('tx.q');
    const toCommit = await postbox.prepare({ queue: 'tx.q' }, { body: { pay: 1 } });
    const toRollBack = await postbox.prepare({ queue: 'tx.q' }, { body: { pay: 2 } });
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/transactions?state=prepared`);
    await page.getByTestId(`commit-${toCommit}`).click();
    await confirmDialog();
    await expect
      .poll(
        async () =>
          (await client.query('select state from postbox.transactions where id = $1', [toCommit])).rows[0].state,
      )
      .toBe('committed');
    expect(await ready('tx.q')).toBe(1);
    await page.getByTestId(`rollback-${toRollBack}`).click();
    await confirmDialog();
    await expect
      .poll(
        async () =>
          (await client.query('select state from postbox.transactions where id = $1', [toRollBack])).rows[0].state,
      )
      .toBe('rolledBack');
    expect(await ready('tx.q')).toBe(1);
    await page.getByTestId('tab-committed').click();
    await page.getByTestId(`tx-row-${toCommit}`).waitFor();
  });

  it('replays a topic group from a point in time', async () => {
    await postbox.createTopic('replay.t', { retentionMs: 3_600_000 });
    await postbox.subscribe('replay.t', 'g');
    for (let i = 0; i < 3; i++) await postbox.publish('replay.t', { body: { i } });
    const got = await postbox.receive('replay.t.g', { max: 10 });
    await postbox.ack(
      'replay.t.g',
      got.map((m) => m.receipt),
    );
    expect(await ready('replay.t.g')).toBe(0);
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/topics/replay.t`);
    await page.getByTestId('group-row-g').waitFor();
    await page.getByTestId('replay-g').click();
    await confirmDialog();
    await expect.poll(() => ready('replay.t.g')).toBe(3);
  });

  it('deletes a message and purges the chosen states, each after a confirmation (operator routes)', async (ctx) => {
    if (!(await routeExists('POST', '/v1/queues/purge.q/purge'))) ctx.skip();
    await postbox.createQueue('purge.q', { maxAttempts: 1 });
    await postbox.sendBatch(
      'purge.q',
      Array.from({ length: 4 }, (_, i) => ({ body: i })),
    );
    await postbox.send('purge.q', { body: 'later', delayMs: 3_600_000 });
    const [dying] = await postbox.receive('purge.q');
    await postbox.nack('purge.q', [{ receipt: dying?.receipt as string, error: 'x' }]);
    const [held] = await postbox.receive('purge.q');
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/queues/purge.q`);
    const [victim] = (
      await client.query(
        "select id::text from postbox.messages where queue = 'purge.q' and lease_token is null and available_at <= now() order by id limit 1",
      )
    ).rows;
    await page.getByTestId(`delete-${victim.id}`).click();
    await confirmDialog();
    await expect.poll(() => ready('purge.q')).toBe(3); // 1 ready + 1 delayed + 1 in flight left
    expect((await client.query('select 1 from postbox.messages where id = $1', [victim.id])).rowCount).toBe(0);

    // Purge asks for the queue's name; ready and dead go, the delayed one is kept (unticked), in-flight never.
    await page.getByTestId('purge').click();
    expect(await page.getByTestId('confirm-ok').isDisabled()).toBe(true);
    await page.getByTestId('purge-delayed').uncheck();
    await confirmDialog('purge.q');
    // Purge commits in batches, messages before dead letters: wait for both.
    await expect.poll(async () => [await ready('purge.q'), await dead('purge.q')]).toEqual([2, 0]);
    const left = await client.query("select id::text from postbox.messages where queue = 'purge.q' order by id");
    expect(left.rows.map((r) => r.id)).toContain(held?.id);
  });

  it('pauses and resumes a queue and edits its settings in place (operator routes)', async (ctx) => {
    if (!(await routeExists('POST', '/v1/queues/ops.q/pause'))) ctx.skip();
    await postbox.createQueue('ops.q', { maxAttempts: 1 });
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/queues/ops.q`);
    await page.getByTestId('pause').click();
    await confirmDialog();
    await expect
      .poll(async () => (await client.query("select paused from postbox.queues where name = 'ops.q'")).rows[0].paused)
      .toBe(true);
    await page.getByTestId('resume').click();
    await expect
      .poll(async () => (await client.query("select paused from postbox.queues where name = 'ops.q'")).rows[0].paused)
      .toBe(false);
    await page.getByTestId('tab-settings').click();
    await page.getByTestId('setting-maxAttempts').fill('9');
    await page.getByTestId('settings-save').click();
    await expect
      .poll(
        async () =>
          (await client.query("select max_attempts from postbox.queues where name = 'ops.q'")).rows[0].max_attempts,
      )
      .toBe(9);
  });

  it('moves dead letters back and follows the task to its end (operator routes)', async (ctx) => {
    if (!(await routeExists('POST', '/v1/queues/mv.q/move'))) ctx.skip();
    await postbox.createQueue('mv.q', { maxAttempts: 1 });
    await postbox.sendBatch(
      'mv.q',
      Array.from({ length: 3 }, (_, i) => ({ body: i })),
    );
    const got = await postbox.receive('mv.q', { max: 3 });
    await postbox.nack(
      'mv.q',
      got.map((m) => ({ receipt: m.receipt, error: 'down' })),
    );
    expect(await dead('mv.q')).toBe(3);
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/queues/mv.q?state=dead`);
    await page.getByTestId('move').click();
    await confirmDialog();
    await page.getByTestId('task').filter({ hasText: 'completed: 3 of 3' }).waitFor();
    expect(await dead('mv.q')).toBe(0);
    expect(await ready('mv.q')).toBe(3);
  });

  it('pauses, resumes and deletes a schedule (operator routes)', async (ctx) => {
    if (!(await routeExists('GET', '/v1/schedules'))) ctx.skip();
    await postbox.createQueue('sched.q');
    const made = await server.request('POST', '/v1/schedules', {
      headers: { 'x-api-key': ADMIN },
      body: { name: 'hourly', queue: 'sched.q', everyMs: 3_600_000, message: { body: { report: true } } },
    });
    expect(made.status).toBe(201);
    const paused = async () =>
      (await client.query("select paused from postbox.schedules where name = 'hourly'")).rows[0]?.paused;
    page = await signIn(browser, server.url, ADMIN);
    await page.goto(`${server.url}/#/schedules`);
    await page.getByTestId('schedule-row-hourly').waitFor();
    await page.getByTestId('schedule-pause-hourly').click();
    await expect.poll(paused).toBe(true);
    await page.getByTestId('schedule-resume-hourly').click();
    await expect.poll(paused).toBe(false);
    await page.getByTestId('schedule-delete-hourly').click();
    await confirmDialog();
    await expect.poll(paused).toBeUndefined();
  });
});
