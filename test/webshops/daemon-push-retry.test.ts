/**
 * The daemon retries a failed shipment push when its back-off ends, not at the next
 * `schedules.shipments` tick (here once a year): the real `wharf run` against the WooCommerce test
 * server, whose first note request answers 503.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, wharf } from '../helpers/cli.js';
import { Daemon, killAllDaemons, waitFor } from '../helpers/e2e.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { reportConfigHead } from '../helpers/webshops/push-cli.js';

const KEY = 'ck_1111111111111111111111111111111111111111';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const env = { WOO_KEY: KEY, WOO_SECRET: SECRET };

let server: ReturnType<typeof wooServer>;
let work: string;
let config: string;
let reports: string;

beforeAll(async () => {
  server = await wooServer({
    keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }],
    products: [{ id: 5001, type: 'simple', name: 'Mug', sku: 'MUG', manage_stock: false, stock_quantity: null }],
    orders: [wooOrder({ id: 41, modified: '2026-11-20T09:00:00Z', lines: [{ sku: 'MUG', qty: 2, price: '9.95' }] })],
  }).start();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-push-retry-'));
  reports = path.join(work, 'reports');
  await fs.mkdir(reports);
  config = path.join(work, 'wharf.yaml');
  await fs.writeFile(config, `${reportConfigHead({ dir: work, mappings: path.join(REPO, 'mappings'), reports, merchant: 'acme', extra: 'delivery: { maxBackoff: 2 }' })}merchants:
  acme:
    channels:
      woo:
        type: woocommerce
        url: https://shop.example
        baseUrl: ${server.url}/wp-json/wc/v3
        consumerKey: \${WOO_KEY}
        consumerSecret: \${WOO_SECRET}
        schedules: { orders: "0 0 1 1 *", products: "0 0 1 1 *", shipments: "0 0 1 1 *" }
        push:
          shipments: { enabled: true }
`);
});
afterAll(async () => {
  await killAllDaemons();
  await server.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe('daemon shipment push retry', { timeout: 120_000 }, () => {
  it('a 503 on the first attempt: the push lands after its back-off, long before the next schedule tick', async () => {
    const orders = await wharf(['sync', 'acme/woo', 'orders', '--config', config], { env, timeoutMs: 60_000 });
    expect(orders.code, orders.stderr).toBe(0);
    const daemon = new Daemon(['run', '--config', config], { env });
    await daemon.ready(60_000);
    // The note request (sent once per attempt) answers 503 the first time: a retryable failure.
    server.failNext(1, { status: 503, pathIncludes: '/orders/41/notes' });
    await fs.writeFile(path.join(work, '.ship-1.csv'), 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\nacme:woo:41;P1;2026-11-21 10:00:00;PostNL;3SABC123;;MUG;2\n');
    await fs.rename(path.join(work, '.ship-1.csv'), path.join(reports, 'ship-1.csv'));
    await waitFor(() => server.hits('/orders/41/notes', 503).length === 1, { timeoutMs: 60_000, what: 'the failed first attempt', daemon });
    // No report, no tick (yearly schedule): only the retry timer can bring the second attempt.
    await waitFor(() => server.state.orders[0]!.status === 'completed', { timeoutMs: 30_000, what: 'the order completed by the retry', daemon });
    expect(server.state.notes.get(41)).toHaveLength(1);
    expect(daemon.stderr).toContain("will retry (reading the shop's state first)");
    await daemon.stop();
  });
});
