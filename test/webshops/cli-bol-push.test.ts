/**
 * Stock and shipments pushed to bol.com through the real CLI and daemon (issue 9), against the
 * Retailer API test server (client-credentials token, v10/v11 media types, Offers API v11 offer list
 * read by cursor, Offers API v11 stock PATCH, POST /retailer/shipments answered 202 and its process status
 * polled PENDING → SUCCESS, a read-only credential refused with 403, a mode that applies a write and
 * drops the answer): the product pull (GET /retailer/offers, 11 pages) stores the offer ids; a stock report changes 3 of 1,000 SKUs →
 * exactly those are set; a bundle of a `bundles` lookup table gets its computed stock; a shipment
 * report → the order items shipped with transporter and track & trace, once, also when the first
 * answer was lost; a partial shipment; dry-run sends nothing; `wharf status` shows the unknown SKU; a
 * read-only credential is explained; `kill -9` of the daemon mid-push (stock, and a shipment bol
 * accepted but whose answer never came), then a restart: no update lost, no order shipped twice.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wharf } from '../helpers/cli.js';
import { bolOrder, bolServer, type BolTestServer } from '../helpers/webshops/bol.js';
import { dropReport, killMidPush, mappingsWithBundles, pushSku, reportConfigHead, shipmentPushStatus, stockReportSeries } from '../helpers/webshops/push-cli.js';

const ID = 'e5d0c8a2-6f4b-4a51-9d3e-1f2a3b4c5d6e';
const SECRET = 'Zm9vYmFyLXNlY3JldC12YWx1ZS1mb3ItdGVzdHMtb25seQ';
const RO_ID = 'b7c1d2e3-0000-4000-8000-00000000read';
const RO_SECRET = 'cmVhZC1vbmx5LXNlY3JldC1mb3ItdGVzdHMtb25seQ';
const N = 1000;
const sku = pushSku;
const ean = (i: number) => `87100000${String(i).padStart(5, '0')}`;
const offerId = (i: number) => `6ff736b5-cdd0-4150-8c67-${String(i).padStart(12, '0')}`;
const env = { BOL_ID: ID, BOL_SECRET: SECRET, BOL_RO_ID: RO_ID, BOL_RO_SECRET: RO_SECRET };
const ORDER = '1043946541';
// bol filters order changes relative to its own clock: the order is dated in the last hour.
const CHANGED = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000).toISOString().replace('.000Z', 'Z');

let server: BolTestServer;
let work: string;
let config: string;
let reports: string;

const run = (args: string[], timeoutMs = 90_000) => wharf([...args, '--config', config], { env, timeoutMs });
const amount = (i: number) => server.state.offers.get(offerId(i))!.stock.amount;
/** The stock PATCHes bol answered: [offer id, amount]. */
const patches = () => server.requests.filter((r) => r.method === 'PATCH' && r.status >= 200 && r.status < 300)
  .map((r) => [r.path.split('/').pop()!, (JSON.parse(r.body) as { stock: { amount: number } }).stock.amount] as const);
const shipments = () => server.state.shipments.filter((s) => s.order.orderId === ORDER);
const shipped = () => (server.state.orders.find((o) => o.orderId === ORDER)!.orderItems as { quantityShipped: number }[]).map((i) => i.quantityShipped);

const drop = (name: string, text: string) => dropReport(work, reports, name, text);

const stockCsv = stockReportSeries();

