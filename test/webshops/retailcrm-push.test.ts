import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../helpers/errors.js';
import { silentLogger } from '../../src/log.js';
import { openConnector, type ChannelConnector, type ShipmentPush, type StockUpdate } from '../../src/connectors/index.js';
import { parseRetailcrmConfig } from '../../src/connectors/retailcrm/index.js';
import { shipmentDate } from '../../src/connectors/retailcrm/push-shipment.js';
import { collect, fastHttp } from '../helpers/webshops/server.js';
import { retailcrmOrder, retailcrmServer } from '../helpers/webshops/retailcrm.js';
import { errorOf } from '../helpers/errors.js';

/**
 * RetailCRM stock and shipment push through `openConnector(config).push`, against the RetailCRM test
 * server over real HTTP (issue 9).
 */

const KEY = 'T9DMPvuNt7FQJMszHUdG8Fkt6xHsqngH-test';
const ZONE = 'Europe/Moscow';
let server: ReturnType<typeof retailcrmServer>;

const raw = (over: Record<string, unknown> = {}) => ({
  type: 'retailcrm', url: 'https://acme.retailcrm.ru', apiKey: KEY, site: 'acme-shop', timezone: ZONE, baseUrl: server.url, storeCode: 'main-warehouse',
  rateLimit: { requestsPerSecond: 1000, burst: 100 },
  push: { stock: { enabled: true }, shipments: { enabled: true } },
  ...over,
});
const open = (over: Record<string, unknown> = {}): ChannelConnector => openConnector(raw(over), { logger: silentLogger(), http: fastHttp });

/** `n` products of one offer each: offer id 5000+i, article SKU-i. */
function seedProducts(n: number): void {
  for (let i = 0; i < n; i++) server.state.products.push({ id: 100 + i, name: `Product ${i}`, article: `P-${i}`, offers: [{ id: 5000 + i, article: `SKU-${i}`, externalId: `ext-${i}`, barcode: String(4600000000000 + i), name: `Offer ${i}` }] });
}

/** Targets from a real product pull, as the push machinery keeps them. */
async function targets(c: ChannelConnector): Promise<Map<string, StockUpdate['ids']>> {
  const out = new Map<string, StockUpdate['ids']>();
  for (const page of await collect(c.pullProducts())) for (const r of page.records) for (const t of c.push.productTargets(r)) out.set(t.sku, t.ids);
  return out;
}

const ship = (over: Partial<ShipmentPush> = {}): ShipmentPush => ({
  shipmentId: 'shp-1', orderId: 'acme:crm:41', orderRef: '41', carrier: 'cdek', trackingNumber: 'TRK-001', trackingUrl: null,
  shippedAt: '2026-03-01T22:30:00Z', lines: [{ sku: 'ART-41', quantity: 1 }], completesOrder: true, notifyCustomer: false, attempts: 0, ...over,
});


beforeEach(async () => {
  server = await retailcrmServer({ apiKey: KEY }).start();
});
afterEach(async () => server.stop());

describe('RetailCRM push config and targets', () => {
  it('is supported; a push without storeCode is a config error; targets carry the offer id', () => {
    const c = open();
    expect(c.push.supported).toBe(true);
    expect(c.push.stockBatchSize).toBe(250);
    const e = errorOf(() => parseRetailcrmConfig({ type: 'retailcrm', url: 'https://a.retailcrm.ru', apiKey: KEY, timezone: ZONE, push: { shipments: { enabled: true } } }));
    expect(e).toMatchObject({ code: 'CONFIG_INVALID', details: { field: 'storeCode' } });
    expect(e.message).toMatch(/push\.shipments need `storeCode`/);
    expect(c.push.productTargets({ id: 771, article: ' KETTLE-W ', barcode: '4601234567893', externalId: 'k-w', product: { article: 'KETTLE' } })).toEqual([{ sku: 'KETTLE-W', ean: '4601234567893', ids: { offerId: 771, externalId: 'k-w' } }]);
    // No article on the offer: the product's (as the default product mapping); no id or no SKU: no target.
    expect(c.push.productTargets({ id: 772, product: { article: 'KETTLE' } })).toEqual([{ sku: 'KETTLE', ean: null, ids: { offerId: 772 } }]);
    expect(c.push.productTargets({ article: 'X' })).toEqual([]);
    expect(c.push.productTargets({ id: 3 })).toEqual([]);
    expect(c.push.productTargets(null)).toEqual([]);
  });
});

