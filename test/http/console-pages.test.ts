/**
 * The console's pages over plain HTTP (the browser flow is test/console/console.test.ts): forms refused
 * without this server's Origin, the merchant filter, an unknown file, and the report check that keeps
 * one channel's report off another's file.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllDaemons, waitFor, workspacesPerTest } from '../helpers/e2e.js';
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
});
