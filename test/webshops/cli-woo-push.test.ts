/**
 * Stock and shipments pushed to WooCommerce through the real CLI and daemon (issue 9): the product
 * pull stores the push ids, a warehouse stock report changes 3 of 1,000 SKUs → exactly those are
 * pushed; a shipment report → the order completed with one note, also when an answer was lost;
 * dry-run sends nothing; `wharf status` shows the push and the unknown SKU; a read-only key is
 * explained; `kill -9` of the daemon mid-push (stock, and a shipment note the shop applied but whose
 * answer never came), then a restart: no update lost, no order noted or completed twice.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, wharf } from '../helpers/cli.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { dropReport, killMidPush, pushSku, reportConfigHead, shipmentPushStatus, stockReportSeries } from '../helpers/webshops/push-cli.js';

const KEY = 'ck_1111111111111111111111111111111111111111';
const RO_KEY = 'ck_3333333333333333333333333333333333333333';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const N = 1000;
const sku = pushSku;
const env = { WOO_KEY: KEY, WOO_SECRET: SECRET, WOO_RO_KEY: RO_KEY };

let server: ReturnType<typeof wooServer>;
let work: string;
let config: string;
let reports: string;

const run = (args: string[], timeoutMs = 60_000) => wharf([...args, '--config', config], { env, timeoutMs });

/** Drops a report into the report folder as a complete file (written elsewhere, then renamed). */
const drop = (name: string, text: string) => dropReport(work, reports, name, text);

const stockCsv = stockReportSeries();

function batchItems(): { id: number; stock_quantity: number }[][] {
  return server.hits('/products/batch', 200).map((h) => (JSON.parse(h.body) as { update?: { id: number; stock_quantity: number }[] }).update ?? []).filter((u) => u.length);
}

