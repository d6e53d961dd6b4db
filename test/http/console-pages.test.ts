/**
 * The console's pages over plain HTTP (the browser flow is test/console/console.test.ts): forms refused
 * without this server's Origin, the merchant filter, an unknown file, and the report check that keeps
 * one channel's report off another's file; the journey, order, sync and preview pages (escaping, 404s, one
 * merchant's page never showing another's data).
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLES, killAllDaemons, waitFor, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon } from '../helpers/http.js';
import { readFileHead, readQuarantineReport } from '../../src/daemon/quarantine-file.js';
import { html, raw } from '../../src/http/console/html.js';
import type { FileRow } from '../../src/ledger/store.js';

const workspace = workspacesPerTest();
afterEach(killAllDaemons);

describe('console pages', () => {
  it('refuses a Dismiss or Retry without this server as Origin, filters the quarantine by merchant, answers an unknown file with a 404 page', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    await ws.put('bad.csv', 'not;the;right;header\n1;2;3;4\n');
    const listed = await waitFor(async () => {
      const text = await (await h.get('/quarantine')).text();
      return /href="\/quarantine\/(\d+)"/.exec(text)?.[1];
    }, { what: 'bad.csv in the quarantine', daemon: h.daemon });
    const form = { method: 'POST', body: new URLSearchParams({ note: 'cross-site' }) };

    for (const origin of [undefined, 'http://evil.example', h.url.replace('127.0.0.1', 'localhost')]) {
      const r = await h.get(`/quarantine/${listed}/dismiss`, { ...form, headers: origin ? { origin } : {} });
      expect(r.status, String(origin)).toBe(403);
      const retry = await h.get(`/quarantine/${listed}/retry`, { method: 'POST', headers: origin ? { origin } : {} });
      expect(retry.status, String(origin)).toBe(403);
    }
    expect((await ws.status()).quarantined).toHaveLength(1);

    expect(await (await h.get('/quarantine?merchant=demo')).text()).toContain('bad.csv');
    const other = await (await h.get('/quarantine?merchant=someone-else')).text();
    expect(other).not.toContain('bad.csv');
    expect(other).toContain('No file in quarantine for merchant');

    const missing = await h.get('/quarantine/999999');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/text\/html/);
    expect(await missing.text()).toContain('No file 999999');

    // Same host and port: accepted, also as https (a TLS proxy in front passing the Host header on).
    const ok = await h.get(`/quarantine/${listed}/dismiss`, { ...form, headers: { origin: h.url.replace('http://', 'https://') } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/quarantine?done=dismissed&file=${listed}`);
    expect((await ws.status()).quarantined).toHaveLength(0);
    await h.daemon.stop();
  });

  it('names an unknown merchant in the filter, keeps control characters out of the page, says "press Retry" next to the button', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    await ws.put('bad.csv', 'not;the;right;header\n1;2;3;4\n');
    const id = await waitFor(async () => /href="\/quarantine\/(\d+)"/.exec(await (await h.get('/quarantine')).text())?.[1], { what: 'bad.csv in the quarantine', daemon: h.daemon });

    for (const where of ['/quarantine?merchant=nosuch', '/files?merchant=nosuch']) {
      const text = await (await h.get(where)).text();
      expect(text, where).toContain('<option value="nosuch" selected>nosuch (unknown merchant)</option>');
      expect(text, where).not.toMatch(/<option value="" selected/);
      expect(text, where).not.toContain('bad.csv');
    }
    expect(await (await h.get('/quarantine?merchant=demo')).text()).toContain('<option value="demo" selected>demo</option>');

    const nul = await h.get('/files/%00x%1F', { headers: { accept: 'text/html' } });
    expect(nul.status).toBe(404);
    const nulText = await nul.text();
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(nulText).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    expect(nulText).toContain('\uFFFDx\uFFFD');

    const page = await (await h.get(`/quarantine/${id}`)).text();
    expect(page).toContain(`press Retry, or run \`wharf retry ${id}\``);
    await h.daemon.stop();
  });

  it('answers bad input on a console page with an HTML page saying what was wrong, how to fix it, and a link back; /api/ stays JSON', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    await ws.put('bad.csv', 'not;the;right;header\n1;2;3;4\n');
    const id = await waitFor(async () => /href="\/quarantine\/(\d+)"/.exec(await (await h.get('/quarantine')).text())?.[1], { what: 'bad.csv in the quarantine', daemon: h.daemon });
    const page = async (p: string, init?: RequestInit) => {
      const r = await h.get(p, { ...init, headers: { accept: 'text/html', ...init?.headers } });
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    };
    const origin = { origin: h.url };
    const cases: { path: string; init?: RequestInit; status: number; says: RegExp; back: string }[] = [
      { path: '/quarantine/abc', status: 400, says: /the file id \(&quot;abc&quot;\) must be a whole number/, back: '/quarantine' },
      { path: `/quarantine/${id}/dismiss`, init: { method: 'POST', headers: origin, body: new URLSearchParams({ note: '' }) }, status: 400, says: /the note \(why the file needs no retry\) is empty/, back: `/quarantine/${id}` },
      { path: `/quarantine/${id}/dismiss`, init: { method: 'POST', headers: origin, body: new URLSearchParams({}) }, status: 400, says: /the note \(why the file needs no retry\) is missing/, back: `/quarantine/${id}` },
      { path: `/quarantine/${id}/dismiss`, init: { method: 'POST', body: new URLSearchParams({ note: 'x' }) }, status: 403, says: /must be sent from the console itself/, back: `/quarantine/${id}` },
      { path: '/quarantine?merchant=demo&file=x', status: 400, says: /&quot;file&quot; \(&quot;x&quot;\) must be a whole number/, back: '/quarantine' },
      { path: '/sync/jobs/%3Cb%3Enope', status: 400, says: /the job id \(&quot;&lt;b&gt;nope&quot;\) does not have the right form/, back: '/sync' },
      { path: '/sync', init: { method: 'POST', headers: origin, body: new URLSearchParams({ channel: 'demo/dropbox', job: 'dance' }) }, status: 400, says: /the job \(&quot;dance&quot;\) is not one of the values/, back: '/sync' },
      { path: `/files/${'9'.repeat(120)}`, status: 400, says: /the file id or trace id \(&quot;9{60}…&quot;\) must be at most 100 characters long/, back: '/files' },
      { path: `/files/${'9'.repeat(2000)}`, status: 414, says: /longer than 1500 characters/, back: '/' },
      { path: '/files/%E0%A4%A', status: 400, says: /not a valid URL/, back: '/' },
      { path: '/no-such-page', status: 404, says: /no page \/no-such-page/, back: '/' },
    ];
    for (const c of cases) {
      const r = await page(c.path, c.init);
      expect(r.status, c.path).toBe(c.status);
      expect(r.type, c.path).toMatch(/^text\/html/);
      expect(r.text, c.path).toMatch(c.says);
      expect(r.text, c.path).toContain(`href="${c.back}"`);
      expect(r.text, c.path).not.toContain('<b>nope');
    }
    expect((await ws.status()).quarantined).toHaveLength(1);
    // The JSON API answers JSON for the same kinds of mistakes.
    for (const p of ['/api/jobs/abc', '/api/no-such-route']) {
      const r = await h.get(p, { headers: { accept: 'text/html' } });
      expect(r.headers.get('content-type'), p).toMatch(/^application\/json/);
      expect(((await r.json()) as { error: string }).error, p).toMatch(/bad request|not found/);
    }
    await h.daemon.stop();
  });

  it('shows a report only when it names the file\'s own merchant and channel; reads at most the first lines and bytes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-console-'));
    try {
      const copy = path.join(dir, 'orders.csv');
      await fs.writeFile(copy, Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n'));
      const report = { file: 'orders.csv', merchant: 'acme', channel: 'shop', summary: 'bad', errors: [{ line: 2, message: 'bad quantity "x"' }], moreErrors: 0, hint: '' };
      await fs.writeFile(`${copy}.errors.json`, JSON.stringify(report));
      const row = { merchant: 'acme', channel: 'shop', quarantinePath: copy } as FileRow;
      expect(await readQuarantineReport(row)).toMatchObject({ ok: true, report: { summary: 'bad' } });
      expect(await readQuarantineReport({ ...row, merchant: 'other' })).toEqual({ ok: false, problem: expect.stringContaining('another channel') });
      expect(await readQuarantineReport({ ...row, channel: 'web' })).toMatchObject({ ok: false });

      const head = await readFileHead(copy);
      expect(head.lines).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 1}`));
      expect(head.more).toBe(true);
      const bytes = await readFileHead(copy, 1000, 30);
      expect(bytes.lines.join('\n')).toBe('line 1\nline 2\nline 3\nline 4\nline 5\nli'.slice(0, 30));
      expect(bytes.more).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('escapes every interpolated value, in text and attributes, nested lists included', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<a title="${evil}">${evil}</a>`.text).toBe('<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>');
    expect(html`<ul>${[evil, [evil]].map((v) => html`<li>${v}</li>`)}</ul>`.text).not.toContain('<script>');
    expect(html`${raw('<b>ours</b>')}${null}${undefined}${false}${0}`.text).toBe('<b>ours</b>0');
  });

  it('journey, order, sync and preview pages: found by id or trace id, escaped, 404 pages for what is not there', async () => {
    const ws = await workspace();
    const otherInbox = path.join(ws.root, 'other-inbox');
    await fs.mkdir(otherInbox, { recursive: true });
    const h = await startHttpDaemon(ws, {}, undefined, {
      extraMerchants: { other: { name: 'Other merchant', channels: { shop: { type: 'folder', path: otherInbox, files: [{ pattern: '*.json', mapping: 'demo-orders-json' }], minAge: 0.2, pollInterval: 0.25 } } } },
    });
    const page = async (p: string, init?: RequestInit) => {
      const r = await h.get(p, init);
      return { status: r.status, location: r.headers.get('location'), type: r.headers.get('content-type'), text: await r.text() };
    };
    const origin = { origin: h.url };
    await ws.drop('orders.json');
    await waitFor(async () => (await page('/files/1')).text.includes('<strong>imported</strong>'), { what: 'orders.json imported (its journey page)', daemon: h.daemon });

    // The search box: a file id or a trace id leads to the file's page; the journey lists its orders.
    const byId = await page('/files?ref=1');
    expect(byId.status).toBe(303);
    expect(byId.location).toBe('/files/1');
    const journey = await page('/files/1');
    expect(journey.status).toBe(200);
    const trace = /<dt>Trace id<\/dt><dd><code>([0-9a-f]{12})<\/code>/.exec(journey.text)?.[1];
    expect(trace).toMatch(/^[0-9a-f]{12}$/);
    expect((await page(`/files?ref=${trace!.toUpperCase()}`)).location).toBe('/files/1');
    for (const n of ['5012', '5013', '5014']) expect(journey.text).toContain(`href="/orders/demo%3Adropbox%3A${n}"`);
    expect(journey.text).toMatch(/Archived/);

    const order = await page('/orders/demo%3Adropbox%3A5012');
    expect(order.status).toBe(200);
    expect(order.text).toContain('href="/files/1"');
    expect(order.text).toContain('&quot;externalId&quot;: &quot;5012&quot;');

    // Another merchant's file with the same orders: each page shows its own merchant's data only.
    await fs.copyFile(path.join(SAMPLES, 'orders.json'), path.join(otherInbox, 'orders.json'));
    await waitFor(async () => (await page('/files/2')).text.includes('<strong>imported</strong>'), { what: 'the other merchant\'s file imported', daemon: h.daemon });
    const otherJourney = (await page('/files/2')).text;
    expect(otherJourney).toContain('href="/orders/other%3Ashop%3A5012"');
    expect(otherJourney).not.toContain('demo%3Adropbox');
    const otherOrder = (await page('/orders/other%3Ashop%3A5012')).text;
    expect(otherOrder).toContain('href="/files/2"');
    expect(otherOrder).not.toMatch(/demo:dropbox|href="\/files\/1"/);
    expect((await page('/orders/demo%3Adropbox%3A5012')).text).not.toMatch(/other:shop|href="\/files\/2"/);

    // The recent files: newest first, each linking to its journey; by merchant; paged.
    const fileLinks = (text: string) => [...text.matchAll(/<th scope="row"><a href="(\/files\/\d+[^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(fileLinks((await page('/files')).text)).toEqual(['/files/2', '/files/1']);
    expect(fileLinks((await page('/files?merchant=other')).text)).toEqual(['/files/2?merchant=other']);
    expect(fileLinks((await page('/files?merchant=demo')).text)).toEqual(['/files/1?merchant=demo']);
    const first = (await page('/files?limit=1')).text;
    expect(fileLinks(first)).toEqual(['/files/2']);
    expect(first).toContain('href="/files?before=2&amp;limit=1">Older files');
    const older = (await page('/files?before=2&limit=1')).text;
    expect(fileLinks(older)).toEqual(['/files/1']);
    expect(older).toContain('href="/files?limit=1">Newest files');
    expect(older).not.toContain('Older files');
    // Under a merchant's filter, the pages and their links stay that merchant's; another's file or order is not there.
    const scopedJourney = (await page('/files/2?merchant=other')).text;
    expect(scopedJourney).toContain('href="/orders/other%3Ashop%3A5012?merchant=other"');
    expect((await page('/orders/other%3Ashop%3A5012?merchant=other')).text).toContain('href="/files/2?merchant=other"');
    for (const p of ['/files/1?merchant=other', `/files/${trace}?merchant=other`, '/files?ref=1&merchant=other', '/orders/demo%3Adropbox%3A5012?merchant=other', '/quarantine/1?merchant=other']) {
      const r = await page(p);
      expect(r.status, p).toBe(404);
      // (The 404 page names what was asked for; nothing of what the ledger holds for it.)
      expect(r.text, p).not.toMatch(/demo%3Adropbox%3A501[34]|href="\/files\/1|File 1:|&quot;externalId&quot;|dropbox<\/dd>/);
    }

    // Not there: 404 pages (HTML), never another merchant's or a crash.
    for (const p of ['/files/999999', '/files/nothing-like-a-ref', '/files?ref=abc', '/orders/demo%3Adropbox%3A999', '/orders/other%3Ashop%3A999', '/sync/jobs/j-000000000000']) {
      const r = await page(p);
      expect(r.status, p).toBe(404);
      expect(r.type, p).toMatch(/text\/html/);
    }

    // Sync: refused without Origin; an unknown channel is a 404 page naming it (escaped); a poll runs and its page shows the result.
    expect((await page('/sync', { method: 'POST', body: new URLSearchParams({ channel: 'demo/dropbox', job: 'orders' }) })).status).toBe(403);
    const unknown = await page('/sync', { method: 'POST', headers: origin, body: new URLSearchParams({ channel: 'demo/<b>x</b>', job: 'orders' }) });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('demo/&lt;b&gt;x&lt;/b&gt;');
    expect(unknown.text).not.toContain('<b>x</b>');
    const started = await page('/sync', { method: 'POST', headers: origin, body: new URLSearchParams({ channel: 'demo/dropbox', job: 'orders' }) });
    expect(started.status).toBe(303);
    const jobPath = started.location!;
    expect(jobPath).toMatch(/^\/sync\/jobs\/j-[0-9a-f]{12}$/);
    const done = await waitFor(async () => {
      const r = await page(jobPath);
      return r.text.includes('id="result"') ? r.text : undefined;
    }, { what: 'the poll job to finish', daemon: h.daemon });
    expect(done).toMatch(/<dt>files<\/dt><dd>0<\/dd>/);
    expect((await page('/sync')).text).toContain(`href="${jobPath}"`);

    // Preview: markup in the sample stays text, in the box and in the records; errors listed; unknown mapping 404.
    const sample = readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8').replace('"number": "5012"', '"number": "</textarea><script>alert(1)</script>"');
    const preview = await page('/preview', { method: 'POST', headers: origin, body: new URLSearchParams({ mapping: 'demo-orders-json', content: sample }) });
    expect(preview.status).toBe(200);
    expect(preview.text).not.toContain('<script>alert(1)');
    expect(preview.text).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(preview.text).toMatch(/3 record\(s\) read/);
    const broken = await page('/preview', { method: 'POST', headers: origin, body: new URLSearchParams({ mapping: 'demo-orders-json', content: '{"orders": [' }) });
    expect(broken.text).toMatch(/Unreadable/);
    expect((await page('/preview', { method: 'POST', headers: origin, body: new URLSearchParams({ mapping: 'no-such-mapping', content: 'x' }) })).status).toBe(404);
    expect((await page('/preview', { method: 'POST', body: new URLSearchParams({ mapping: 'demo-orders-json', content: 'x' }) })).status).toBe(403);

    for (const p of ['/files/1', '/orders/demo%3Adropbox%3A5012', '/sync', '/preview', jobPath]) expect((await page(p)).text, p).not.toContain(h.token);
    await h.daemon.stop();
  });
});