describe('RetailCRM stock push', () => {
  it('sets absolute stock in the configured store, ≤ 250 offers a request, an unknown offer refused', async () => {
    seedProducts(300);
    const c = open();
    const ids = await targets(c);
    expect(ids.size).toBe(300);
    const updates: StockUpdate[] = [...ids].map(([sku, i], n) => ({ sku, ids: i, quantity: n % 7, previous: null }));
    updates.push({ sku: 'GONE', ids: { offerId: 999_999 }, quantity: 4, previous: 1 });
    const results = [];
    for (let i = 0; i < updates.length; i += c.push.stockBatchSize) results.push(await c.push.pushStock(updates.slice(i, i + c.push.stockBatchSize)));
    const uploads = server.hits('/store/inventories/upload', 200);
    expect(uploads).toHaveLength(2);
    const sent = uploads.map((r) => JSON.parse(new URLSearchParams(r.body).get('offers')!) as unknown[]);
    expect(sent.map((o) => o.length)).toEqual([250, 51]);
    expect(new URLSearchParams(uploads[0]!.body).get('site')).toBe('acme-shop');
    expect(sent[0]![0]).toEqual({ id: 5000, stores: [{ code: 'main-warehouse', available: 0 }] });
    expect(server.state.stock['5006']).toEqual({ 'main-warehouse': 6 });
    expect(Object.keys(server.state.stock)).toHaveLength(300);
    expect(results.flatMap((r) => r.done)).toHaveLength(300);
    expect(results.flatMap((r) => r.refused)).toEqual([{ sku: 'GONE', message: expect.stringMatching(/did not find offer 999999/) }]);
    // Absolute quantities: sending again changes nothing.
    await c.push.pushStock(updates.slice(0, 3));
    expect(server.state.stock['5001']).toEqual({ 'main-warehouse': 1 });
  });

  it('the test server refuses more than 250 offers, and the connector never sends them', async () => {
    seedProducts(1);
    const offers = Array.from({ length: 251 }, (_, i) => ({ id: 5000 + i, stores: [{ code: 'main-warehouse', available: 1 }] }));
    const res = await fetch(`${server.url}/api/v5/store/inventories/upload`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ offers: JSON.stringify(offers) }).toString() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ success: false, errorMsg: expect.stringMatching(/at most 250/) });
    const big = offers.map((o, i) => ({ sku: `S${i}`, ids: { offerId: o.id }, quantity: 1, previous: null }));
    const e = await rejectionOf(open().push.pushStock(big));
    expect(e.retryable).toBe(false);
    expect(server.hits('/store/inventories/upload')).toHaveLength(1); // only the raw fetch above
  });

  it('a key that may not write stock is refused as RetailCRM answers; an unknown store code with its message', async () => {
    seedProducts(2);
    server.state.scopes = ['order_read', 'store_read'];
    const c = open();
    const ids = await targets(c);
    const batch = [...ids].map(([sku, i]) => ({ sku, ids: i, quantity: 3, previous: null }));
    const e = await rejectionOf(c.push.pushStock(batch));
    expect(e).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(e.message).toMatch(/Access denied/);
    // What to change: the scope this request needs, and where to tick it.
    expect(e.message).toContain('may not set stock (it lacks the access scope store_write');
    expect(e.details.hint).toMatch(/API access keys: edit the key, tick store_write/);
    server.state.scopes.push('store_write');
    const e2 = await rejectionOf(open({ storeCode: 'nowhere' }).push.pushStock(batch));
    expect(e2.retryable).toBe(false);
    expect(e2.message).toMatch(/Store with code "nowhere" not found/);
    expect(server.state.stock).toEqual({});
  });

  it('429 with Retry-After and 503 (too many requests) are waited out, then the batch goes through', async () => {
    seedProducts(2);
    const c = open();
    const ids = await targets(c);
    server.failNext(1, { status: 429, retryAfter: '1', pathIncludes: '/inventories/upload', body: { success: false, errorMsg: 'Too Many Requests' } });
    server.failNext(1, { status: 503, pathIncludes: '/inventories/upload', body: { success: false, errorMsg: 'Service Unavailable' } });
    const t0 = Date.now();
    const r = await c.push.pushStock([...ids].map(([sku, i]) => ({ sku, ids: i, quantity: 9, previous: 2 })));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // Retry-After: 1 s honoured
    expect(r.done.sort()).toEqual(['SKU-0', 'SKU-1']);
    expect(server.hits('/inventories/upload').map((x) => x.status)).toEqual([429, 503, 200]);
    expect(server.state.stock['5001']).toEqual({ 'main-warehouse': 9 });
  });
});

