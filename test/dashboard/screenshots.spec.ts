import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../../libs/core/src/postbox';
import { startTestServer, type TestServer } from '../server/test-server';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { launchBrowser, noBrowser, signIn } from './browser';
import { seed } from './seed';

/**
 * Every page of the dashboard over seeded data, after its data has loaded.
 * `POSTBOX_SCREENSHOTS=1 npx vitest run test/dashboard/screenshots.spec.ts`
 * writes them to docs/screenshots (shown in the README); otherwise to a
 * temporary folder, so a plain test run checks the pages render and changes
 * no file.
 */
const KEY = 'screenshot-admin-key';
const out =
  process.env.POSTBOX_SCREENSHOTS === '1'
    ? path.join(__dirname, '../../docs/screenshots')
    : mkdtempSync(path.join(tmpdir(), 'postbox-shots-'));

/** Traffic with a changing rate, so the charts have a shape. */
async function traffic(postbox: Postbox, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (let tick = 0; Date.now() < end; tick++) {
    const n = 20 + Math.round(15 * Math.sin(tick / 3));
    await postbox.sendBatch(
      'emails',
      Array.from({ length: n }, (_, i) => ({ body: { to: `u${tick}-${i}@example.com` } })),
    );
    const got = await postbox.receive('emails', { max: Math.max(5, n - 8 + (tick % 5)) });
    await postbox.ack(
      'emails',
      got.map((m) => m.receipt),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe.skipIf(noBrowser !== null)('dashboard screenshots', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let background: Promise<void> | undefined;

  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    await seed(postbox);
    server = await startTestServer(postbox, { apiKey: KEY, logLevel: 'silent', dashboardSampleMs: 1000 });
    // Schedules and a paused queue where this service has those routes (answered 404 before they existed).
    const admin = { headers: { 'x-api-key': KEY } };
    for (const [name, body] of [
      [
        'nightly-report',
        { queue: 'emails', cron: '0 3 * * *', timezone: 'Europe/Berlin', message: { body: { report: 'daily' } } },
      ],
      ['heartbeat', { topic: 'events', everyMs: 60_000, message: { body: 'ping' }, missed: 'once' }],
      ['invoice-reminders', { queue: 'orders', cron: '0 9 * * MON-FRI', message: { body: { remind: true } } }],
    ] as const) {
      await server.request('POST', '/v1/schedules', { ...admin, body: { name, ...body } });
    }
    await server.request('POST', '/v1/schedules/invoice-reminders/pause', admin);
    await server.request('POST', '/v1/queues/payments/pause', admin);
    await traffic(postbox, 12_000);
    // Still busy while the pages are taken, so the rates read live figures.
    background = traffic(postbox, 25_000);
    browser = await launchBrowser();
    mkdirSync(out, { recursive: true });
  });
  afterAll(async () => {
    await background;
    await browser?.close();
    await server?.close();
  });

  const shot = async (name: string) => {
    await page.waitForTimeout(400); // charts measure their width after the first paint
    expect(await page.locator('.skeleton').count()).toBe(0);
    expect(await page.getByText('loading', { exact: false }).count()).toBe(0);
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
  };

  it('sign-in page', async () => {
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-key').waitFor();
    await shot('login');
    await page.close();
  });

  it('overview, queues, queue, message, topic, half messages, schedules', async () => {
    page = await signIn(browser, server.url, KEY);
    await page.getByTestId('queue-row-orders').waitFor();
    await page.waitForTimeout(1500);
    await shot('overview');
    await page.getByTestId('chart-rates').locator('path').first().waitFor();
    await shot('overview');

    await page.goto(`${server.url}/#/queues`);
    await page.getByTestId('queue-row-payments').waitFor();
    await shot('queues');

    await page.goto(`${server.url}/#/queues/orders?state=dead`);
    await page.getByTestId('message-table').waitFor();
    await shot('queue-dead-letters');

    await page.goto(`${server.url}/#/queues/orders?state=ready`);
    await page.getByTestId('message-table').waitFor();
    await shot('queue');

    await page.getByTestId('tab-settings').click();
    await page.getByTestId('settings-form').waitFor();
    await shot('queue-settings');

    await page.goto(`${server.url}/#/queues/orders?state=dead`);
    await page.locator('[data-testid^="message-row-"]').first().click();
    await page.getByTestId('last-error').waitFor();
    await shot('message');

    await page.goto(`${server.url}/#/topics/events`);
    await page.getByTestId('group-table').waitFor();
    await shot('topic');

    await page.goto(`${server.url}/#/transactions?state=prepared`);
    await page.getByTestId('tx-table').waitFor();
    await page.locator('[data-testid^="tx-row-"]').first().click();
    await shot('half-messages');

    await page.goto(`${server.url}/#/schedules`);
    await page.locator('.card .empty, [data-testid="schedule-table"]').first().waitFor();
    await shot('schedules');

    await page.goto(`${server.url}/#/queues/orders?state=ready`);
    await page.getByTestId('purge').click();
    await page.getByTestId('confirm-input').waitFor();
    await page.screenshot({ path: path.join(out, 'confirm-purge.png') });
  });
});