beforeAll(async () => {
  server = await bolServer({ clientId: ID, clientSecret: SECRET, readOnly: { clientId: RO_ID, clientSecret: RO_SECRET } }).start();
  // 1,000 offers, and a gift box the retailer sells as its own offer; the warehouse packs it from two SKUs (lookup table).
  for (let i = 0; i <= N; i++) {
    const ref = i === N ? 'GIFT-BOX' : sku(i);
    server.state.offers.set(offerId(i), { ean: ean(i), reference: ref, stock: { amount: 0, managedByRetailer: false } });
  }
  server.state.orders.push(bolOrder({ id: ORDER, changed: CHANGED, lines: [{ ean: ean(1), qty: 2, price: 9.95, reference: sku(1) }, { ean: ean(2), qty: 1, price: 19.95, reference: sku(2) }] }));

  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-bol-push-'));
  reports = path.join(work, 'reports');
  await fs.mkdir(reports);
  const mappings = await mappingsWithBundles(work, { platform: 'bol', linesFrom: 'itemsToShip', name: 'acme-bol-orders', bundles: { 'GIFT-BOX': [{ sku: sku(10), quantity: 1 }, { sku: sku(11), quantity: 2 }] } });
  config = path.join(work, 'wharf.yaml');
  const channel = (id: string, secret: string) => `
        type: bol
        clientId: \${${id}}
        clientSecret: \${${secret}}
        tokenUrl: ${server.url}/token
        baseUrl: ${server.url}
        rateLimit: { requestsPerSecond: 1000, burst: 100 }
        processPollInterval: 0.05
        mappings: { orders: acme-bol-orders }
        schedules: { orders: "0 0 1 1 *", products: "0 0 1 1 *", stock: "0 0 1 1 *", shipments: "0 0 1 1 *" }
        push:
          stock: { enabled: true }
          shipments: { enabled: true }`;
  await fs.writeFile(config, `${reportConfigHead({ dir: work, mappings, reports, merchant: 'acme' })}merchants:
  acme:
    channels:
      bol:${channel('BOL_ID', 'BOL_SECRET')}
      ro:${channel('BOL_RO_ID', 'BOL_RO_SECRET')}
`);
});
afterAll(async () => {
  await server.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe('bol.com push through the CLI', { timeout: 300_000 }, () => {
  it('the v11 offer list keeps the offer ids; a first push sets every offer, then exactly the 3 that changed', async () => {
    const pull = await run(['sync', 'acme/bol', 'products']);
    expect(pull.code, pull.stderr).toBe(0);
    await drop('stock-1.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 1 + (i % 40)])));
    const once = await run(['once'], 180_000);
    expect(once.code, once.stderr).toBe(0);
    expect(patches().filter(([id]) => id !== offerId(N))).toHaveLength(N);
    expect(amount(77)).toBe(38);
    expect(server.state.offers.get(offerId(77))!.stock.managedByRetailer).toBe(true);
    // The bundle: min(SKU-0010 / 1, SKU-0011 / 2) = min(11, 6) = 6.
    expect(amount(N)).toBe(6);

    server.requests.length = 0;
    await drop('stock-2.csv', stockCsv([[sku(3), 500], [sku(40), 1], [sku(41), 2], [sku(600), 9], [sku(999), 38]])); // 40 and 41 unchanged
    const second = await run(['once'], 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect([...patches()].sort()).toEqual([[offerId(3), 500], [offerId(600), 9], [offerId(999), 38]]);
  });

  it('a component change pushes the bundle with it', async () => {
    server.requests.length = 0;
    await drop('stock-3.csv', stockCsv([[sku(11), 40]]));
    const r = await run(['once'], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect([...patches()].sort()).toEqual([[offerId(11), 40], [offerId(N), 11]].sort());
  });

  it('--dry-run prints SKU old → new and sends nothing; status shows the unknown SKU', async () => {
    await drop('stock-4.csv', stockCsv([[sku(5), 123], ['NOT-IN-SHOP', 4]]));
    const intake = await run(['sync', '@warehouse/wms']);
    expect(intake.code, intake.stderr).toBe(0);
    server.requests.length = 0;
    const dry = await run(['sync', 'acme/bol', 'stock', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${sku(5)}\t6 → 123`);
    expect(dry.stdout).toMatch(/NOT-IN-SHOP\t- → 4\t\(unknown to the shop: not sent\)/);
    expect(server.requests.filter((r) => r.method !== 'GET' && r.path !== '/token')).toHaveLength(0);
    const now = await run(['sync', 'acme/bol', 'stock']);
    expect(now.stdout).toContain('acme/bol stock: 1 of 2 changed SKU(s) pushed in 1 batch(es); 1 unknown to the shop');
    expect(amount(5)).toBe(123);
    const s = await run(['status']);
    expect(s.stdout).toMatch(/acme\/bol stock \[0 0 1 1 \*\] next run \S+; 1 unknown SKU\(s\), 0 refused/);
    expect(s.stdout).toContain('UNKNOWN SKU NOT-IN-SHOP');
  });

  it('a read-only credential: the push fails with what to change, and test-connection says so', async () => {
    // A change the shop does not have yet (a SKU already right in the shop needs no write).
    await drop('stock-ro.csv', stockCsv([[sku(6), 77]]));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const r = await run(['sync', 'acme/ro', 'stock']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/may not do this \(HTTP 403/);
    expect(r.stderr).toMatch(/read-only/);
    const t = await run(['test-connection', 'acme/ro']);
    expect(t.code, t.stdout + t.stderr).toBe(1);
    expect(t.stdout + t.stderr).toMatch(/read-only/);
    expect(t.stdout + t.stderr).not.toContain(RO_SECRET);
  });

  it('a partial shipment is reported once with transporter and track & trace, also when the first answer was lost; the next parcel the rest', async () => {
    const orders = await run(['sync', 'acme/bol', 'orders']);
    expect(orders.code, orders.stderr).toBe(0);
    server.dropNext(1, 'POST', '/retailer/shipments');
    await drop('ship-1.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:bol:${ORDER};P1;2026-11-21 10:00:00;PostNL;3SABC123;;${sku(1)};2\n`);
    const first = await run(['once'], 120_000);
    expect(first.code, first.stderr).toBe(0);
    const deadline = Date.now() + 60_000;
    let out = first.stdout + first.stderr;
    // The retry (at once, or after its back-off) waits for bol's process of the lost POST and finds the shipment.
    const found = new RegExp(`bol (already has|processed) shipment P1 of order ${ORDER}`);
    while (!found.test(out) && Date.now() < deadline) out += (await run(['sync', 'acme/bol', 'shipments'])).stdout;
    expect(out).toMatch(found);
    expect(shipments()).toHaveLength(1);
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/retailer/shipments')).toHaveLength(1);
    expect(shipments()[0]).toMatchObject({ transport: { transporterCode: 'TNT', trackAndTrace: '3SABC123' } });
    expect(shipped()).toEqual([2, 0]); // partial: its lines only

    await drop('ship-2.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:bol:${ORDER};P2;2026-11-21 11:00:00;DHL;JVGL0001;;${sku(2)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const dry = await run(['sync', 'acme/bol', 'shipments', '--dry-run']);
    expect(dry.stdout).toMatch(new RegExp(`P2\\torder ${ORDER} → DHL JVGL0001\\tdry-run`));
    expect(shipments()).toHaveLength(1);
    const second = await run(['sync', 'acme/bol', 'shipments']);
    expect(second.stdout, second.stderr).toContain('1 pushed');
    expect(shipments()).toHaveLength(2);
    expect(shipments()[1]).toMatchObject({ transport: { transporterCode: 'DHL', trackAndTrace: 'JVGL0001' } });
    expect(shipped()).toEqual([2, 1]);
    expect((await run(['sync', 'acme/bol', 'shipments'])).stdout).toContain('0 pushed');
  });

  it('kill -9 of the daemon in the middle of a stock push, then a restart: every update arrives, no order shipped twice', async () => {
    // A second order, its parcel reported with the stock: the daemon pushes both at its start.
    server.state.orders.push(bolOrder({ id: '1043946542', changed: CHANGED, lines: [{ ean: ean(3), qty: 1, price: 9.95, reference: sku(3) }] }));
    expect((await run(['sync', 'acme/bol', 'orders'])).code).toBe(0);
    await drop('ship-3.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:bol:1043946542;P3;2026-11-22 10:00:00;PostNL;3SABC999;;${sku(3)};1\n`);
    await drop('stock-5.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 900 + (i % 90)])));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    server.requests.length = 0;
    server.slowNext(2_000, 20);
    await killMidPush({ config, env, until: () => patches().length >= 120, deadlineMs: 30_000 });
    const before = Array.from({ length: N }, (_, i) => amount(i)).filter((q) => q >= 900).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(N);
    server.slowNext(0, 0);
    const again = await run(['sync', 'acme/bol', 'stock'], 180_000);
    expect(again.code, again.stderr).toBe(0);
    for (let i = 0; i < N; i++) expect(amount(i)).toBe(900 + (i % 90));
    const ship = await run(['sync', 'acme/bol', 'shipments'], 120_000);
    expect(ship.code, ship.stderr).toBe(0);
    expect(server.state.shipments.filter((x) => x.order.orderId === '1043946542')).toHaveLength(1);
    expect(shipments()).toHaveLength(2);
  });

  it('kill -9 of the daemon while a shipment is on its way (bol accepted it, the answer never came), then a restart: the order shipped once, the push done', async () => {
    const order = '1043946543';
    const itemId = `${order}0`;
    server.state.orders.push(bolOrder({ id: order, changed: CHANGED, lines: [{ ean: ean(7), qty: 1, price: 9.95, reference: sku(7) }] }));
    expect((await run(['sync', 'acme/bol', 'orders'])).code).toBe(0);
    await drop('ship-k.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:bol:${order};PK;2026-11-23 10:00:00;PostNL;3SKILL43;;${sku(7)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    // bol's shipment processes of this item (the POST creates one; bol works it off asynchronously).
    const processes = () => [...server.state.processes.values()].filter((p) => p.eventType === 'CREATE_SHIPMENT' && p.entityId === itemId);
    const posts = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/retailer/shipments' && r.body.includes('"shipmentReference":"PK"'));
    server.holdAnswerNext(1, { pathIncludes: '/retailer/shipments', method: 'POST' });
    await killMidPush({ config, env, until: () => processes().length === 1 });
    const again = await run(['sync', 'acme/bol', 'shipments']);
    expect(again.code, again.stderr).toBe(0);
    // The ledger knew the row was being sent when the daemon died: the restart read the shop first.
    expect(again.stderr).toContain("shipment push was being sent when an earlier run stopped");
    expect(again.stdout).toMatch(new RegExp(`bol (already has|processed) shipment PK of order ${order}`));
    expect(posts()).toHaveLength(1);
    expect(processes()).toHaveLength(1);
    expect(server.state.shipments.filter((x) => x.order.orderId === order)).toHaveLength(1);
    expect((server.state.orders.find((o) => o.orderId === order)!.orderItems as { quantityShipped: number }[])[0]!.quantityShipped).toBe(1);
    const sh = await shipmentPushStatus(run, 'acme/bol');
    expect(sh).toMatchObject({ pending: 0, failed: 0, retrying: 0 });
    expect((await run(['sync', 'acme/bol', 'shipments'])).stdout).toContain('0 pushed');
  });
});
