import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../helpers/errors.js';
import { openConnector, type ChannelConnector, type ShipmentPush, type StockUpdate } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/log.js';
import { collect, fastHttp } from '../helpers/webshops/server.js';
import { lightspeedOrder, lightspeedServer, lightspeedShipment } from '../helpers/webshops/lightspeed.js';

/**
 * Lightspeed's stock and shipment push through `openConnector(config).push`, over real HTTP against the
 * Lightspeed test server (test/helpers/webshops/lightspeed.ts).
 */

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SECRET = 'f0e9d8c7b6a5948372615a4b3c2d1e0f';
const T0 = '2026-03-01T10:00:00+00:00';

let server: ReturnType<typeof lightspeedServer>;
const open = (over: Record<string, unknown> = {}, http: object = fastHttp): ChannelConnector =>
  openConnector(
    { type: 'lightspeed', apiKey: KEY, apiSecret: SECRET, baseUrl: server.url, rateLimit: { requestsPerSecond: 1000, burst: 1000 }, push: { stock: { enabled: true }, shipments: { enabled: true } }, ...over },
    { logger: silentLogger(), http },
  );

function variant(id: number, sku: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, sku, articleCode: `ART-${sku}`, ean: '', stockLevel: 0, stockTracking: 'enabled', title: 'Zwart', product: { resource: { id: 5000 + id, url: `products/${5000 + id}` } }, ...over };
}

/** An order (status processing_awaiting_shipment) with its lines. */
function seedOrder(id: number, lines: { sku: string; qty: number }[], status?: string): void {
  const { order, products } = lightspeedOrder({ id, updatedAt: T0, status, lines: lines.map((l) => ({ ...l, price: 10 })) });
  server.state.orders.push(order);
  server.state.orderProducts.set(id, products);
}

function parcel(over: Partial<ShipmentPush>): ShipmentPush {
  return {
    shipmentId: 'S-1', orderId: 'acme:lightspeed:7', orderRef: '7', carrier: 'DHL', trackingNumber: 'JVGL0612345678', trackingUrl: null, shippedAt: '2026-03-02T09:00:00Z',
    lines: [{ sku: 'BEL-01', quantity: 2 }], completesOrder: true, notifyCustomer: true, attempts: 0, ...over,
  };
}


