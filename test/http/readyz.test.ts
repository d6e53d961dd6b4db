/**
 * /readyz of a real `wharf run` whose webshop channel's server answers 500 for a while: not ready,
 * with the channel and the error in the body, then ready again once the server recovers; and the
 * API request metrics match what the server saw.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { Daemon, killAllDaemons, waitFor } from '../helpers/e2e.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { Scrape } from '../helpers/metrics.js';

const KEY = 'ck_1111111111111111111111111111111111111111';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const TOKEN = 'readyz-test-token-0123456789';
const env = { WOO_KEY: KEY, WOO_SECRET: SECRET, WHARF_HTTP_TOKEN: TOKEN };

let server: ReturnType<typeof wooServer>;
let work: string;
let config: string;

interface ReadyBody {
  status: 'ready' | 'not ready';
  reasons: string[];
  checks: { check: string; name?: string; job?: string; ok: boolean; reason?: string }[];
}

beforeAll(async () => {
  server = await wooServer({
    keys: [{ key: KEY, secret: SECRET, permissions: 'read' }],
    orders: [wooOrder({ id: 41, modified: '2026-11-20T09:00:00Z', lines: [{ sku: 'MUG', qty: 2, price: '9.95' }] })],
  }).start();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-readyz-'));
  config = path.join(work, 'wharf.yaml');
  // Orders every second (six-field cron); products once a year (never during the test: a job that
  // has not run counts from the start, and its limit is 4 years).
  await fs.writeFile(config, `ledger: { path: ${work}/wharf.sqlite }
mappings: ${path.join(REPO, 'mappings')}
dataDir: ${work}/var
schedule: { timezone: Europe/Amsterdam }
http:
  listen: 127.0.0.1:0
  token: \${WHARF_HTTP_TOKEN}
  readiness: { silentAfter: 4 }
warehouse:
  orders: { path: ${work}/warehouse }
merchants:
  acme:
    channels:
      woo:
        type: woocommerce
        url: https://shop.example
        baseUrl: ${server.url}/wp-json/wc/v3
        consumerKey: \${WOO_KEY}
        consumerSecret: \${WOO_SECRET}
        schedules: { orders: "* * * * * *", products: "0 0 1 1 *" }
`);
});
afterAll(async () => {
  await killAllDaemons();
  await server.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe('GET /readyz', { timeout: 180_000 }, () => {
  it('goes not ready while the webshop answers 500, says which channel and why, and is ready again after', async () => {
    const daemon = new Daemon(['run', '--config', config], { env });
    const line = await waitFor(() => daemon.logs().find((l) => /^HTTP server listening on /.test(l.msg)), { what: 'the HTTP server', daemon });
    const url = /listening on (\S+)/.exec(line.msg)![1]!;
    const get = (p: string, auth = true) => fetch(url + p, { headers: auth ? { authorization: `Bearer ${TOKEN}` } : {} });
    const ready = async () => {
      const res = await get('/readyz');
      return { status: res.status, body: (await res.json()) as ReadyBody };
    };
    await daemon.ready(60_000);
    expect((await get('/readyz', false)).status).toBe(401);

    // Healthy: the order pulled and delivered, every check ok.
    await waitFor(async () => (await fs.readdir(path.join(work, 'warehouse')).catch(() => [])).length === 1, { what: 'the order delivered', daemon, timeoutMs: 60_000 });
    const ok = await waitFor(async () => {
      const r = await ready();
      return r.status === 200 ? r : undefined;
    }, { what: '/readyz 200', daemon, timeoutMs: 30_000 });
    expect(ok.body).toMatchObject({ status: 'ready', reasons: [] });
    expect(ok.body.checks).toEqual(expect.arrayContaining([
      expect.objectContaining({ check: 'ledger', ok: true }),
      expect.objectContaining({ check: 'channel', name: 'acme/woo', job: 'orders', ok: true }),
      expect.objectContaining({ check: 'channel', name: 'acme/woo', job: 'products', ok: true }),
    ]));

    // The shop fails: every orders request answers 500 until cleared.
    server.failNext(100_000, { status: 500, pathIncludes: '/orders' });
    const down = await waitFor(async () => {
      const r = await ready();
      // Wait for the reason to carry the error of a pull that gave up (after its retries).
      return r.status === 503 && r.body.reasons.some((x) => /HTTP 500/.test(x)) ? r : undefined;
    }, { what: '/readyz 503 with the error', daemon, timeoutMs: 90_000 });
    expect(down.body.status).toBe('not ready');
    expect(down.body.reasons).toHaveLength(1);
    expect(down.body.reasons[0]).toMatch(/^acme\/woo: no successful orders pull for \d+(\.\d)? s \(limit 4 × 1\.0 s\); last error .*server error \(HTTP 500\)/);
    expect(down.body.checks).toEqual(expect.arrayContaining([
      expect.objectContaining({ check: 'channel', name: 'acme/woo', job: 'orders', ok: false }),
      expect.objectContaining({ check: 'ledger', ok: true }),
    ]));

    // It recovers: ready again.
    expect(server.clearFaults()).toBeGreaterThan(0);
    await waitFor(async () => (await ready()).status === 200 || undefined, { what: '/readyz 200 again', daemon, timeoutMs: 60_000 });

    // Every 500 the server sent was counted; each was followed by a retry or ended a failed pull.
    const res = await get('/metrics');
    const m = new Scrape(await res.text());
    const labels = { merchant: 'acme', channel: 'woo', platform: 'woocommerce' };
    const served500 = server.hits('/orders', 500).length;
    expect(served500).toBeGreaterThanOrEqual(6);
    expect(m.value('wharf_api_requests_total', { ...labels, status: '500' })).toBe(served500);
    const failedPulls = m.value('wharf_pull_duration_seconds_count', { merchant: 'acme', channel: 'woo', kind: 'orders', outcome: 'failed' });
    expect(failedPulls).toBeGreaterThanOrEqual(1);
    expect(m.value('wharf_api_retries_total', labels) + failedPulls).toBe(served500);
    expect(m.value('wharf_api_requests_total', { ...labels, status: '200' })).toBeGreaterThan(0);
    expect(m.value('wharf_api_throttled_total', labels)).toBe(0);

    // A "slow down" is counted apart (and as a retry).
    server.failNext(1, { status: 429, retryAfter: '0', pathIncludes: '/orders' });
    const throttled = await waitFor(async () => {
      const s = new Scrape(await (await get('/metrics')).text());
      return s.value('wharf_api_throttled_total', labels) === 1 ? s : undefined;
    }, { what: 'the 429 counted', daemon });
    expect(throttled.value('wharf_api_requests_total', { ...labels, status: '429' })).toBe(1);
    expect(throttled.value('wharf_api_retries_total', labels)).toBe(m.value('wharf_api_retries_total', labels) + 1);
    await daemon.stop();
  });
});
