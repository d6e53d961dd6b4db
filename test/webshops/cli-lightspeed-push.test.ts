/**
 * Stock and shipments pushed to Lightspeed eCom through the real CLI and daemon (issue 9): the product
 * pull stores the variant ids; a warehouse stock report changes 3 of 1,000 SKUs → exactly those 3 are
 * PUT, paced by the x-ratelimit windows (a test-sized window: no 429); a bundle's computed stock is
 * pushed; a shipment report marks the order's shipment shipped with its tracking code once, also when
 * the first answer was lost; a partial parcel fails clearly (Lightspeed cannot split a shipment) and
 * `wharf retry` sends it after the split in the back office; an unknown SKU shows in `wharf status`;
 * a read-only key is explained; `kill -9` of the daemon mid-push (stock, and a shipment update
 * Lightspeed applied but whose answer never came), then a restart: nothing lost, no shipment updated
 * twice; `--dry-run` sends nothing.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wharf } from '../helpers/cli.js';
import { lightspeedOrder, lightspeedServer, lightspeedShipment } from '../helpers/webshops/lightspeed.js';
import { dropReport, killMidPush, mappingsWithBundles, pushSku, reportConfigHead, shipmentPushStatus, stockReportSeries } from '../helpers/webshops/push-cli.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SECRET = 'f0e9d8c7b6a5948372615a4b3c2d1e0f';
const N = 1000;
const sku = pushSku;
const env = { LS_KEY: KEY, LS_SECRET: SECRET };
/** A test-sized request window (Lightspeed's real one is 300 per 5 minutes). */
const WINDOW = { limit: 200, seconds: 2 };

let server: ReturnType<typeof lightspeedServer>;
let roServer: ReturnType<typeof lightspeedServer>;
let work: string;
let config: string;
let roConfig: string;
let reports: string;

const run = (args: string[], timeoutMs = 120_000, cfg = config) => wharf([...args, '--config', cfg], { env, timeoutMs });

const drop = (name: string, text: string, folder = reports) => dropReport(work, folder, name, text);

const stockCsv = stockReportSeries();

const SHIP_HEAD = 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n';

/** The variant PUTs the server accepted since the last reset of its request log: [variant id, stockLevel]. */
function stockPuts(): [number, number][] {
  return server.requests
    .filter((r) => r.method === 'PUT' && r.path.includes('/variants/') && r.status === 200)
    .map((r) => [Number(/variants\/(\d+)/.exec(r.path)![1]), (JSON.parse(r.body) as { variant: { stockLevel: number } }).variant.stockLevel]);
}

const level = (s: ReturnType<typeof lightspeedServer>, code: string) => s.state.variants.find((v) => v.sku === code)?.stockLevel;

function variant(id: number, code: string): Record<string, unknown> {
  return { id, sku: code, articleCode: `ART-${code}`, ean: '', stockLevel: 0, stockTracking: 'enabled', title: 'Zwart', product: { resource: { id: 5000 + id, url: `products/${5000 + id}` } } };
}

function seedOrder(s: ReturnType<typeof lightspeedServer>, id: number, lines: { sku: string; qty: number }[]): void {
  const { order, products } = lightspeedOrder({ id, updatedAt: '2026-11-20T09:00:00+00:00', lines: lines.map((l) => ({ ...l, price: 10 })) });
  s.state.orders.push(order);
  s.state.orderProducts.set(id, products);
}

function configText(dir: string, url: string, merchant: string, reportDir: string): string {
  return `${reportConfigHead({ dir, mappings: `${work}/mappings`, reports: reportDir, merchant })}merchants:
  ${merchant}:
    channels:
      ls:
        type: lightspeed
        baseUrl: ${url}
        apiKey: \${LS_KEY}
        apiSecret: \${LS_SECRET}
        rateLimit: { requestsPerSecond: 500, burst: 50 }
        mappings: { orders: ls-order-bundles }
        schedules: { orders: "0 0 1 1 *", products: "0 0 1 1 *", stock: "0 0 1 1 *", shipments: "0 0 1 1 *" }
        push:
          stock: { enabled: true }
          shipments: { enabled: true }
`;
}

