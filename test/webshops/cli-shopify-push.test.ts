/**
 * Stock and shipments pushed to Shopify through the real CLI and daemon (issue 9), against the
 * Admin GraphQL test server (scopes, cost bucket, inventorySetQuantities ≤ 250 with changeFromQuantity
 * and @idempotent, fulfillment orders, a mode that applies a mutation and drops the answer): the
 * product pull stores the inventory item ids; a stock report changes 3 of 1,000 SKUs → exactly those
 * are set; a bundle of a `bundles` lookup table gets its computed stock; a shipment report → the
 * order fulfilled with tracking, once, also when the first answer was lost; a partial shipment;
 * dry-run sends nothing; `wharf status` shows the unknown SKU; a read-only token is explained;
 * `kill -9` of the daemon mid-push (stock, and a fulfillment Shopify created but whose answer never
 * came), then a restart: no update lost, no order fulfilled twice.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wharf } from '../helpers/cli.js';
import { shopifyOrder, shopifyServer } from '../helpers/webshops/shopify.js';
import { dropReport, killMidPush, mappingsWithBundles, pushSku, reportConfigHead, shipmentPushStatus, stockReportSeries } from '../helpers/webshops/push-cli.js';

const TOKEN = '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';
const RO_TOKEN = 'shpat_0000000000000000000000000000read';
const WRITE = ['read_orders', 'read_products', 'read_locations', 'write_inventory', 'write_merchant_managed_fulfillment_orders'];
const READ = ['read_orders', 'read_products', 'read_locations', 'read_inventory'];
const LOC = 'gid://shopify/Location/1';
const N = 1000;
const sku = pushSku;
const item = (i: number) => `gid://shopify/InventoryItem/${9000 + i}`;
const env = { SHOPIFY_TOKEN: TOKEN, SHOPIFY_RO_TOKEN: RO_TOKEN };
const ORDER = 'gid://shopify/Order/5000041';

let server: ReturnType<typeof shopifyServer>;
let work: string;
let config: string;
let reports: string;

const run = (args: string[], timeoutMs = 60_000) => wharf([...args, '--config', config], { env, timeoutMs });
const level = (i: number | string) => server.state.inventory.get(typeof i === 'number' ? item(i) : i)!.levels.get(LOC);
/** The quantities of every inventorySetQuantities call received: [inventory item id, quantity][] per call. */
const setCalls = () => server.requests.filter((r) => r.body.includes('"operationName":"WharfSetStock"') && r.headers['x-shopify-access-token'] === TOKEN)
  .map((r) => (JSON.parse(r.body) as { variables: { input: { quantities: { inventoryItemId: string; quantity: number }[] } } }).variables.input.quantities.map((q) => [q.inventoryItemId, q.quantity] as const));
const fulfillments = () => server.state.fulfillments.get(ORDER) ?? [];

const drop = (name: string, text: string) => dropReport(work, reports, name, text);

const stockCsv = stockReportSeries();

