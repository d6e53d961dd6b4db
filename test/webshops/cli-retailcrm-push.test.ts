/**
 * Stock and shipments pushed to RetailCRM through the real CLI and daemon (issue 9): the product pull
 * stores the offer ids; a warehouse stock report changes 3 of 1,000 SKUs → exactly those 3 are
 * uploaded (every upload ≤ 250 offers); a bundle's computed stock is pushed; a shipment report marks
 * the order shipped with its track number with one edit, also when the first answer was lost; two
 * parcels of one order: the first track number is kept (RetailCRM holds one per order) and the order
 * is shipped with the last parcel; an unknown SKU shows in `wharf status`; a key without write
 * scopes is explained; `kill -9` of the daemon mid-push (stock, and an order edit RetailCRM applied
 * but whose answer never came), then a restart: nothing lost, no order edited twice; `--dry-run`
 * sends nothing.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wharf } from '../helpers/cli.js';
import { retailcrmOrder, retailcrmServer } from '../helpers/webshops/retailcrm.js';
import { dropReport, killMidPush, mappingsWithBundles, pushSku, reportConfigHead, shipmentPushStatus, stockReportSeries } from '../helpers/webshops/push-cli.js';

const KEY = 'T9DMPvuNt7FQJMszHUdG8Fkt6xHsqngH-test';
const ZONE = 'Europe/Moscow';
const STORE = 'main-warehouse';
const N = 1000;
const sku = pushSku;
const offerId = (i: number) => 5000 + i;
const env = { CRM_KEY: KEY };

let server: ReturnType<typeof retailcrmServer>;
let roServer: ReturnType<typeof retailcrmServer>;
let work: string;
let config: string;
let roConfig: string;
let reports: string;

const run = (args: string[], timeoutMs = 120_000, cfg = config) => wharf([...args, '--config', cfg], { env, timeoutMs });

const drop = (name: string, text: string, folder = reports) => dropReport(work, folder, name, text);

const stockCsv = stockReportSeries();

const SHIP_HEAD = 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n';

/** The offers of every accepted upload since the last reset of the request log. */
function uploads(s = server): { id: number; stores: { code: string; available: number }[] }[][] {
  return s.hits('/store/inventories/upload', 200).map((r) => JSON.parse(new URLSearchParams(r.body).get('offers') ?? '[]') as { id: number; stores: { code: string; available: number }[] }[]);
}

const stock = (s: ReturnType<typeof retailcrmServer>, id: number) => s.state.stock[String(id)]?.[STORE];

function product(i: number, code: string, id = offerId(i)): Record<string, unknown> {
  return { id: 100 + i, name: `Product ${i}`, article: `P-${i}`, offers: [{ id, article: code, externalId: `ext-${code}`, name: `Offer ${code}` }] };
}

const order = (id: number, lines: { article: string; qty: number }[]) => ({ ...retailcrmOrder({ id, statusUpdatedAt: '2026-11-20 10:00:00', lines: lines.map((l) => ({ ...l, price: 990 })) }), statusUpdatedAt: '2026-11-20 10:00:00' });

function configText(dir: string, url: string, merchant: string, reportDir: string): string {
  return `${reportConfigHead({ dir, mappings: `${work}/mappings`, reports: reportDir, merchant })}merchants:
  ${merchant}:
    channels:
      crm:
        type: retailcrm
        url: https://acme.retailcrm.ru
        baseUrl: ${url}
        apiKey: \${CRM_KEY}
        site: acme-shop
        timezone: ${ZONE}
        storeCode: ${STORE}
        mappings: { orders: crm-order-bundles }
        schedules: { orders: "0 0 1 1 *", products: "0 0 1 1 *", stock: "0 0 1 1 *", shipments: "0 0 1 1 *" }
        push:
          stock: { enabled: true }
          shipments: { enabled: true }
`;
}