beforeAll(async () => {
  server = await wooServer({
    keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }, { key: RO_KEY, secret: SECRET, permissions: 'read' }],
    products: Array.from({ length: N }, (_, i) => ({ id: 5000 + i, type: 'simple', name: `Product ${i}`, sku: sku(i), manage_stock: false, stock_quantity: null })),
    orders: [
      wooOrder({ id: 41, modified: '2026-11-20T09:00:00Z', lines: [{ sku: sku(1), qty: 2, price: '9.95' }, { sku: sku(2), qty: 1, price: '19.95' }] }),
      wooOrder({ id: 42, modified: '2026-11-20T09:30:00Z', lines: [{ sku: sku(3), qty: 1, price: '9.95' }] }),
    ],
  }).start();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-woo-push-'));
  reports = path.join(work, 'reports');
  await fs.mkdir(reports);
  config = path.join(work, 'wharf.yaml');
  const channel = (key: string, extra = '') => `
        type: woocommerce
        url: https://shop.example
        baseUrl: ${server.url}/wp-json/wc/v3
        consumerKey: \${${key}}
        consumerSecret: \${WOO_SECRET}
        schedules: { orders: "0 0 1 1 *", products: "0 0 1 1 *", stock: "0 0 1 1 *", shipments: "0 0 1 1 *" }
        push:
          stock: { enabled: true }
          shipments: { enabled: true }${extra}`;
  await fs.writeFile(config, `${reportConfigHead({ dir: work, mappings: path.join(REPO, 'mappings'), reports, merchant: 'acme' })}merchants:
  acme:
    channels:
      woo:${channel('WOO_KEY')}
      ro:${channel('WOO_RO_KEY')}
`);
});
afterAll(async () => {
  await server.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe('WooCommerce push through the CLI', { timeout: 240_000 }, () => {
  it('the product pull keeps the push ids; a first push sends every SKU, then exactly the 3 that changed', async () => {
    const pull = await run(['sync', 'acme/woo', 'products']);
    expect(pull.code, pull.stderr).toBe(0);
    await drop('stock-1.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), i % 40])));
    const once = await run(['once'], 120_000);
    expect(once.code, once.stderr).toBe(0);
    expect(batchItems().flat()).toHaveLength(N);
    expect(batchItems().every((b) => b.length <= 100)).toBe(true);
    expect(server.state.products.find((p) => p.sku === sku(77))).toMatchObject({ manage_stock: true, stock_quantity: 37 });

    server.requests.length = 0;
    await drop('stock-2.csv', stockCsv([[sku(3), 500], [sku(40), 0], [sku(41), 1], [sku(600), 9], [sku(999), 38]])); // 40 and 41 unchanged
    const second = await run(['once'], 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect(batchItems(), JSON.stringify(batchItems())).toEqual([[
      { id: 5003, manage_stock: true, stock_quantity: 500 },
      { id: 5600, manage_stock: true, stock_quantity: 9 },
      { id: 5999, manage_stock: true, stock_quantity: 38 },
    ]]);
  });

  it('--dry-run prints SKU old → new and sends nothing', async () => {
    await drop('stock-3.csv', stockCsv([[sku(5), 123], ['NOT-IN-SHOP', 4]]));
    // Take the report in without pushing: the report source alone.
    const intake = await run(['sync', '@warehouse/wms']);
    expect(intake.code, intake.stderr).toBe(0);
    server.requests.length = 0;
    const dry = await run(['sync', 'acme/woo', 'stock', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`${sku(5)}\t5 → 123`);
    expect(dry.stdout).toMatch(/NOT-IN-SHOP\t- → 4\t\(unknown to the shop: not sent\)/);
    expect(server.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    const now = await run(['sync', 'acme/woo', 'stock']);
    expect(now.stdout).toContain('acme/woo stock: 1 of 2 changed SKU(s) pushed in 1 batch(es); 1 unknown to the shop');
    expect(server.state.products.find((p) => p.sku === sku(5))!.stock_quantity).toBe(123);
  });

  it('wharf status shows the push and the unknown SKU', async () => {
    const s = await run(['status']);
    expect(s.stdout).toContain('Webshop pushes');
    expect(s.stdout).toMatch(/acme\/woo stock \[0 0 1 1 \*\] next run \S+; 1 unknown SKU\(s\), 0 refused/);
    expect(s.stdout).toContain('UNKNOWN SKU NOT-IN-SHOP');
    expect(s.stdout).toMatch(/last run \S+: 1 of 2 changed SKU\(s\) pushed/);
    const json = JSON.parse((await run(['status', '--json'])).stdout) as { pushes: { channel: string; stock?: { unknownSkus: number } }[] };
    expect(json.pushes.find((p) => p.channel === 'acme/woo')!.stock!.unknownSkus).toBe(1);
  });

  it('a read-only key: the push fails with what to change', async () => {
    const r = await run(['sync', 'acme/ro', 'stock']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Read permission only/);
    expect(r.stderr).toMatch(/Read\/Write/);
    const t = await run(['test-connection', 'acme/ro']);
    expect(t.code).toBe(1);
    expect(t.stdout + t.stderr).toMatch(/Read permission only/);
  });

  it('a shipment report completes the order with one note, also when the first answer was lost', async () => {
    const orders = await run(['sync', 'acme/woo', 'orders']);
    expect(orders.code, orders.stderr).toBe(0);
    server.dropAnswerNext(1, { pathIncludes: '/orders/41/notes', method: 'POST' });
    await drop('ship-1.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:woo:41;P1;2026-11-21 10:00:00;PostNL;3SABC123;https://postnl.nl/t/3SABC123;${sku(1)};2\n`);
    const first = await run(['once'], 120_000);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("will retry (reading the shop's state first)");
    expect(server.state.notes.get(41)).toHaveLength(1); // arrived, though its answer was lost
    expect(server.state.orders[0]!.status).toBe('processing');
    // The retry is due after its back-off (the same `once` may already have made it, when the report's
    // import woke the push and the end of the pass ran it again); it reads the notes first.
    const deadline = Date.now() + 60_000;
    let out = first.stderr;
    while (!out.includes('note was there already') && Date.now() < deadline) out += (await run(['sync', 'acme/woo', 'shipments'])).stdout;
    expect(out).toContain('note was there already');
    expect(server.state.notes.get(41)).toHaveLength(1);
    expect(server.state.notes.get(41)![0]!.note).toContain('2 × ' + sku(1)); // partial: its lines only
    expect(server.state.orders[0]!.status).toBe('processing');

    await drop('ship-2.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:woo:41;P2;2026-11-21 11:00:00;DHL;JVGL0001;;${sku(2)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const dry = await run(['sync', 'acme/woo', 'shipments', '--dry-run']);
    expect(dry.stdout).toMatch(/P2\torder 41 → DHL JVGL0001\tdry-run/);
    expect(server.state.notes.get(41)).toHaveLength(1);
    const second = await run(['sync', 'acme/woo', 'shipments']);
    expect(second.stdout).toContain('1 pushed');
    expect(server.state.orders[0]!.status).toBe('completed');
    expect(server.state.notes.get(41)).toHaveLength(2);
    expect((await run(['sync', 'acme/woo', 'shipments'])).stdout).toContain('0 pushed');
  });

  it('kill -9 of the daemon in the middle of a stock push, then a restart: every update arrives', async () => {
    await drop('stock-4.csv', stockCsv(Array.from({ length: N }, (_, i) => [sku(i), 1000 + i])));
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    server.requests.length = 0;
    // Slow batches, so that the kill lands while the push is going.
    server.slowNext(1_000, 150);
    await killMidPush({ config, env, until: () => server.hits('/products/batch', 200).length >= 3, deadlineMs: 30_000 });
    const before = server.state.products.filter((p) => Number(p.stock_quantity) >= 1000).length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(N);
    server.slowNext(0, 0);
    const again = await run(['sync', 'acme/woo', 'stock'], 120_000);
    expect(again.code, again.stderr).toBe(0);
    for (let i = 0; i < N; i++) expect(server.state.products[i]!.stock_quantity).toBe(1000 + i);
    expect(server.state.notes.get(41)).toHaveLength(2); // the restart noted no order twice
  });

  it('wharf status lists a refused shipment push under its channel with the shop\'s message and the row to retry', async () => {
    // Order 42 was pulled open; it is cancelled in the shop before its parcel is reported.
    server.state.orders.find((o) => o.id === 42)!.status = 'cancelled';
    await drop('ship-9.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:woo:42;P9;2026-11-22 10:00:00;PostNL;3SXYZ999;;${sku(3)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const r = await run(['sync', 'acme/woo', 'shipments']);
    expect(r.stdout + r.stderr).toMatch(/cancelled/);
    const s = await run(['status']);
    const m = /acme\/woo shipments \[[^\]]*\] next run \S+; 0 pending, 1 failed, 0 retrying\n {4}FAILED d(\d+) shipment P9 of order 42 \(1 attempt\(s\)\): woocommerce: order 42 is "cancelled" in the shop[^\n]*\n {6}fix it in the shop, then `wharf retry d(\d+)`/.exec(s.stdout);
    expect(m, s.stdout).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    const json = JSON.parse((await run(['status', '--json'])).stdout) as { pushes: { channel: string; shipments?: { failed: number; problems: { id: number; shipmentId: string; state: string; message: string }[] } }[] };
    const sh = json.pushes.find((p) => p.channel === 'acme/woo')!.shipments!;
    expect(sh.problems).toEqual([expect.objectContaining({ id: Number(m![1]), shipmentId: 'P9', state: 'failed', message: expect.stringContaining('cancelled') })]);
  });

  it('kill -9 of the daemon while a shipment note is on its way (the shop added it, the answer never came), then a restart: one note, the order completed once, the push done', async () => {
    server.state.orders.push(wooOrder({ id: 43, modified: '2026-11-23T09:00:00Z', lines: [{ sku: sku(7), qty: 1, price: '9.95' }] }));
    expect((await run(['sync', 'acme/woo', 'orders'])).code).toBe(0);
    await drop('ship-k.csv', 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY\n' +
      `acme:woo:43;PK;2026-11-23 10:00:00;PostNL;3SKILL43;;${sku(7)};1\n`);
    expect((await run(['sync', '@warehouse/wms'])).code).toBe(0);
    const notes = () => server.state.notes.get(43) ?? [];
    server.holdAnswerNext(1, { pathIncludes: '/orders/43/notes', method: 'POST' });
    await killMidPush({ config, env, until: () => notes().length === 1 });
    const order = server.state.orders.find((o) => o.id === 43)!;
    expect(order.status).toBe('processing'); // killed before the status PUT
    const again = await run(['sync', 'acme/woo', 'shipments']);
    expect(again.code, again.stderr).toBe(0);
    // The ledger knew the row was being sent when the daemon died: the restart read the shop first.
    expect(again.stderr).toContain("shipment push was being sent when an earlier run stopped");
    expect(again.stdout).toContain('order 43: note was there already, status completed');
    expect(notes()).toHaveLength(1);
    expect(order.status).toBe('completed');
    expect(server.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/orders/43'))).toHaveLength(1);
    const sh = await shipmentPushStatus(run, 'acme/woo');
    expect(sh!.pending).toBe(0);
    expect(sh!.problems.filter((x) => x.shipmentId === 'PK')).toEqual([]);
    expect((await run(['sync', 'acme/woo', 'shipments'])).stdout).toContain('0 pushed');
  });
});
