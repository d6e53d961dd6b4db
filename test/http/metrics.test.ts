import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL, MERCHANT, killAllDaemons, orderFileName, waitFor, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon, type HttpDaemon } from '../helpers/http.js';
import { Scrape } from '../helpers/metrics.js';

const workspace = workspacesPerTest();
afterEach(killAllDaemons);

const TOKEN = 'metrics-test-token-0123456789';

async function scrape(h: HttpDaemon): Promise<Scrape> {
  const res = await h.get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}

describe('GET /metrics', { timeout: 120_000 }, () => {
  it('needs the token, and counts exactly the files, records, quarantine and deliveries of what was dropped', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws, { token: '${WHARF_HTTP_TOKEN}' }, { WHARF_HTTP_TOKEN: TOKEN });
    expect((await h.get('/metrics', { auth: false })).status).toBe(401);
    expect((await h.get('/readyz', { auth: false })).status).toBe(401);

    // Before anything: the channel's series exist at 0 (alerts on increase() see the first event).
    const empty = await scrape(h);
    const ch = { merchant: MERCHANT, channel: CHANNEL };
    expect(empty.value('wharf_files_total', { ...ch, outcome: 'quarantined' })).toBe(0);
    expect(empty.series('wharf_files_total')).toContainEqual({ ...ch, outcome: 'imported' });
    expect(empty.value('wharf_quarantined_files', ch)).toBe(0);
    expect(empty.value('wharf_ledger_up')).toBe(1);

    const settled = (what: string, check: () => boolean) => waitFor(() => ws.inboxFiles().length === 0 && check(), { what, daemon: h.daemon, timeoutMs: 30_000 });
    // 5 new orders, then 3 more (one of them cancelled before it was ever sent: stored only), then the same 3 again under another name (a duplicate file), a
    // broken file (rejected as a whole), and a cancellation of one delivered order.
    await ws.drop('orders-semicolon.csv');
    await settled('5 orders delivered', () => ws.warehouseFiles().length === 5);
    await ws.drop('orders.json');
    await settled('7 orders delivered', () => ws.warehouseFiles().length === 7);
    await ws.drop('orders.json', 'orders-again.json');
    await settled('the duplicate archived', () => ws.archived().length === 3);
    await ws.drop('broken/orders-broken.csv');
    await settled('the broken file quarantined', () => ws.quarantineFiles().includes('orders-broken.csv'));
    await ws.drop('orders-cancel.csv');
    await settled('the cancellation delivered', () => ws.warehouseFiles().includes(orderFileName('WEB-10422', true)));
    const report = ws.report('orders-broken.csv');
    expect(report.recordsInvalid).toBeGreaterThan(0);

    // The delivery is marked in the ledger right after the file is written: wait for the count.
    const m = await waitFor(async () => {
      const s = await scrape(h);
      return s.value('wharf_deliveries_total', { outcome: 'delivered' }) === 8 ? s : undefined;
    }, { what: 'eight deliveries counted', daemon: h.daemon });

    expect(m.family('wharf_files_total').type).toBe('COUNTER');
    expect(m.value('wharf_files_total', { ...ch, outcome: 'imported' })).toBe(3);
    expect(m.value('wharf_files_total', { ...ch, outcome: 'duplicate' })).toBe(1);
    expect(m.value('wharf_files_total', { ...ch, outcome: 'quarantined' })).toBe(1);
    expect(m.value('wharf_files_total', { ...ch, outcome: 'partial' })).toBe(0);
    expect(m.value('wharf_files_total', { ...ch, outcome: 'error' })).toBe(0);

    const rec = (outcome: string) => m.value('wharf_records_total', { ...ch, kind: 'order', outcome });
    expect(rec('new')).toBe(7);
    expect(rec('stored')).toBe(1);
    expect(rec('cancellation')).toBe(1);
    expect(rec('duplicate')).toBe(0); // the duplicate file is recognised by its hash: its records are not read
    expect(rec('invalid')).toBe(report.recordsInvalid);
    expect(rec('rejected')).toBe(report.recordsRead - report.recordsInvalid);

    expect(m.value('wharf_deliveries_total', { ...ch, kind: 'order', outcome: 'delivered' })).toBe(7);
    expect(m.value('wharf_deliveries_total', { ...ch, kind: 'cancel', outcome: 'delivered' })).toBe(1);
    expect(m.value('wharf_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(m.value('wharf_deliveries_total', { outcome: 'retry' })).toBe(0);

    expect(m.family('wharf_quarantined_files').type).toBe('GAUGE');
    expect(m.value('wharf_quarantined_files', ch)).toBe(1);
    expect(m.value('wharf_deliveries_open', { merchant: MERCHANT, status: 'pending' })).toBe(0);
    expect(m.value('wharf_deliveries_open', { merchant: MERCHANT, status: 'failed' })).toBe(0);
    expect(m.value('wharf_ledger_size_bytes')).toBeGreaterThan(4096);
    expect(m.family('wharf_poll_duration_seconds').type).toBe('HISTOGRAM');
    expect(m.value('wharf_poll_duration_seconds_count', { ...ch, outcome: 'ok' })).toBeGreaterThanOrEqual(5);
    expect(m.value('wharf_channel_last_success_timestamp_seconds', { ...ch, kind: 'poll' }) * 1000).toBeGreaterThan(Date.now() - 60_000);

    // Bounded labels: no order id or file name anywhere in the labels.
    expect(m.text).not.toMatch(/WEB-104|orders-broken|\.csv/);

    const ready = await h.get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', reasons: [], checks: expect.arrayContaining([{ check: 'ledger', ok: true }]) });
    await h.daemon.stop();
  });
});