describe('RetailCRM shipment push', () => {
  beforeEach(() => {
    server.state.orders.push(retailcrmOrder({ id: 41, statusUpdatedAt: '2026-03-01 10:00:00', lines: [{ article: 'ART-A', qty: 1, price: 100 }, { article: 'ART-B', qty: 2, price: 50 }] }));
  });
  const order = () => server.state.orders.find((o) => o.id === 41) as { shipped?: boolean; shipmentStore?: string; shipmentDate?: string; delivery?: { data?: { trackNumber?: string } } };

  it('marks the order shipped from the store with date and track number, in one edit', async () => {
    const r = await open().push.pushShipment(ship());
    expect(r.outcome).toBe('pushed');
    expect(order()).toMatchObject({ shipped: true, shipmentStore: 'main-warehouse', shipmentDate: '2026-03-02', delivery: { data: { trackNumber: 'TRK-001' } } });
    expect(server.state.edits['41']).toBe(1);
    const edit = new URLSearchParams(server.hits('/orders/41/edit')[0]!.body);
    expect(edit.get('by')).toBe('id');
    expect(edit.get('site')).toBe('acme-shop');
    expect(JSON.parse(edit.get('order')!)).toEqual({ shipped: true, shipmentStore: 'main-warehouse', shipmentDate: '2026-03-02', delivery: { data: { trackNumber: 'TRK-001' } } });
  });

  it('after a lost answer the next attempt reads the order and finds it done: one edit in the shop', async () => {
    const c = open({ requestTimeout: 2 });
    server.dropAnswerNext(1, { pathIncludes: '/orders/41/edit' });
    const e = await rejectionOf(c.push.pushShipment(ship()));
    expect(e.retryable).toBe(true);
    expect(server.state.edits['41']).toBe(1); // the shop applied it although the answer was lost
    const r = await c.push.pushShipment(ship({ attempts: 1 }));
    expect(r).toMatchObject({ outcome: 'already-there', detail: expect.stringMatching(/already shipped with TRK-001/) });
    expect(server.state.edits['41']).toBe(1);
    expect(server.hits('/orders/41/edit')).toHaveLength(1);
  });

  it('a partial parcel sends only its track number; the parcel that completes the order sets shipped', async () => {
    const c = open();
    const first = await c.push.pushShipment(ship({ shipmentId: 'p1', lines: [{ sku: 'ART-A', quantity: 1 }], completesOrder: false, trackingNumber: 'TRK-A' }));
    expect(first.outcome).toBe('pushed');
    expect(JSON.parse(new URLSearchParams(server.hits('/orders/41/edit')[0]!.body).get('order')!)).toEqual({ delivery: { data: { trackNumber: 'TRK-A' } } });
    expect(order().shipped).toBe(false);
    // Second parcel, other track: RetailCRM holds one track number per order, the first is kept.
    const second = await c.push.pushShipment(ship({ shipmentId: 'p2', lines: [{ sku: 'ART-B', quantity: 2 }], completesOrder: true, trackingNumber: 'TRK-B' }));
    expect(second.outcome).toBe('pushed');
    expect(second.detail).toMatch(/one track number per order.*TRK-A.*TRK-B was not written/);
    expect(JSON.parse(new URLSearchParams(server.hits('/orders/41/edit')[1]!.body).get('order')!)).toEqual({ shipped: true, shipmentStore: 'main-warehouse', shipmentDate: '2026-03-02' });
    expect(order()).toMatchObject({ shipped: true, delivery: { data: { trackNumber: 'TRK-A' } } });
    expect(server.state.edits['41']).toBe(2);
  });

  it('a cancelled order is refused (not retryable) with its RetailCRM status; an unknown order with RetailCRM\'s message', async () => {
    Object.assign(server.state.orders[0]!, { status: 'cancel-other' });
    const e = await rejectionOf(open().push.pushShipment(ship()));
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/order 41 is cancelled in RetailCRM \(status "cancel-other"\)/);
    // A status of the account's "cancel" group that `cancelledStatuses` does not list: refused all the same.
    Object.assign(server.state.orders[0]!, { status: 'no-product' });
    const g = await rejectionOf(open().push.pushShipment(ship()));
    expect(g.retryable).toBe(false);
    expect(g.message).toMatch(/order 41 is cancelled in RetailCRM \(status "Нет в наличии" \(no-product\), status group "cancel"\)/);
    expect(server.hits('/edit')).toHaveLength(0);
    const e2 = await rejectionOf(open().push.pushShipment(ship({ orderRef: '404404' })));
    expect(e2).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(e2.message).toMatch(/does not know order 404404.*Not found/);
  });

  it('an edit RetailCRM refuses fails with its errorMsg and errors, not retried', async () => {
    const e = await rejectionOf(open({ storeCode: 'old-warehouse' }).push.pushShipment(ship()));
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/Order is not loaded; Store not found/);
    expect(server.hits('/orders/41/edit')).toHaveLength(1);
    expect(order().shipped).toBe(false);
  });

  it('a key that may not read the status reference: cancelledStatuses alone decides', async () => {
    server.state.scopes = server.state.scopes!.filter((x) => x !== 'reference_read');
    Object.assign(server.state.orders[0]!, { status: 'no-product' });
    expect((await open().push.pushShipment(ship())).outcome).toBe('pushed');
    expect(server.hits('/reference/statuses', 403)).toHaveLength(1);
    Object.assign(server.state.orders[0]!, { status: 'cancel-other', shipped: false });
    expect((await rejectionOf(open().push.pushShipment(ship()))).message).toMatch(/cancelled in RetailCRM \(status "cancel-other"\)/);
  });

  it('a key that may not edit orders is refused with RetailCRM\'s answer; a 429 on the edit (not applied) is waited out', async () => {
    server.state.scopes = ['order_read', 'store_read', 'store_write'];
    const e = await rejectionOf(open().push.pushShipment(ship()));
    expect(e).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(e.message).toMatch(/Access denied/);
    expect(e.message).toContain('it lacks the access scope order_write');
    expect(order().shipped).toBe(false);
    server.state.scopes.push('order_write');
    server.failNext(1, { status: 429, retryAfter: '1', pathIncludes: '/orders/41/edit', body: { success: false, errorMsg: 'Too Many Requests' } });
    const r = await open().push.pushShipment(ship());
    expect(r.outcome).toBe('pushed');
    expect(server.hits('/orders/41/edit').map((x) => x.status)).toEqual([403, 429, 200]);
    expect(server.state.edits['41']).toBe(1);
  });

  it('shipmentDate is the parcel\'s day in the account zone, else today there', () => {
    expect(shipmentDate('2026-03-01T22:30:00Z', 'Europe/Moscow')).toBe('2026-03-02');
    expect(shipmentDate('2026-03-01T22:30:00Z', 'Europe/Amsterdam')).toBe('2026-03-01');
    expect(shipmentDate(null, 'Europe/Moscow', Date.parse('2026-06-30T21:00:00Z'))).toBe('2026-07-01');
  });
});

