/**
 * One merchant's data never under another's page, in a real headless Chromium against a real `wharf
 * run` with two merchants: merchant `demo` has an imported file (with its orders) and a quarantined
 * one, merchant `other` an imported file of its own. Under `other`'s filter the Files list, the
 * quarantine, the journeys and order pages (and every link they carry) show only `other`'s; `demo`'s
 * file, quarantined file and order asked for directly under `other`'s filter (address or search box)
 * are not there. Screenshots go to test-output/console/.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES, waitFor, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon, type HttpDaemon } from '../helpers/http.js';
import { browsersPerTest, logIn } from '../helpers/browser.js';

const workspace = workspacesPerTest();
const openTestBrowser = browsersPerTest();

/** What identifies merchant demo's data on a page: its file names, its record ids and their links, its channel. */
const DEMO_DATA = /demo-orders\.json|demo-bad\.csv|demo:dropbox|demo%3Adropbox|dropbox/;

/** The id of the file named `name` in the Files list under `merchant`'s filter (server-rendered, fetched with the token). */
async function fileId(h: HttpDaemon, merchant: string, name: string): Promise<string | undefined> {
  const text = await (await h.get(`/files?merchant=${merchant}`, { headers: { accept: 'text/html' } })).text();
  return new RegExp(`href="/files/(\\d+)\\?merchant=${merchant}">${name.replace('.', '\\.')}<`).exec(text)?.[1];
}

describe('the web console with two merchants', () => {
  it('never shows merchant demo\'s files, quarantine or orders on merchant other\'s pages, also when asked for directly', async () => {
    const ws = await workspace();
    const otherInbox = path.join(ws.root, 'other-inbox');
    await fs.mkdir(otherInbox, { recursive: true });
    const h = await startHttpDaemon(ws, {}, undefined, {
      extraMerchants: { other: { name: 'Other merchant', channels: { shop: { type: 'folder', path: otherInbox, files: [{ pattern: '*.json', mapping: 'demo-orders-json' }], minAge: 0.2, pollInterval: 0.25 } } } },
    });
    await ws.drop('orders.json', 'demo-orders.json');
    await ws.put('demo-bad.csv', 'not;the;right;header\n1;2;3;4\n');
    await fs.copyFile(path.join(SAMPLES, 'orders.json'), path.join(otherInbox, 'other-orders.json'));
    const ids = await waitFor(async () => {
      const [good, bad, other] = await Promise.all([fileId(h, 'demo', 'demo-orders.json'), fileId(h, 'demo', 'demo-bad.csv'), fileId(h, 'other', 'other-orders.json')]);
      return good && bad && other ? { good, bad, other } : undefined;
    }, { what: 'the three files in the ledger', daemon: h.daemon });
    const trace = await waitFor(async () => {
      const j = (await (await h.get(`/api/files/${ids.good}/journey`)).json()) as { file: { traceId: string }; read: { outcome: string } };
      return j.read.outcome === 'imported' ? j.file.traceId : undefined;
    }, { what: 'demo-orders.json imported', daemon: h.daemon });

    const b = await openTestBrowser();
    const page = b.page;
    await logIn(b, h.url, h.token);
    const main = page.getByRole('main');

    // The Files list under other's filter: only other's file.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Files', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Files' }).waitFor();
    const recent = page.getByRole('table', { name: 'Recent files' });
    await expect(recent.getByRole('rowheader').allTextContents()).resolves.toEqual(expect.arrayContaining(['demo-orders.json', 'demo-bad.csv', 'other-orders.json']));
    await page.getByLabel('Merchant').selectOption('other');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL(/\/files\?merchant=other$/);
    await expect(recent.getByRole('rowheader').allTextContents()).resolves.toEqual(['other-orders.json']);
    expect(await main.textContent()).not.toMatch(DEMO_DATA);
    await b.screenshot('20-files-other-merchant');

    // Its journey and an order: other's only, and their links keep the filter.
    await recent.getByRole('link', { name: 'other-orders.json' }).click();
    await page.getByRole('heading', { level: 1, name: /other-orders\.json$/ }).waitFor();
    expect(page.url()).toMatch(/\/files\/\d+\?merchant=other$/);
    const records = page.getByRole('table', { name: 'Records' });
    const hrefs = await records.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(['5012', '5013', '5014'].map((n) => `/orders/other%3Ashop%3A${n}?merchant=other`));
    expect(await main.innerHTML()).not.toMatch(DEMO_DATA);
    await b.screenshot('21-journey-other-merchant');
    await records.getByRole('link', { name: '5012' }).click();
    await page.getByRole('heading', { level: 1, name: 'Order 5012' }).waitFor();
    expect(await main.innerHTML()).not.toMatch(DEMO_DATA);
    await expect(main.getByRole('link', { name: 'other-orders.json' }).getAttribute('href')).resolves.toBe(`/files/${ids.other}?merchant=other`);
    await b.screenshot('22-order-other-merchant');

    // The quarantine under other's filter: demo's quarantined file is not listed.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Quarantine', exact: true }).click();
    await expect(page.getByRole('table').getByRole('rowheader').allTextContents()).resolves.toEqual(['demo-bad.csv']);
    await page.getByLabel('Merchant').selectOption('other');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL(/\/quarantine\?merchant=other$/);
    await expect(main.textContent()).resolves.toContain('No file in quarantine for merchant other');
    expect(await main.innerHTML()).not.toMatch(DEMO_DATA);
    await b.screenshot('23-quarantine-other-merchant');

    // demo's file, quarantined file and order asked for directly under other's filter: not there.
    const direct = [
      `/files/${ids.good}?merchant=other`, `/files/${trace}?merchant=other`, `/files?ref=${ids.good}&merchant=other`,
      `/quarantine/${ids.bad}?merchant=other`, `/files/${ids.bad}?merchant=other`, '/orders/demo%3Adropbox%3A5013?merchant=other',
    ];
    for (const p of direct) {
      const res = await page.goto(h.url + p);
      expect(res?.status(), p).toBe(404);
      const text = (await main.innerHTML()).replace(/No order demo:dropbox:5013/, 'No order (asked for)');
      expect(text, p).not.toMatch(DEMO_DATA);
      expect(text, p).toMatch(/for merchant other/);
    }
    await b.screenshot('24-direct-url-other-merchant');
    // The search box of other's Files page does not find demo's file either.
    await page.goto(`${h.url}/files?merchant=other`);
    await page.getByLabel('File id or trace id').fill(trace);
    await page.getByRole('button', { name: 'Show the journey' }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(new RegExp(`No file ${trace} in the ledger for merchant other`));
    expect(await main.innerHTML()).not.toMatch(DEMO_DATA);

    // The same addresses under demo's own filter show demo's data (so the checks above could fail).
    await page.goto(`${h.url}/files/${ids.good}?merchant=demo`);
    await page.getByRole('heading', { level: 1, name: /demo-orders\.json$/ }).waitFor();
    await page.goto(`${h.url}/quarantine/${ids.bad}?merchant=demo`);
    await page.getByRole('heading', { level: 1, name: /demo-bad\.csv$/ }).waitFor();

    // Chromium reports each page answered 404 as a failed resource: those asked for above, and nothing else.
    const asked = new Set([...direct, `/files?ref=${trace}&merchant=other`]);
    for (const e of b.errors) {
      const failed = /^console error on (\S+): Failed to load resource: the server responded with a status of 404 \(Not Found\)$/.exec(e);
      expect(failed !== null && asked.has(failed[1]!.slice(h.url.length)), e).toBe(true);
    }
    await h.daemon.stop();
  });
});