beforeAll(async () => {
  server = await shopifyServer({
    tokens: new Map([[TOKEN, WRITE], [RO_TOKEN, READ]]),
    bucket: { maximum: 20_000, available: 20_000, restoreRate: 1_000, at: Date.now() },
    locations: [{ id: LOC, name: 'Warehouse Venlo', isActive: true }],
  }).start();
  const variant = (i: number, s: string) => ({ id: `gid://shopify/ProductVariant/${i}`, legacyResourceId: String(i), sku: s, barcode: null, displayName: `Product ${s}`, requiresComponents: false, product: { id: `gid://shopify/Product/${i}`, legacyResourceId: String(i) }, inventoryItem: { id: item(i), tracked: true } });
  for (let i = 0; i < N; i++) {
    server.state.variants.push(variant(i, sku(i)));
    server.state.inventory.set(item(i), { tracked: true, levels: new Map([[LOC, 0]]) });
  }
  // A gift box the merchant sells as a plain variant; the warehouse packs it from two SKUs (lookup table).
  server.state.variants.push(variant(N, 'GIFT-BOX'));
  server.state.inventory.set(item(N), { tracked: true, levels: new Map([[LOC, 0]]) });
  server.state.orders.push(shopifyOrder({ n: 41, updatedAt: '2026-11-20T09:00:00Z', lines: [{ sku: sku(1), qty: 2, price: '9.95' }, { sku: sku(2), qty: 1, price: '19.95' }] }));

  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-shopify-push-'));
  reports = path.join(work, 'reports');
  await fs.mkdir(reports);
  // The shipped mappings, plus the merchant's orders mapping with a `bundles` lookup table.
  const mappings = await mappingsWithBundles(work, { platform: 'shopify', linesFrom: 'lineItems.nodes', name: 'acme-shopify-orders', bundles: { 'GIFT-BOX': [{ sku: sku(10), quantity: 1 }, { sku: sku(11), quantity: 2 }] } });
  config = path.join(work, 'wharf.yaml');
  const channel = (token: string) => `
        type: shopify
        shop: acme.myshopify.com
        accessToken: \${${token}}
        baseUrl: ${server.url}
        locationId: "1"
        mappings: { orders: acme-shopify-orders }
        schedules: { orders: "0 0 1 1 *", products: "0 0 1 1 *", stock: "0 0 1 1 *", shipments: "0 0 1 1 *" }
        push:
          stock: { enabled: true }
          shipments: { enabled: true, notifyCustomer: true }`;
  await fs.writeFile(config, `${reportConfigHead({ dir: work, mappings, reports, merchant: 'acme' })}merchants:
  acme:
    channels:
      shop:${channel('SHOPIFY_TOKEN')}
      ro:${channel('SHOPIFY_RO_TOKEN')}
`);
});
afterAll(async () => {
  await server.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe('Shopify push through the CLI', { timeout: 240_000 }, () => {
  it('the product pull keeps the inventory item ids; a first push sends every SKU, then exactly the 3 that changed', async () => {
    const pull = await run(['sync', 'acme/shop', 'products']);
    expect(pull.code, pull.stderr).toBe(0);
    await drop('stock-1.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 1 + (i % 40)])));
    const once = await run(['once'], 120_000);
    expect(once.code, once.stderr).toBe(0);
    const calls = setCalls();
    expect(calls.every((c) => c.length <= 250)).toBe(true);
    expect(calls.flat().filter(([id]) => id !== item(N))).toHaveLength(N);
    expect(level(77)).toBe(38);
    // The bundle: min(SKU-0010 / 1, SKU-0011 / 2) = min(11, 6) = 6.
    expect(level(N)).toBe(6);

    server.requests.length = 0;
    await drop('stock-2.csv', stockCsv([[sku(3), 500], [sku(40), 1], [sku(41), 2], [sku(600), 9], [sku(999), 38]])); // 40 and 41 unchanged
    const second = await run(['once'], 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect(setCalls()).toEqual([[[item(3), 500], [item(600), 9], [item(999), 38]]]);
  });

  it('a component change pushes the bundle with it', async () => {
    server.requests.length = 0;
    await drop('stock-3.csv', stockCsv([[sku(11), 40]]));
    const r = await run(['once'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(setCalls().flat().sort()).toEqual([[item(11), 40], [item(N), 11]].sort());
    expect(level(N)).toBe(11);
  });

  it('--dry-run prints SKU old → new and sends nothing; status shows the unknown SKU', async () => {
    await drop('stock-4.csv', stockCsv([[sku(5), 123], ['NOT-IN-SHOP', 4]]));
    const intake = await run(['sync', '@warehouse/wms']);
    expect(intake.code, intake.stderr).toBe(0);
    server.requests.length = 0;
    const dry = await run(['sync', 'acme/shop', 'stock', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${sku(5)}\t6 → 123`);
    expect(dry.stdout).toMatch(/NOT-IN-SHOP\t- → 4\t\(unknown to the shop: not sent\)/);
    expect(server.requests.filter((r) => r.body.includes('mutation'))).toHaveLength(0);
    const now = await run(['sync', 'acme/shop', 'stock']);
    expect(now.stdout).toContain('acme/shop stock: 1 of 2 changed SKU(s) pushed in 1 batch(es); 1 unknown to the shop');
    expect(level(5)).toBe(123);
    const s = await run(['status']);
    expect(s.stdout).toMatch(/acme\/shop stock \[0 0 1 1 \*\] next run \S+; 1 unknown SKU\(s\), 0 refused/);
    expect(s.stdout).toContain('UNKNOWN SKU NOT-IN-SHOP');
  });

  it('a read-only token: the push fails with what to change, and test-connection says so', async () => {
    // A change the shop does not have yet (a SKU already right in the shop needs no write).
    await drop('stock-ro.csv', stockCsv([[sku(6), 77]]));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const r = await run(['sync', 'acme/ro', 'stock']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Access denied for inventorySetQuantities field\. Required access: `write_inventory`/);
    const t = await run(['test-connection', 'acme/ro']);
    expect(t.code).toBe(1);
    expect(t.stdout + t.stderr).toMatch(/lacks access scopes to set stock levels \(write_inventory\)/);
    expect(t.stdout + t.stderr).toMatch(/reinstall the app/);
    expect(t.stdout + t.stderr).not.toContain(RO_TOKEN);
  });

  it('a partial shipment fulfils its lines once with tracking, also when the first answer was lost; the next parcel the rest', async () => {
    const orders = await run(['sync', 'acme/shop', 'orders']);
    expect(orders.code, orders.stderr).toBe(0);
    server.state.dropNext = { op: 'WharfFulfill', count: 1 };
    await drop('ship-1.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:shop:5000041;P1;2026-11-21 10:00:00;PostNL;3SABC123;https://postnl.nl/t/3SABC123;${sku(1)};2\n`);
    const first = await run(['once'], 120_000);
    expect(first.code, first.stderr).toBe(0);
    expect(fulfillments()).toHaveLength(1); // applied, though its answer was lost
    const deadline = Date.now() + 60_000;
    let out = first.stdout + first.stderr;
    const found = /order #1041 already has fulfillment \S+ with tracking 3SABC123/;
    while (!found.test(out) && Date.now() < deadline) out += (await run(['sync', 'acme/shop', 'shipments'])).stdout;
    expect(out).toMatch(found);
    expect(fulfillments()).toHaveLength(1);
    expect(fulfillments()[0]).toMatchObject({ notifyCustomer: true, trackingInfo: [{ number: '3SABC123', url: 'https://postnl.nl/t/3SABC123', company: 'PostNL' }] });
    expect(fulfillments()[0]!.lines.reduce((q, l) => q + l.quantity, 0)).toBe(2); // partial: its lines only
    expect(server.state.orders.find((o) => o.id === ORDER)!.displayFulfillmentStatus).toBe('PARTIALLY_FULFILLED');

    await drop('ship-2.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:shop:5000041;P2;2026-11-21 11:00:00;DHL;JVGL0001;;${sku(2)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const dry = await run(['sync', 'acme/shop', 'shipments', '--dry-run']);
    expect(dry.stdout).toMatch(/P2\torder 5000041 → DHL JVGL0001\tdry-run/);
    expect(fulfillments()).toHaveLength(1);
    const second = await run(['sync', 'acme/shop', 'shipments']);
    expect(second.stdout).toContain('1 pushed');
    expect(fulfillments()).toHaveLength(2);
    expect(fulfillments()[1]).toMatchObject({ trackingInfo: [{ number: 'JVGL0001', company: 'DHL' }] });
    expect(server.state.orders.find((o) => o.id === ORDER)!.displayFulfillmentStatus).toBe('FULFILLED');
    expect((await run(['sync', 'acme/shop', 'shipments'])).stdout).toContain('0 pushed');
  });

  it('kill -9 of the daemon in the middle of a stock push, then a restart: every update arrives, no order fulfilled twice', async () => {
    // A second order, its parcel reported with the stock: the daemon pushes both at its start.
    server.state.orders.push(shopifyOrder({ n: 42, updatedAt: '2026-11-22T09:00:00Z', lines: [{ sku: sku(3), qty: 1, price: '9.95' }] }));
    expect((await run(['sync', 'acme/shop', 'orders'])).code).toBe(0);
    await drop('ship-3.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:shop:5000042;P3;2026-11-22 10:00:00;PostNL;3SABC999;;${sku(3)};1\n`);
    await drop('stock-5.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 1000 + i])));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    server.requests.length = 0;
    server.slowNext(1_000, 300);
    await killMidPush({ config, env, until: () => setCalls().length >= 2, deadlineMs: 30_000 });
    const before = Array.from({ length: N }, (_, i) => level(i)!).filter((q) => q >= 1000).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(N);
    server.slowNext(0, 0);
    const again = await run(['sync', 'acme/shop', 'stock'], 120_000);
    expect(again.code, again.stderr).toBe(0);
    for (let i = 0; i < N; i++) expect(level(i)).toBe(1000 + i);
    const ship = await run(['sync', 'acme/shop', 'shipments'], 120_000);
    expect(ship.code, ship.stderr).toBe(0);
    expect(server.state.fulfillments.get('gid://shopify/Order/5000042')).toHaveLength(1);
    expect(fulfillments()).toHaveLength(2);
  });

  it('kill -9 of the daemon while a fulfillment is on its way (Shopify created it, the answer never came), then a restart: the order fulfilled once, the push done', async () => {
    // A parcel without tracking number (letter post): the restart cannot recognise the fulfillment by
    // its tracking, only by knowing that the killed run may have sent it.
    const id = 'gid://shopify/Order/5000043';
    server.state.orders.push(shopifyOrder({ n: 43, updatedAt: '2026-11-23T09:00:00Z', lines: [{ sku: sku(7), qty: 1, price: '9.95' }] }));
    expect((await run(['sync', 'acme/shop', 'orders'])).code).toBe(0);
    await drop('ship-k.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:shop:5000043;PK;2026-11-23 10:00:00;PostNL;;;${sku(7)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const created = () => server.state.fulfillments.get(id) ?? [];
    server.holdAnswerNext(1, { bodyIncludes: '"operationName":"WharfFulfill"' });
    await killMidPush({ config, env, until: () => created().length === 1 });
    const again = await run(['sync', 'acme/shop', 'shipments']);
    expect(again.code, again.stderr).toBe(0);
    // The ledger knew the row was being sent when the daemon died: the restart read the shop first.
    expect(again.stderr).toContain("shipment push was being sent when an earlier run stopped");
    expect(again.stdout).toContain('order #1043 has nothing left to fulfil for this parcel (an earlier attempt did it)');
    expect(created()).toHaveLength(1);
    expect(server.state.orders.find((o) => o.id === id)!.displayFulfillmentStatus).toBe('FULFILLED');
    const sh = await shipmentPushStatus(run, 'acme/shop');
    expect(sh).toMatchObject({ pending: 0, failed: 0, retrying: 0 });
    expect((await run(['sync', 'acme/shop', 'shipments'])).stdout).toContain('0 pushed');
  });
});
