import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

/** Debian's chromium package; never a downloaded browser. */
export const CHROMIUM = process.env.POSTBOX_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export const noBrowser: string | null = existsSync(CHROMIUM)
  ? null
  : `browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set POSTBOX_CHROMIUM)`;
if (noBrowser) console.warn(noBrowser);

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Opens the dashboard and signs in with `key`; resolves once the overview shows live data. */
export async function signIn(browser: Browser, url: string, key: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (error) => {
    throw error;
  });
  await page.goto(`${url}/`);
  await page.getByTestId('login-key').fill(key);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('live').filter({ hasText: 'Live' }).waitFor();
  return page;
}
