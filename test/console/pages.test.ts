/**
 * The console's Sync, Files (a file's journey, an order's page) and Mapping preview pages in a real
 * headless Chromium against a real `wharf run` with a folder channel and a WooCommerce channel (a
 * strict local test server): "sync now" with live progress to the result, a dropped file's journey
 * through to an order, a sample with errors in the preview. Screenshots go to test-output/console/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLES, expectedErrors, killAllDaemons, waitFor, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon } from '../helpers/http.js';
import { browsersPerTest, logIn } from '../helpers/browser.js';
import { wooShopWithOrders } from '../helpers/webshops/woocommerce.js';

const workspace = workspacesPerTest();
const openTestBrowser = browsersPerTest();
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllDaemons();
  for (const c of cleanup.splice(0).reverse()) await c();
});

const KEY = 'ck_1111111111111111111111111111111111111111';
const SECRET = 'cs_2222222222222222222222222222222222222222';

describe('console pages: sync, journey, preview', () => {
  it('syncs a webshop channel with live progress, follows a file to its orders, previews a sample with errors', async () => {
    const { server, channel } = await wooShopWithOrders(150, KEY, SECRET);
    cleanup.push(() => server.stop());
    const ws = await workspace();
    const h = await startHttpDaemon(ws, {}, { WOO_KEY: KEY, WOO_SECRET: SECRET }, {
      extraChannels: { woo: channel },
    });
    const b = await openTestBrowser();
    const page = b.page;
    await logIn(b, h.url, h.token);

    // Sync now from the overview: the first page's answer is held, so the job page shows it running.
    server.holdAnswerNext(1, { pathIncludes: '/orders' });
    await page.getByRole('button', { name: 'Pull orders: orders of demo/woo' }).click();
    await page.getByRole('heading', { level: 1, name: /^Job j-[0-9a-f]{12}: orders of demo\/woo$/ }).waitFor();
    await waitFor(() => server.held.length === 1, { what: 'the pull to ask for the first page', daemon: h.daemon });
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/running/);
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await expect(bar.count()).resolves.toBe(1);
    await b.screenshot('10-sync-running');
    server.releaseHeld();
    // The events move the bar; the end reloads the page with the result (no fixed wait: the heading appears).
    await page.getByRole('heading', { level: 2, name: 'Result' }).waitFor({ timeout: 30_000 });
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/done/);
    await expect(bar.getAttribute('value')).resolves.toBe('150');
    await expect(bar.getAttribute('max')).resolves.toBe('150');
    const facts = await page.locator('dl.facts').last().textContent();
    expect(facts).toMatch(/records\s*150/);
    expect(facts).toMatch(/new\s*150/);
    await b.screenshot('11-sync-done');
    await page.getByRole('navigation').getByRole('link', { name: 'Sync', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Sync now' }).waitFor();
    const recent = page.getByRole('table', { name: 'Recent jobs' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'demo/woo' }) });
    await expect(recent.getByRole('cell').allTextContents()).resolves.toEqual(expect.arrayContaining(['orders', 'done']));
    await b.screenshot('12-sync-page');

    // A dropped file's journey, found by its trace id in the search box, through to an order's page.
    await ws.drop('orders.json');
    const imported = await waitFor(() => h.daemon.logs().find((l) => /^imported orders\.json/.test(l.msg)), { what: 'orders.json imported', daemon: h.daemon });
    const trace = String((imported as unknown as { trace: string }).trace);
    expect(trace).toMatch(/^[0-9a-f]{12}$/);
    await page.getByRole('navigation').getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByLabel('File id or trace id').fill(trace);
    await page.getByRole('button', { name: 'Show the journey' }).click();
    await page.getByRole('heading', { level: 1, name: /orders\.json$/ }).waitFor();
    await expect(page.getByRole('region', { name: 'Read' }).textContent()).resolves.toMatch(/imported; 3 record\(s\) imported/);
    const records = page.getByRole('table', { name: 'Records' });
    await expect(records.getByRole('link').allTextContents()).resolves.toEqual(['5012', '5013', '5014']);
    await expect(page.getByRole('region', { name: 'Where the file went' }).textContent()).resolves.toMatch(/Archived/);
    await b.screenshot('13-file-journey');
    await records.getByRole('link', { name: '5012' }).click();
    await page.getByRole('heading', { level: 1, name: 'Order 5012' }).waitFor();
    const body = JSON.parse((await page.getByLabel('Canonical order').textContent())!) as { externalId: string };
    expect(body.externalId).toBe('5012');
    const deliveries = page.getByRole('table', { name: 'Deliveries and pushes of the order' });
    await waitFor(async () => /done/.test((await deliveries.textContent()) ?? '') || (await page.reload(), false), { what: 'the order delivered (its page)', daemon: h.daemon });
    await b.screenshot('14-order');
    await page.getByRole('link', { name: 'orders.json' }).click();
    await page.getByRole('heading', { level: 1, name: /orders\.json$/ }).waitFor();

    // The mapping preview: a chosen file is read in the browser; its errors are listed.
    await page.getByRole('navigation').getByRole('link', { name: 'Mapping preview', exact: true }).click();
    await page.getByLabel('Mapping').selectOption('demo-orders-json');
    await page.getByLabel('Sample file').setInputFiles(path.join(SAMPLES, 'broken', 'orders-broken.json'));
    const sample = readFileSync(path.join(SAMPLES, 'broken', 'orders-broken.json'), 'utf8');
    await waitFor(async () => (await page.getByLabel('Sample content').inputValue()) === sample, { what: 'the chosen file read into the box' });
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { level: 2, name: 'Result' }).waitFor();
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/^Invalid/);
    const errors = page.getByRole('table', { name: 'Errors' });
    const want = expectedErrors('orders-broken.json');
    await expect(errors.getByRole('row').count()).resolves.toBe(want.length + 1);
    const first = await errors.getByRole('row').nth(1).getByRole('cell').allTextContents();
    expect(first[0]).toBe(String(want[0]!.recordNo));
    expect(first[3]).toBe(want[0]!.path);
    expect(first[4]).toContain(want[0]!.message);
    await expect(page.getByLabel('Mapping').inputValue()).resolves.toBe('demo-orders-json');
    await b.screenshot('15-preview-errors');

    expect(b.errors).toEqual([]);
    await h.daemon.stop();
  });
});