beforeAll(async () => {
  server = await lightspeedServer({ key: KEY, secret: SECRET }).start();
  server.state.windows[0] = { ...WINDOW, used: 0, start: Date.now() };
  server.state.variants.push(...Array.from({ length: N }, (_, i) => variant(100 + i, sku(i))), variant(2000, 'BOX-1'));
  seedOrder(server, 7, [{ sku: sku(1), qty: 2 }, { sku: sku(2), qty: 1 }]);
  server.state.shipments.push(lightspeedShipment(701, 7, [{ sku: sku(1), qty: 2 }, { sku: sku(2), qty: 1 }]));
  seedOrder(server, 8, [{ sku: sku(3), qty: 1 }, { sku: sku(4), qty: 1 }]);
  server.state.shipments.push(lightspeedShipment(801, 8, [{ sku: sku(3), qty: 1 }, { sku: sku(4), qty: 1 }]));

  // The same key, without write access to products and orders.
  roServer = await lightspeedServer({ key: KEY, secret: SECRET, write: { orders: false, products: false } }).start();
  roServer.state.variants.push(variant(100, sku(0)));
  seedOrder(roServer, 9, [{ sku: sku(0), qty: 1 }]);
  roServer.state.shipments.push(lightspeedShipment(901, 9, [{ sku: sku(0), qty: 1 }]));

  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-ls-push-'));
  // The repo's mappings plus an order mapping whose lines name a bundle table.
  await mappingsWithBundles(work, { platform: 'lightspeed', linesFrom: 'orderProducts', name: 'ls-order-bundles', bundles: { 'BOX-1': [{ sku: sku(1), quantity: 1 }, { sku: sku(2), quantity: 2 }] } });
  reports = path.join(work, 'reports');
  await fs.mkdir(reports);
  config = path.join(work, 'wharf.yaml');
  await fs.writeFile(config, configText(work, server.url, 'acme', reports));
  const ro = path.join(work, 'ro');
  await fs.mkdir(path.join(ro, 'reports'), { recursive: true });
  roConfig = path.join(ro, 'wharf.yaml');
  await fs.writeFile(roConfig, configText(ro, roServer.url, 'bravo', path.join(ro, 'reports')));
});
afterAll(async () => {
  await server.stop();
  await roServer.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe('Lightspeed push through the CLI', { timeout: 300_000 }, () => {
  it('the product pull keeps the variant ids; 1,000 SKUs and a bundle go paced by the rate windows, then exactly the 3 that changed', async () => {
    const pull = await run(['sync', 'acme/ls', 'products']);
    expect(pull.code, pull.stderr).toBe(0);
    server.requests.length = 0;
    await drop('stock-1.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), i % 40])));
    const once = await run(['once'], 180_000);
    expect(once.code, once.stderr).toBe(0);
    const puts = stockPuts();
    expect(puts).toHaveLength(N + 1);
    // 1,000 PUTs through a 200-per-2-s window: the client paused at the window's end instead of running into it.
    expect(server.requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(level(server, sku(77))).toBe(37);
    // BOX-1 = min(SKU-0001 1 ÷ 1, SKU-0002 2 ÷ 2) = 1
    expect(level(server, 'BOX-1')).toBe(1);

    server.requests.length = 0;
    await drop('stock-2.csv', stockCsv([[sku(5), 500], [sku(40), 0], [sku(41), 1], [sku(600), 9], [sku(999), 38]])); // 40 and 41 unchanged
    const second = await run(['once']);
    expect(second.code, second.stderr).toBe(0);
    expect(stockPuts()).toEqual([[105, 500], [700, 9], [1099, 38]]);
  });

  it('a component change pushes the component and the bundle\'s new stock; --dry-run sends nothing', async () => {
    await drop('stock-3.csv', stockCsv([[sku(1), 5], [sku(2), 8], ['NOT-IN-SHOP', 4]]));
    const intake = await run(['sync', '@warehouse/wms']);
    expect(intake.code, intake.stderr).toBe(0);
    server.requests.length = 0;
    const dry = await run(['sync', 'acme/ls', 'stock', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${sku(1)}\t1 → 5`);
    expect(dry.stdout).toContain('BOX-1\t1 → 4');
    expect(dry.stdout).toMatch(/NOT-IN-SHOP\t- → 4\t\(unknown to the shop: not sent\)/);
    expect(server.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    const now = await run(['sync', 'acme/ls', 'stock']);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain('acme/ls stock: 3 of 4 changed SKU(s) pushed');
    expect(stockPuts().sort()).toEqual([[101, 5], [102, 8], [2000, 4]].sort());
    expect(level(server, 'BOX-1')).toBe(4);
  });

  it('wharf status shows the push and the unknown SKU', async () => {
    const s = await run(['status']);
    expect(s.stdout).toContain('Webshop pushes');
    expect(s.stdout).toMatch(/acme\/ls stock \[0 0 1 1 \*\] next run \S+; 1 unknown SKU\(s\), 0 refused/);
    expect(s.stdout).toContain('UNKNOWN SKU NOT-IN-SHOP');
  });

  it('a shipment report marks the order\'s shipment shipped with its tracking code once, also when the first answer was lost', async () => {
    const orders = await run(['sync', 'acme/ls', 'orders']);
    expect(orders.code, orders.stderr).toBe(0);
    server.dropAnswerNext(1, { pathIncludes: '/shipments/701', method: 'PUT' });
    await drop('ship-1.csv', SHIP_HEAD + `acme:ls:7;P1;2026-11-21 10:00:00;DHL;JVGL0001;;${sku(1)};2\nacme:ls:7;P1;2026-11-21 10:00:00;DHL;JVGL0001;;${sku(2)};1\n`);
    const first = await run(['once']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("will retry (reading the shop's state first)");
    const sh = server.state.shipments.find((x) => x.id === 701)!;
    expect(sh).toMatchObject({ status: 'shipped', trackingCode: 'JVGL0001' });
    const deadline = Date.now() + 60_000;
    let out = first.stderr + first.stdout;
    while (!out.includes('already shipped with tracking JVGL0001') && Date.now() < deadline) out += (await run(['sync', 'acme/ls', 'shipments'])).stdout;
    expect(out).toContain('already shipped with tracking JVGL0001');
    expect(server.state.shipmentUpdates.filter((u) => u.id === 701)).toHaveLength(1);
    expect(server.state.orders.find((o) => o.id === 7)!.status).toBe('completed_shipped');
    expect((await run(['sync', 'acme/ls', 'shipments'])).stdout).toContain('0 pushed');
  });

  it('a partial parcel: a clear failed push in wharf status, and `wharf retry` after the split in the back office', async () => {
    await drop('ship-2.csv', SHIP_HEAD + `acme:ls:8;P2;2026-11-21 11:00:00;DHL;JVGL0002;;${sku(3)};1\n`);
    const r = await run(['once']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.state.shipmentUpdates.filter((u) => u.id === 801)).toHaveLength(0);
    const s = await run(['status']);
    expect(s.stdout).toMatch(/acme\/ls shipments .*; 0 pending, 1 failed/);
    const line = /^\s+d(\d+) .*no shipment holds exactly this parcel.*$/m.exec(s.stdout);
    expect(line, s.stdout).not.toBeNull();
    expect(line![0]).toContain(`${sku(3)} × 1`);
    expect(line![0]).toContain('split the shipment');
    // The merchant splits the shipment in the back office.
    const old = server.state.shipments.findIndex((x) => x.id === 801);
    server.state.shipments.splice(old, 1, lightspeedShipment(801, 8, [{ sku: sku(3), qty: 1 }]), lightspeedShipment(802, 8, [{ sku: sku(4), qty: 1 }]));
    const retry = await run(['retry', `d${line![1]}`]);
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    const deadline = Date.now() + 60_000;
    while (server.state.shipmentUpdates.filter((u) => u.id === 801).length === 0 && Date.now() < deadline) await run(['sync', 'acme/ls', 'shipments']);
    expect(server.state.shipments.find((x) => x.id === 801)).toMatchObject({ status: 'shipped', trackingCode: 'JVGL0002' });
    expect(server.state.shipments.find((x) => x.id === 802)!.status).toBe('not_shipped');
    expect(server.state.orders.find((o) => o.id === 8)!.shipmentStatus).toBe('partially_shipped');
    expect((await run(['status'])).stdout).toMatch(/acme\/ls shipments .*; 0 pending, 0 failed/);
  });

  it('a read-only key: the push fails with what to change; test-connection says it', async () => {
    expect((await run(['sync', 'bravo/ls', 'products'], 60_000, roConfig)).code).toBe(0);
    await drop('stock-1.csv', stockCsv([[sku(0), 3]]), path.join(work, 'ro', 'reports'));
    expect((await run(['sync', '@warehouse/wms'], 60_000, roConfig)).code).toBe(0);
    const r = await run(['sync', 'bravo/ls', 'stock'], 60_000, roConfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lacks write access to products');
    expect(r.stderr).toContain('Settings > API');
    expect(roServer.state.variants[0]!.stockLevel).toBe(0);
    const t = await run(['test-connection', 'bravo/ls'], 60_000, roConfig);
    expect(t.code).toBe(1);
    expect(t.stdout + t.stderr).toContain('lacks write access to products');
  });

  it('kill -9 of the daemon in the middle of a stock push, then a restart: every update arrives, no shipment updated twice', async () => {
    await drop('stock-5.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 1000 + i])));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    server.requests.length = 0;
    server.slowNext(1_000, 50);
    await killMidPush({ config, env, until: () => stockPuts().length >= 20 });
    const before = server.state.variants.filter((v) => Number(v.stockLevel) >= 1000).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(N);
    server.slowNext(0, 0);
    const again = await run(['sync', 'acme/ls', 'stock'], 180_000);
    expect(again.code, again.stderr).toBe(0);
    for (let i = 0; i < N; i++) expect(level(server, sku(i))).toBe(1000 + i);
    // The restart updated no shipment a second time.
    expect(server.state.shipmentUpdates.map((u) => u.id)).toEqual([701, 801]);
    expect(server.requests.filter((r) => r.status === 429)).toHaveLength(0);
  });

  it('kill -9 of the daemon while a shipment update is on its way (Lightspeed applied it, the answer never came), then a restart: the shipment updated once, the push done', async () => {
    // A parcel without tracking code (letter post): the restart cannot recognise the update by its
    // code, only by knowing that the killed run may have sent it.
    seedOrder(server, 10, [{ sku: sku(7), qty: 1 }]);
    server.state.orders.find((o) => o.id === 10)!.updatedAt = '2026-11-23T09:00:00+00:00';
    server.state.shipments.push(lightspeedShipment(1001, 10, [{ sku: sku(7), qty: 1 }]));
    expect((await run(['sync', 'acme/ls', 'orders'])).code).toBe(0);
    await drop('ship-k.csv', SHIP_HEAD + `acme:ls:10;PK;2026-11-23 10:00:00;PostNL;;;${sku(7)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const updates = () => server.state.shipmentUpdates.filter((u) => u.id === 1001);
    server.holdAnswerNext(1, { pathIncludes: '/shipments/1001', method: 'PUT' });
    await killMidPush({ config, env, until: () => updates().length === 1 });
    const again = await run(['sync', 'acme/ls', 'shipments']);
    expect(again.code, again.stderr).toBe(0);
    // The ledger knew the row was being sent when the daemon died: the restart read the shop first.
    expect(again.stderr).toContain("shipment push was being sent when an earlier run stopped");
    expect(again.stdout).toContain("is already shipped (an earlier attempt's answer was lost)");
    expect(updates()).toHaveLength(1);
    expect(server.state.shipments.find((x) => x.id === 1001)!.status).toBe('shipped');
    const sh = await shipmentPushStatus(run, 'acme/ls');
    expect(sh).toMatchObject({ pending: 0, failed: 0, retrying: 0 });
    expect((await run(['sync', 'acme/ls', 'shipments'])).stdout).toContain('0 pushed');
  });
});
