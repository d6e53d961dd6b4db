import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './e2e.js';

/** Debian's Chromium (the `chromium` package; `.ci/run` and test/global-setup.ts install it). No browser download. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where console tests put their screenshots (git-ignored). */
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'console');

/** A headless Chromium page with what it reported: console errors and uncaught page errors. */
export interface ConsoleBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console messages of type `error` and uncaught exceptions, in order, with the page's URL. */
  errors: string[];
  /** Saves a full-page screenshot as `<SCREENSHOTS>/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium (`--no-sandbox` when running as root, where Chromium refuses its sandbox)
 * with a laptop-sized window, and collects every console error and page error of its page.
 */
export async function openBrowser(): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error on ${page.url()}: ${e.message}`));
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    browser, context, page, errors,
    async screenshot(name) {
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: () => browser.close(),
  };
}

/**
 * Logs into the console at `url` with `token` through its login form (as a person would: the form is
 * reached by the redirect from `/`) and waits for the overview.
 */
export async function logIn(b: ConsoleBrowser, url: string, token: string): Promise<void> {
  await b.page.goto(`${url}/`);
  await b.page.waitForURL(/\/login\?/);
  await b.page.getByLabel('Access token').fill(token);
  await b.page.getByRole('button', { name: 'Log in' }).click();
  await b.page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
}

/**
 * For a test file: returns an opener of headless Chromium (openBrowser) whose browsers are closed after
 * each test (the workspaces' daemons are stopped by workspacesPerTest's own afterEach).
 */
export function browsersPerTest(): () => Promise<ConsoleBrowser> {
  const open: ConsoleBrowser[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  return async () => {
    const b = await openBrowser();
    open.push(b);
    return b;
  };
}