const stockUpdates = (n: number, quantity: (i: number) => number): StockUpdate[] =>
  Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i + 1}`, ids: { variantId: 100 + i }, quantity: quantity(i), previous: null }));

beforeEach(async () => {
  server = await lightspeedServer({ key: KEY, secret: SECRET }).start();
});
afterEach(async () => server.stop());

describe('Lightspeed push targets', () => {
  it('reads variant id, SKU (else the article code) and EAN from the pulled variants', async () => {
    server.state.variants.push(variant(1, 'BEL-01', { ean: '5412345678908' }), variant(2, '', { articleCode: 'ART-77' }), variant(3, '', { articleCode: '' }), variant(4, ' BEL-04 ', { ean: 'n/a' }));
    const ch = open();
    const records = (await collect(ch.pullProducts())).flatMap((p) => p.records);
    expect(records.flatMap((r) => ch.push.productTargets(r))).toEqual([
      { sku: 'BEL-01', ean: '5412345678908', ids: { variantId: 1, productId: 5001 } },
      { sku: 'ART-77', ean: null, ids: { variantId: 2, productId: 5002 } },
      { sku: 'BEL-04', ean: null, ids: { variantId: 4, productId: 5004 } },
    ]);
    expect(ch.push.productTargets({ sku: 'X' })).toEqual([]); // no id: not a target
    expect(ch.push.productTargets('garbage')).toEqual([]);
  });
});

describe('Lightspeed stock push', () => {
  it('sets absolute stock levels of 120 variants in batches of stockBatchSize, one PUT per variant', async () => {
    for (let i = 0; i < 120; i++) server.state.variants.push(variant(100 + i, `SKU-${i + 1}`, { stockLevel: 3 }));
    const ch = open();
    expect(ch.push.supported).toBe(true);
    const size = ch.push.stockBatchSize;
    const all = stockUpdates(120, (i) => i % 7);
    const done: string[] = [];
    for (let i = 0; i < all.length; i += size) {
      const r = await ch.push.pushStock(all.slice(i, i + size));
      expect(r.refused).toEqual([]);
      done.push(...r.done);
    }
    expect(done).toHaveLength(120);
    expect(server.state.variants.map((v) => v.stockLevel)).toEqual(all.map((u) => u.quantity));
    const puts = server.hits('/variants/').filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(120);
    expect(JSON.parse(puts[5]!.body)).toEqual({ variant: { stockLevel: 5 } });
  });

  it('refuses per SKU with Lightspeed\'s words: a deleted variant, a variant without stock tracking; the rest is done', async () => {
    server.state.variants.push(variant(100, 'SKU-1'), variant(102, 'SKU-3', { stockTracking: 'disabled' }));
    const r = await open().push.pushStock(stockUpdates(3, () => 9));
    expect(r.done).toEqual(['SKU-1']);
    expect(r.refused).toEqual([
      { sku: 'SKU-2', message: expect.stringMatching(/variant is not in the shop \(deleted\?\).*lightspeed said: Not found/) },
      { sku: 'SKU-3', message: expect.stringMatching(/stock tracking is off for it \(stockTracking: disabled\)/) },
    ]);
    expect(server.state.variants[0]!.stockLevel).toBe(9);
  });

  it('a key without write access to products fails the whole batch, not retryable, with the permission to add', async () => {
    server.state.variants.push(variant(100, 'SKU-1'));
    server.state.write.products = false;
    const err = await rejectionOf(open().push.pushStock(stockUpdates(1, () => 4)));
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(err.message).toMatch(/lacks write access to products/);
    expect(server.state.variants[0]!.stockLevel).toBe(0);
  });

  it('paces itself by the X-RateLimit headers and honours a 429', async () => {
    for (let i = 0; i < 6; i++) server.state.variants.push(variant(100 + i, `SKU-${i + 1}`));
    server.state.windows = [{ limit: 3, seconds: 1, used: 0, start: Date.now() }];
    const started = Date.now();
    const r = await open().push.pushStock(stockUpdates(6, () => 2));
    expect(r.done).toHaveLength(6);
    expect(server.hits('/variants/', 429)).toHaveLength(0); // paced, never refused
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // sat out a window reset

    // A 429 that comes anyway (another app on the same key) is retried after the wait it asks for.
    server.state.windows = [{ limit: 1000, seconds: 300, used: 0, start: Date.now() }];
    server.failNext(1, { status: 429, retryAfter: '1', pathIncludes: '/variants/' });
    const again = Date.now();
    const r2 = await open().push.pushStock(stockUpdates(1, () => 8));
    expect(r2.done).toEqual(['SKU-1']);
    expect(server.hits('/variants/', 429)).toHaveLength(1);
    expect(Date.now() - again).toBeGreaterThanOrEqual(900);
    expect(server.state.variants[0]!.stockLevel).toBe(8);
  });

  it('when the hourly window runs dry the push stops, retryable, without a 429 (the next run goes on)', async () => {
    for (let i = 0; i < 3; i++) server.state.variants.push(variant(100 + i, `SKU-${i + 1}`));
    server.state.windows = [{ limit: 2, seconds: 3600, used: 0, start: Date.now() }];
    const err = await rejectionOf(open().push.pushStock(stockUpdates(3, () => 5)));
    expect(err).toMatchObject({ code: 'TRANSPORT_FAILED', retryable: true });
    expect(err.message).toMatch(/request allowance is used up for the next 60 min/);
    expect(server.hits('/variants/', 429)).toHaveLength(0);
    expect(server.state.variants.map((v) => v.stockLevel)).toEqual([5, 0, 0]);
  });

  it('an update applied but its answer lost is retryable, and sending it again is harmless (absolute level)', async () => {
    server.state.variants.push(variant(100, 'SKU-1'));
    server.state.drop = { count: 1, pathIncludes: '/variants/100' };
    const err = await rejectionOf(open({}, { ...fastHttp, maxAttempts: 1 }).push.pushStock(stockUpdates(1, () => 6)));
    expect(err.retryable).toBe(true);
    expect(server.state.variants[0]!.stockLevel).toBe(6); // it was applied
    expect((await open().push.pushStock(stockUpdates(1, () => 6))).done).toEqual(['SKU-1']);
    expect(server.state.variants[0]!.stockLevel).toBe(6);
  });
});

describe('Lightspeed shipment push', () => {
  it('marks the order\'s shipment shipped with the tracking code, once', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]));
    const ch = open();
    const r = await ch.push.pushShipment(parcel({}));
    expect(r).toMatchObject({ outcome: 'pushed', detail: expect.stringMatching(/ORD00007: shipment SHIP00051 marked shipped with tracking JVGL0612345678/) });
    expect(server.state.shipmentUpdates).toEqual([{ id: 51, body: { status: 'shipped', trackingCode: 'JVGL0612345678', doNotifyShipped: true, doNotifyTrackingCode: true } }]);
    expect(server.state.orders[0]).toMatchObject({ status: 'completed_shipped', shipmentStatus: 'shipped' });

    // The same parcel again (a second outbox run): the shop already shows it; nothing is sent.
    expect(await ch.push.pushShipment(parcel({}))).toMatchObject({ outcome: 'already-there' });
    expect(server.state.shipmentUpdates).toHaveLength(1);
  });

  it('after a lost answer, the next attempt reads the shipment and finds it done: one update in the shop', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]));
    server.state.drop = { count: 1, pathIncludes: '/shipments/51' };
    const err = await rejectionOf(open({}, { ...fastHttp, maxAttempts: 1 }).push.pushShipment(parcel({})));
    expect(err.retryable).toBe(true);
    expect(server.state.shipmentUpdates).toHaveLength(1); // applied although unanswered

    const r = await open().push.pushShipment(parcel({ attempts: 1 }));
    expect(r.outcome).toBe('already-there');
    expect(server.state.shipmentUpdates).toHaveLength(1);
    expect(server.hits('/shipments/51.json').filter((q) => q.method === 'PUT')).toHaveLength(1);
  });

  it('without a tracking code, a retry after a lost answer recognises the shipment by its lines', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }, { sku: 'BEL-02', qty: 1 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]), lightspeedShipment(52, 7, [{ sku: 'BEL-02', qty: 1 }]));
    server.state.drop = { count: 1, pathIncludes: '/shipments/' };
    const p = parcel({ trackingNumber: null, completesOrder: false });
    await rejectionOf(open({}, { ...fastHttp, maxAttempts: 1 }).push.pushShipment(p));
    expect(await open().push.pushShipment({ ...p, attempts: 1 })).toMatchObject({ outcome: 'already-there' });
    expect(server.state.shipmentUpdates).toEqual([{ id: 51, body: { status: 'shipped', doNotifyShipped: true, doNotifyTrackingCode: false } }]);
  });

  it('two parcels with the same lines and no tracking code: a retry never reports the second shipment for the first parcel', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 1 }]), lightspeedShipment(52, 7, [{ sku: 'BEL-01', qty: 1 }]));
    const first = parcel({ trackingNumber: null, completesOrder: false, lines: [{ sku: 'BEL-01', quantity: 1 }] });
    server.state.drop = { count: 1, pathIncludes: '/shipments/' };
    await rejectionOf(open({}, { ...fastHttp, maxAttempts: 1 }).push.pushShipment(first));
    expect(await open().push.pushShipment({ ...first, attempts: 2 })).toMatchObject({ outcome: 'already-there' });
    expect(server.state.shipmentUpdates.map((u) => u.id)).toEqual([51]);
    // The second parcel (its first attempt) takes the other shipment.
    expect(await open().push.pushShipment({ ...first, shipmentId: 'S-2', completesOrder: true })).toMatchObject({ outcome: 'pushed' });
    expect(server.state.shipmentUpdates.map((u) => u.id)).toEqual([51, 52]);
  });

  it('a partial parcel updates only the shipment holding exactly its lines', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }, { sku: 'BEL-02', qty: 1 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]), lightspeedShipment(52, 7, [{ sku: 'BEL-02', qty: 1 }]));
    const ch = open();
    const r = await ch.push.pushShipment(parcel({ lines: [{ sku: 'BEL-02', quantity: 1 }], completesOrder: false, trackingNumber: '3SABC1' }));
    expect(r.outcome).toBe('pushed');
    expect(server.state.shipmentUpdates.map((u) => u.id)).toEqual([52]);
    expect(server.state.shipments.map((s) => s.status)).toEqual(['not_shipped', 'shipped']);
    expect(server.state.orders[0]).toMatchObject({ status: 'processing_awaiting_shipment', shipmentStatus: 'partially_shipped' });

    // The second parcel completes the order.
    await ch.push.pushShipment(parcel({ shipmentId: 'S-2', lines: [{ sku: 'BEL-01', quantity: 2 }], trackingNumber: '3SABC2' }));
    expect(server.state.shipmentUpdates.map((u) => u.id)).toEqual([52, 51]);
    expect(server.state.orders[0]).toMatchObject({ status: 'completed_shipped' });
  });

  it('a partial parcel Lightspeed cannot record (one shipment for the whole order) is refused in plain words, nothing sent', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }, { sku: 'BEL-02', qty: 1 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }, { sku: 'BEL-02', qty: 1 }]));
    const err = await rejectionOf(open().push.pushShipment(parcel({ lines: [{ sku: 'BEL-01', quantity: 2 }], completesOrder: false })));
    expect(err).toMatchObject({ code: 'DELIVERY_CONFLICT', retryable: false });
    expect(err.message).toMatch(/no shipment holds exactly this parcel \(BEL-01 × 2\); open: SHIP00051 \(BEL-01 × 2, BEL-02 × 1\).*cannot split a shipment/);
    expect(err.details.hint).toMatch(/split the shipment in the Lightspeed back office.*wharf retry/);
    expect(server.state.shipmentUpdates).toEqual([]);
  });

  it('a shipment someone already shipped with another tracking code is refused, not overwritten', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }]);
    server.state.shipments.push({ ...lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]), status: 'shipped', trackingCode: 'OTHER-1' });
    const err = await rejectionOf(open().push.pushShipment(parcel({})));
    expect(err).toMatchObject({ code: 'DELIVERY_CONFLICT', retryable: false });
    expect(err.message).toMatch(/SHIP00051 is already shipped with tracking OTHER-1/);
    expect(server.state.shipmentUpdates).toEqual([]);
  });

  it('a cancelled order is refused: by its status, and with Lightspeed\'s own message when the update is refused', async () => {
    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }], 'cancelled');
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]));
    const err = await rejectionOf(open().push.pushShipment(parcel({})));
    expect(err).toMatchObject({ code: 'DELIVERY_CONFLICT', retryable: false });
    expect(err.message).toMatch(/ORD00007 is cancelled in the shop \(status "cancelled"\)/);

    // A channel whose cancelledStatuses do not name it: Lightspeed refuses the update itself.
    const err2 = await rejectionOf(open({ cancelledStatuses: ['cancelled_by_merchant'] }).push.pushShipment(parcel({})));
    expect(err2.retryable).toBe(false);
    expect(err2.message).toMatch(/HTTP 400.*lightspeed said: Order is cancelled/);
    expect(server.state.shipmentUpdates).toEqual([]);
  });

  it('an unknown order is refused (not retried); a key without write access to orders is explained', async () => {
    const err = await rejectionOf(open().push.pushShipment(parcel({ orderRef: '404' })));
    expect(err).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(err.message).toMatch(/this order is not in the shop/);

    seedOrder(7, [{ sku: 'BEL-01', qty: 2 }]);
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 2 }]));
    server.state.write.orders = false;
    const err2 = await rejectionOf(open().push.pushShipment(parcel({})));
    expect(err2).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(err2.message).toMatch(/lacks write access to orders/);
  });
});

describe('Lightspeed test-connection for the push', () => {
  it('explains a key without write access to products', async () => {
    server.state.variants.push(variant(100, 'SKU-1', { stockLevel: 5 }));
    server.state.write.products = false;
    const r = await open().testConnection();
    expect(r.ok).toBe(false);
    expect(r.steps.find((s) => s.step === 'writing products (stock)')).toMatchObject({ ok: false, detail: expect.stringMatching(/lacks write access to products.*Settings > API/) });
    expect(server.state.variants[0]!.stockLevel).toBe(5);
  });
});