beforeAll(async () => {
  server = await retailcrmServer({ apiKey: KEY }).start();
  server.state.products.push(...Array.from({ length: N }, (_, i) => product(i, sku(i))), product(N, 'BOX-1', 9000));
  server.state.orders.push(order(41, [{ article: sku(1), qty: 2 }, { article: sku(2), qty: 1 }]), order(42, [{ article: sku(3), qty: 1 }, { article: sku(4), qty: 1 }]));

  // A key that may read but not write (no store_write, no order_write).
  roServer = await retailcrmServer({ apiKey: KEY, scopes: ['order_read', 'store_read', 'reference_read'] }).start();
  roServer.state.products.push(product(0, sku(0)));

  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-crm-push-'));
  // The repo's mappings plus an order mapping whose lines name a bundle table.
  await mappingsWithBundles(work, { platform: 'retailcrm', linesFrom: 'items', name: 'crm-order-bundles', bundles: { 'BOX-1': [{ sku: sku(1), quantity: 1 }, { sku: sku(2), quantity: 2 }] } });
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

describe('RetailCRM push through the CLI', { timeout: 300_000 }, () => {
  it('the product pull keeps the offer ids; 1,000 SKUs and a bundle go in portions of ≤ 250, then exactly the 3 that changed', async () => {
    const pull = await run(['sync', 'acme/crm', 'products']);
    expect(pull.code, pull.stderr).toBe(0);
    server.requests.length = 0;
    await drop('stock-1.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), i % 40])));
    const once = await run(['once'], 180_000);
    expect(once.code, once.stderr).toBe(0);
    expect(uploads().flat()).toHaveLength(N + 1);
    expect(uploads().map((u) => u.length).every((len) => len <= 250)).toBe(true);
    expect(server.requests.filter((r) => r.status === 503)).toHaveLength(0);
    expect(stock(server, offerId(77))).toBe(37);
    // BOX-1 = min(SKU-0001 1 ÷ 1, SKU-0002 2 ÷ 2) = 1
    expect(stock(server, 9000)).toBe(1);

    server.requests.length = 0;
    await drop('stock-2.csv', stockCsv([[sku(5), 500], [sku(40), 0], [sku(41), 1], [sku(600), 9], [sku(999), 38]])); // 40 and 41 unchanged
    const second = await run(['once']);
    expect(second.code, second.stderr).toBe(0);
    expect(uploads()).toEqual([[
      { id: offerId(5), stores: [{ code: STORE, available: 500 }] },
      { id: offerId(600), stores: [{ code: STORE, available: 9 }] },
      { id: offerId(999), stores: [{ code: STORE, available: 38 }] },
    ]]);
  });

  it('a component change pushes the component and the bundle\'s new stock; --dry-run sends nothing', async () => {
    await drop('stock-3.csv', stockCsv([[sku(1), 5], [sku(2), 8], ['NOT-IN-SHOP', 4]]));
    const intake = await run(['sync', '@warehouse/wms']);
    expect(intake.code, intake.stderr).toBe(0);
    server.requests.length = 0;
    const dry = await run(['sync', 'acme/crm', 'stock', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${sku(1)}\t1 → 5`);
    expect(dry.stdout).toContain('BOX-1\t1 → 4');
    expect(dry.stdout).toMatch(/NOT-IN-SHOP\t- → 4\t\(unknown to the shop: not sent\)/);
    expect(server.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    const now = await run(['sync', 'acme/crm', 'stock']);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain('acme/crm stock: 3 of 4 changed SKU(s) pushed');
    expect(stock(server, offerId(1))).toBe(5);
    expect(stock(server, 9000)).toBe(4);
  });

  it('wharf status shows the push and the unknown SKU', async () => {
    const s = await run(['status']);
    expect(s.stdout).toContain('Webshop pushes');
    expect(s.stdout).toMatch(/acme\/crm stock \[0 0 1 1 \*\] next run \S+; 1 unknown SKU\(s\), 0 refused/);
    expect(s.stdout).toContain('UNKNOWN SKU NOT-IN-SHOP');
  });

  it('a shipment report marks the order shipped with its track number in one edit, also when the first answer was lost', async () => {
    const orders = await run(['sync', 'acme/crm', 'orders']);
    expect(orders.code, orders.stderr).toBe(0);
    server.dropAnswerNext(1, { pathIncludes: '/orders/41/edit', method: 'POST' });
    await drop('ship-1.csv', SHIP_HEAD + `acme:crm:41;P1;2026-11-21 10:00:00;CDEK;TRK-001;;${sku(1)};2\nacme:crm:41;P1;2026-11-21 10:00:00;CDEK;TRK-001;;${sku(2)};1\n`);
    const first = await run(['once']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("will retry (reading the shop's state first)");
    const o = server.state.orders.find((x) => x.id === 41)!;
    expect(o).toMatchObject({ shipped: true, shipmentStore: STORE, shipmentDate: '2026-11-21', delivery: { data: { trackNumber: 'TRK-001' } } });
    const deadline = Date.now() + 60_000;
    let out = first.stderr + first.stdout;
    while (!out.includes('order 41 already shipped') && Date.now() < deadline) out += (await run(['sync', 'acme/crm', 'shipments'])).stdout;
    expect(out).toContain('order 41 already shipped');
    expect(server.state.edits['41']).toBe(1);
    expect((await run(['sync', 'acme/crm', 'shipments'])).stdout).toContain('0 pushed');
  });

  it('two parcels of one order: the first track number stays (one per order), the last parcel ships the order', async () => {
    await drop('ship-2.csv', SHIP_HEAD + `acme:crm:42;P2;2026-11-21 11:00:00;CDEK;TRK-002;;${sku(3)};1\n`);
    expect((await run(['once'])).code).toBe(0);
    const o = server.state.orders.find((x) => x.id === 42)!;
    expect(o.shipped).toBe(false);
    expect(o).toMatchObject({ delivery: { data: { trackNumber: 'TRK-002' } } });
    await drop('ship-3.csv', SHIP_HEAD + `acme:crm:42;P3;2026-11-22 11:00:00;CDEK;TRK-003;;${sku(4)};1\n`);
    const r = await run(['once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('RetailCRM keeps one track number per order and order 42 already has TRK-002, so TRK-003 was not written');
    expect(o).toMatchObject({ shipped: true, shipmentDate: '2026-11-22', delivery: { data: { trackNumber: 'TRK-002' } } });
    expect(server.state.edits['42']).toBe(2);
    expect((await run(['status'])).stdout).toMatch(/acme\/crm shipments .*; 0 pending, 0 failed/);
  });

  it('a key without write scopes: the push fails with what to change; test-connection says it', async () => {
    expect((await run(['sync', 'bravo/crm', 'products'], 60_000, roConfig)).code).toBe(0);
    await drop('stock-1.csv', stockCsv([[sku(0), 3]]), path.join(work, 'ro', 'reports'));
    expect((await run(['sync', '@warehouse/wms'], 60_000, roConfig)).code).toBe(0);
    const r = await run(['sync', 'bravo/crm', 'stock'], 60_000, roConfig);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('store_write');
    expect(r.stderr).toContain('API access keys');
    expect(roServer.state.stock).toEqual({});
    const t = await run(['test-connection', 'bravo/crm'], 60_000, roConfig);
    expect(t.code).toBe(1);
    expect(t.stdout + t.stderr).toContain('store_write');
    expect(t.stdout + t.stderr).toContain('order_write');
  });

  it('kill -9 of the daemon in the middle of a stock push, then a restart: every update arrives, no order edited twice', async () => {
    await drop('stock-5.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 1000 + i])));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    server.requests.length = 0;
    server.slowNext(1_000, 1_500);
    await killMidPush({ config, env, until: () => uploads().length >= 1 });
    const before = Array.from({ length: N }, (_, i) => stock(server, offerId(i))).filter((q) => Number(q) >= 1000).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(N);
    server.slowNext(0, 0);
    const again = await run(['sync', 'acme/crm', 'stock'], 180_000);
    expect(again.code, again.stderr).toBe(0);
    for (let i = 0; i < N; i++) expect(stock(server, offerId(i))).toBe(1000 + i);
    expect(server.state.edits).toEqual({ 41: 1, 42: 2 }); // the restart edited no order again
  });

  it('kill -9 of the daemon while a shipment edit is on its way (RetailCRM applied it, the answer never came), then a restart: the order edited once, the push done', async () => {
    server.state.orders.push({ ...order(43, [{ article: sku(7), qty: 1 }]), statusUpdatedAt: '2026-11-23 10:00:00' });
    expect((await run(['sync', 'acme/crm', 'orders'])).code).toBe(0);
    await drop('ship-k.csv', SHIP_HEAD + `acme:crm:43;PK;2026-11-23 10:00:00;CDEK;TRK-043;;${sku(7)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    server.holdAnswerNext(1, { pathIncludes: '/orders/43/edit', method: 'POST' });
    await killMidPush({ config, env, until: () => server.state.edits['43'] === 1 });
    const again = await run(['sync', 'acme/crm', 'shipments']);
    expect(again.code, again.stderr).toBe(0);
    // The ledger knew the row was being sent when the daemon died: the restart read the shop first.
    expect(again.stderr).toContain("shipment push was being sent when an earlier run stopped");
    expect(again.stdout).toContain('order 43 already shipped with TRK-043');
    expect(server.state.edits['43']).toBe(1);
    expect(server.state.orders.find((x) => x.id === 43)).toMatchObject({ shipped: true, shipmentStore: STORE, delivery: { data: { trackNumber: 'TRK-043' } } });
    const sh = await shipmentPushStatus(run, 'acme/crm');
    expect(sh).toMatchObject({ pending: 0, failed: 0, retrying: 0 });
    expect((await run(['sync', 'acme/crm', 'shipments'])).stdout).toContain('0 pushed');
  });
});
