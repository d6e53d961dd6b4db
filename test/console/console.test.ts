/**
 * The web console in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core)
 * against a real `wharf run`: log in, the overview, a quarantined file's report and first lines, Retry
 * after the mapping is fixed (orders reach the warehouse), Dismiss with a note (`wharf status` lists it
 * as dismissed). Screenshots of each page go to test-output/console/.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES, copyMappings, expectedRecords, orderFileName, waitFor, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon, type HttpDaemon } from '../helpers/http.js';
import { browsersPerTest, logIn } from '../helpers/browser.js';

const workspace = workspacesPerTest();
const openTestBrowser = browsersPerTest();

/** The quarantine list as the server renders it (fetched with the token, not through the browser). */
async function quarantineHtml(h: HttpDaemon): Promise<string> {
  const r = await h.get('/quarantine', { headers: { accept: 'text/html' } });
  return r.text();
}

describe('the web console', () => {
  it('logs in, shows the overview and a quarantined file with its report; Retry after the fix delivers, Dismiss keeps a note', async () => {
    const ws = await workspace();
    const maps = await copyMappings(ws);
    const mappingFile = path.join(maps, 'demo-orders-csv.yaml');
    const good = readFileSync(mappingFile, 'utf8');
    const broken = good.replace('shipping.method: Verzendmethode', 'shipping.method: { path: Verzendwijze, required: true }');
    expect(broken).not.toBe(good);
    await fs.writeFile(mappingFile, broken);
    ws.mappingsDir = maps;
    const h = await startHttpDaemon(ws);

    const b = await openTestBrowser();
    const page = b.page;
    await logIn(b, h.url, h.token);
    const channelRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'demo/dropbox' }) });
    await expect(channelRow.count()).resolves.toBe(1);
    await b.screenshot('01-overview');

    // A broken order file (the mapping wants a column the file lacks) lands in quarantine.
    await ws.drop('orders-semicolon.csv');
    await waitFor(async () => (await quarantineHtml(h)).includes('orders-semicolon.csv'), { what: 'the file in the quarantine list', daemon: h.daemon });
    await page.getByRole('navigation').getByRole('link', { name: 'Quarantine', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarantine' }).waitFor();
    const listRow = page.getByRole('row').filter({ hasText: 'orders-semicolon.csv' });
    await expect(listRow.getByRole('cell').allTextContents()).resolves.toEqual(expect.arrayContaining(['demo', 'dropbox', expect.stringContaining('Verzendwijze')]));
    await b.screenshot('02-quarantine-list');

    await listRow.getByRole('link', { name: 'orders-semicolon.csv' }).click();
    await page.getByRole('heading', { level: 1, name: /orders-semicolon\.csv/ }).waitFor();
    const report = page.getByRole('region', { name: 'Error report' });
    await expect(report.getByRole('table').textContent()).resolves.toContain('Verzendwijze');
    const firstLines = await page.getByLabel('First lines of the file').textContent();
    const sample = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
    expect(firstLines).toContain(sample[0]);
    expect(firstLines).toContain(sample[1]);
    await b.screenshot('03-quarantined-file');

    // Retry before the fix: still invalid, and the page says so on the file's new entry.
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('alert').filter({ hasText: 'still invalid' }).waitFor();
    expect(ws.warehouseFiles()).toEqual([]);

    // Fix the mapping, Retry: the orders reach the warehouse.
    await fs.writeFile(mappingFile, good);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'retried and imported' }).waitFor();
    const want = expectedRecords('orders-semicolon.csv').map((v) => orderFileName(String(v.externalId))).sort();
    await waitFor(() => ws.warehouseFiles().length === want.length, { what: 'the retried orders in the warehouse folder', daemon: h.daemon });
    expect(ws.warehouseFiles()).toEqual(want);
    await expect(page.getByRole('row').filter({ hasText: 'orders-semicolon.csv' }).count()).resolves.toBe(0);
    await b.screenshot('04-after-retry');

    // The journeys link the retries: the first retry (still invalid) and the second (imported) each say whose retry they are.
    const flash = (await page.getByRole('status').filter({ hasText: 'retried and imported' }).textContent())!;
    const [, from, as] = /File (\d+) \(orders-semicolon\.csv\) was retried and imported as file (\d+)/.exec(flash)!;
    await page.goto(`${h.url}/files/${from}`);
    await page.getByRole('heading', { level: 1, name: /orders-semicolon\.csv$/ }).waitFor();
    const related = page.getByRole('region', { name: 'Related files' });
    await expect(related.textContent()).resolves.toMatch(new RegExp(`Retry of file \\d+[^]*Retried as file ${as}`));
    await expect(page.getByRole('region', { name: 'Where the file went' }).textContent()).resolves.toContain(`Retried from the quarantine: file ${as} is the retry`);
    await b.screenshot('08-retried-file-journey');
    await related.getByRole('link', { name: `file ${as}` }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^File ${as}: orders-semicolon\\.csv$`) }).waitFor();
    await expect(page.getByText(`This file is the retry of file ${from}`).count()).resolves.toBe(1);
    await expect(page.getByRole('region', { name: 'Read' }).textContent()).resolves.toMatch(/imported/);
    await page.getByRole('link', { name: `file ${from}` }).first().click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`^File ${from}: `) }).waitFor();

    // A file whose content carries markup: quarantined (bad quantity), shown escaped, then dismissed.
    const xss = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(';2;6,95;', ';<script>alert(1)</script>;6,95;');
    expect(xss).toContain('<script>');
    await ws.put('orders-markup.csv', xss);
    await waitFor(async () => (await quarantineHtml(h)).includes('orders-markup.csv'), { what: 'the second file in the quarantine list', daemon: h.daemon });
    await page.goto(`${h.url}/quarantine`);
    await page.getByRole('link', { name: 'orders-markup.csv' }).click();
    await page.getByRole('heading', { level: 1, name: /orders-markup\.csv/ }).waitFor();
    await expect(page.getByLabel('First lines of the file').textContent()).resolves.toContain('<script>alert(1)</script>');
    await expect(page.locator('main script').count()).resolves.toBe(0);
    await expect(page.getByRole('region', { name: 'Error report' }).textContent()).resolves.toMatch(/quantity/);
    await b.screenshot('05-markup-file');
    await page.getByLabel(/^Note/).fill('test order from the shop owner, not a real one');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.getByRole('status').filter({ hasText: 'dismissed' }).waitFor();
    await expect(page.getByRole('row').filter({ hasText: 'orders-markup.csv' }).count()).resolves.toBe(0);
    await b.screenshot('06-after-dismiss');

    const status = await ws.status() as unknown as { quarantined: unknown[]; dismissed: { name: string; note: string; status: string }[] };
    expect(status.quarantined).toEqual([]);
    expect(status.dismissed).toEqual([expect.objectContaining({ name: 'orders-markup.csv', note: 'test order from the shop owner, not a real one', status: 'dismissed' })]);
    const text = await ws.wharf(['status']);
    expect(text.stdout).toMatch(/Dismissed from quarantine[^\n]*\n\s+\d+ demo\/dropbox orders-markup\.csv dismissed/);
    expect(text.stdout).toContain('Quarantined files: 0');

    // The overview counts today's files and orders.
    await page.getByRole('navigation').getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const cells = await page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'demo/dropbox' }) }).getByRole('cell').allTextContents();
    // Type, state, last run, next run, files today, orders today, in quarantine, pushes.
    expect(cells[1]).toMatch(/^ok/);
    expect(Number(cells[4])).toBeGreaterThanOrEqual(3);
    expect(Number(cells[5])).toBe(want.length);
    expect(cells[6]).toBe('0');
    await b.screenshot('07-overview-after');

    // A mistyped address: a page saying what was wrong and how to fix it, with a way back.
    const bad = await page.goto(`${h.url}/quarantine/abc`);
    expect(bad?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The address was not right: the file id ("abc") must be a whole number.');
    await b.screenshot('09-bad-address');
    await page.getByRole('link', { name: 'Back to the quarantine' }).click();
    await page.getByRole('heading', { level: 1, name: 'Quarantine' }).waitFor();

    // Nothing secret on any page, and no console errors anywhere (but the 400 of the mistyped address, as Chromium reports it).
    for (const p of ['/', '/quarantine', '/login']) expect(await (await h.get(p, { headers: { accept: 'text/html' } })).text()).not.toContain(h.token);
    expect(b.errors).toEqual([`console error on ${h.url}/quarantine/abc: Failed to load resource: the server responded with a status of 400 (Bad Request)`]);
    await h.daemon.stop();
  });
});