describe('RetailCRM test-connection and write access', () => {
  it('a read-only key is explained: which access rights to tick', async () => {
    server.state.scopes = ['order_read', 'store_read'];
    const r = await open().testConnection();
    expect(r.ok).toBe(false);
    const step = r.steps.find((s) => s.step === 'permissions')!;
    expect(step.ok).toBe(false);
    expect(step.detail).toMatch(/report shipments \(order_write\).*set stock levels \(store_write\)/);
    expect(step.detail).toMatch(/Settings > Integration > API access keys: tick these access rights/);
    // Only the shipment push on: only its right is required.
    server.state.scopes.push('order_write');
    const ship = await open({ push: { shipments: { enabled: true } } }).testConnection();
    expect(ship.ok).toBe(true);
    expect(ship.steps.find((s) => s.step === 'permissions')!.detail).toMatch(/before switching on push\.stock also tick store_write/);
  });

  it('checks the storeCode among the account\'s warehouses', async () => {
    const ok = await open().testConnection();
    expect(ok.ok).toBe(true);
    expect(ok.steps.find((s) => s.step === 'warehouse for the push')).toMatchObject({ ok: true, detail: expect.stringMatching(/warehouse "main-warehouse"/) });
    const wrong = await open({ storeCode: 'main' }).testConnection();
    expect(wrong.steps.find((s) => s.step === 'warehouse for the push')).toMatchObject({ ok: false, detail: expect.stringMatching(/storeCode "main" is not a warehouse of this RetailCRM account \(its warehouses: main-warehouse\)/) });
    server.state.scopes = server.state.scopes!.filter((x) => x !== 'reference_read');
    const unchecked = await open({ storeCode: 'main' }).testConnection();
    expect(unchecked.steps.find((s) => s.step === 'warehouse for the push')).toMatchObject({ ok: true, detail: expect.stringMatching(/not checked: the key may not read references/) });
    // Without a push, no warehouse step.
    expect((await open({ push: undefined }).testConnection()).steps.map((s) => s.step)).not.toContain('warehouse for the push');
  });
});
