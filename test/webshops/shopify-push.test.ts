import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../helpers/errors.js';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { openConnector, type ShipmentPush, type StockUpdate } from '../../src/connectors/index.js';
import { captureLogger, collect, fastHttp } from '../helpers/webshops/server.js';
import { DEFAULT_TRACKING_COMPANIES, SHOPIFY_TRACKING_COMPANIES, trackingCompany } from '../../src/connectors/shopify/tracking-companies.js';
import { fulfillmentOrdersOf, shopifyOrder, shopifyServer } from '../helpers/webshops/shopify.js';

const TOKEN = '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';
const READ_ONLY = 'shpat_0000000000000000000000000000read';
const WRITE_SCOPES = ['read_orders', 'read_products', 'read_locations', 'write_inventory', 'write_merchant_managed_fulfillment_orders'];
const LOC = 'gid://shopify/Location/1';
const item = (n: number) => `gid://shopify/InventoryItem/${9000 + n}`;

let server: ReturnType<typeof shopifyServer>;

function channel(over: Record<string, unknown> = {}) {
  return openConnector({
    type: 'shopify', shop: 'acme.myshopify.com', accessToken: TOKEN, baseUrl: server.url, locationId: '1',
    push: { stock: { enabled: true }, shipments: { enabled: true, notifyCustomer: true } }, ...over,
  }, { logger: silentLogger(), http: fastHttp });
}
const update = (n: number, quantity: number): StockUpdate => ({ sku: `SKU-${n}`, ids: { inventoryItemId: item(n) }, quantity, previous: null });
const mutations = (op: string) => server.requests.filter((r) => r.body.includes(`"operationName":"${op}"`));
const vars = (r: { body: string }) => JSON.parse(r.body).variables as Record<string, any>; // any: the test reads arbitrary GraphQL variables of several shapes

function shipment(over: Partial<ShipmentPush> = {}): ShipmentPush {
  return {
    shipmentId: 'SHP-1', orderId: 'acme:shop:5000001', orderRef: '5000001', carrier: 'PostNL', trackingNumber: '3SABCD1234567',
    trackingUrl: 'https://jouw.postnl.nl/track-and-trace/3SABCD1234567', shippedAt: '2026-05-04T10:00:00Z',
    lines: [{ sku: 'MUG-01', quantity: 2 }, { sku: 'TEA-02', quantity: 1 }], completesOrder: true, notifyCustomer: true, attempts: 0, ...over,
  };
}

beforeEach(async () => {
  server = await shopifyServer({
    tokens: new Map([[TOKEN, WRITE_SCOPES], [READ_ONLY, ['read_orders', 'read_products', 'read_locations', 'read_inventory']]]),
    bucket: { maximum: 2000, available: 2000, restoreRate: 100_000, at: Date.now() },
    locations: [{ id: LOC, name: 'Warehouse Venlo', isActive: true }, { id: 'gid://shopify/Location/2', name: 'Shop Utrecht', isActive: true }],
  }).start();
  for (let n = 1; n <= 600; n++) server.state.inventory.set(item(n), { tracked: true, levels: new Map([[LOC, 5]]) });
  server.state.orders.push(shopifyOrder({ n: 1, updatedAt: '2026-05-04T08:00:00Z', lines: [{ sku: 'MUG-01', qty: 2, price: '12.50' }, { sku: 'TEA-02', qty: 1, price: '4.95' }] }));
});
afterEach(async () => server.stop());

describe('Shopify push: SKU → inventory item', () => {
  it('takes SKU, barcode and inventory item id from the pulled variants', async () => {
    server.state.variants.push(
      { id: 'gid://shopify/ProductVariant/1', legacyResourceId: '1', sku: ' MUG-01 ', barcode: '08712345678906', requiresComponents: false, product: { id: 'gid://shopify/Product/10' }, inventoryItem: { id: item(1), tracked: true } },
      { id: 'gid://shopify/ProductVariant/2', legacyResourceId: '2', sku: '', barcode: null, requiresComponents: false, product: { id: 'gid://shopify/Product/11' }, inventoryItem: { id: item(2), tracked: true } },
      { id: 'gid://shopify/ProductVariant/3', legacyResourceId: '3', sku: 'GIFT', barcode: '', requiresComponents: false, product: { id: 'gid://shopify/Product/12' }, inventoryItem: null },
    );
    const ch = channel();
    const records = (await collect(ch.pullProducts())).flatMap((p) => p.records);
    expect(records.flatMap((r) => ch.push.productTargets(r))).toEqual([
      { sku: 'MUG-01', ean: '08712345678906', ids: { inventoryItemId: item(1), variantId: 'gid://shopify/ProductVariant/1' } },
    ]);
    expect(ch.push.productTargets(null)).toEqual([]);
  });
});

describe('Shopify stock push (inventorySetQuantities, API 2026-04)', () => {
  it('sets available in batches of at most 250 with changeFromQuantity and an idempotency key; an item already right is not sent', async () => {
    const ch = channel();
    expect(ch.push.stockBatchSize).toBe(250);
    const all = Array.from({ length: 600 }, (_, i) => update(i + 1, i === 0 ? 5 : 100 + i));
    const done: string[] = [];
    for (let i = 0; i < all.length; i += ch.push.stockBatchSize) {
      const r = await ch.push.pushStock(all.slice(i, i + ch.push.stockBatchSize));
      expect(r.refused).toEqual([]);
      done.push(...r.done);
    }
    expect(done.sort()).toEqual(all.map((u) => u.sku).sort());
    const sets = mutations('WharfSetStock');
    expect(sets.map((r) => vars(r).input.quantities.length)).toEqual([249, 250, 100]); // SKU-1 already had 5
    for (const r of sets) {
      expect(r.path).toBe('/admin/api/2026-04/graphql.json');
      expect(JSON.parse(r.body).query).toMatch(/inventorySetQuantities\(input: \$input\) @idempotent\(key: "[0-9a-f-]{36}"\)/);
      expect(vars(r).input).toMatchObject({ name: 'available', reason: 'correction' });
      expect(vars(r).input.quantities[0]).toEqual({ inventoryItemId: expect.any(String), locationId: LOC, quantity: expect.any(Number), changeFromQuantity: 5 });
    }
    expect(mutations('WharfInventoryLevels').every((r) => vars(r).ids.length <= 100)).toBe(true); // ≈300 points a read
    expect(server.state.inventory.get(item(2))!.levels.get(LOC)).toBe(101);
    expect(server.state.inventory.get(item(600))!.levels.get(LOC)).toBe(699);
  });

  it('refuses SKUs Shopify does not know or does not stock at the location, with the reason, and sets the rest', async () => {
    server.state.inventory.set(item(700), { tracked: true, levels: new Map([['gid://shopify/Location/2', 3]]) });
    server.state.inventory.set(item(701), { tracked: false, levels: new Map([[LOC, 0]]) });
    const r = await channel().push.pushStock([update(1, 8), { ...update(999, 4), ids: { inventoryItemId: 'gid://shopify/InventoryItem/1' } }, update(700, 2), update(701, 2), { ...update(702, 1), ids: {} }]);
    expect(r.done).toEqual(['SKU-1']);
    expect(r.refused).toEqual([
      { sku: 'SKU-702', message: expect.stringMatching(/no Shopify inventory item is known/) },
      { sku: 'SKU-999', message: expect.stringMatching(/Shopify has no inventory item gid:\/\/shopify\/InventoryItem\/1/) },
      { sku: 'SKU-700', message: expect.stringMatching(/not stocked at location 1/) },
      { sku: 'SKU-701', message: expect.stringMatching(/does not track inventory/) },
    ]);
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(8);
  });

  it('passes on Shopify\'s refusal of one quantity and sets the others', async () => {
    // Between the read and the write the item stops being stocked at the location: Shopify's userError.
    server.changeAfter(1, (req) => req.body.includes('WharfInventoryLevels'), () => server.state.inventory.get(item(2))!.levels.delete(LOC));
    server.state.inventory.get(item(3))!.bundle = true;
    const r = await channel().push.pushStock([update(1, 8), update(2, 9), update(3, 2)]);
    expect(r.done).toEqual(['SKU-1']);
    expect(r.refused).toEqual([
      { sku: 'SKU-2', message: 'Shopify: The specified inventory item is not stocked at the location.' },
      { sku: 'SKU-3', message: expect.stringMatching(/^Shopify: The specified inventory item is not allowed to be adjusted via API.*a bundle: Shopify computes its stock from its components/) },
    ]);
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(8);
  });

  it('CHANGE_FROM_QUANTITY_STALE (a sale between read and write): reads again and resends, under a new key', async () => {
    server.changeAfter(1, (req) => req.body.includes('WharfInventoryLevels'), () => server.state.inventory.get(item(1))!.levels.set(LOC, 4));
    const r = await channel().push.pushStock([update(1, 20), update(2, 21)]);
    expect(r).toEqual({ done: ['SKU-1', 'SKU-2'], refused: [] });
    expect(server.state.staleAnswers).toBe(1);
    const sets = mutations('WharfSetStock');
    expect(sets.map((s) => vars(s).input.quantities.map((q: { changeFromQuantity: number }) => q.changeFromQuantity))).toEqual([[5, 5], [4, 5]]);
    const keys = sets.map((s) => /key: "([^"]+)"/.exec(JSON.parse(s.body).query)![1]);
    expect(new Set(keys).size).toBe(2);
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(20);
  });

  it('gives up (retryable) when the stock keeps changing, never ignoring the conflict', async () => {
    for (let n = 1; n <= 6; n++) server.changeAfter(n, (req) => req.body.includes('WharfInventoryLevels'), () => server.state.inventory.get(item(1))!.levels.set(LOC, 50 - n));
    const err = await rejectionOf(channel().push.pushStock([update(1, 20)]));
    expect(err).toBeInstanceOf(WharfError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/kept changing.*CHANGE_FROM_QUANTITY_STALE 4 times/);
    expect(server.state.setCalls).toBe(0);
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(46);
  });

  it('a lost answer: the HTTP retry carries the same key and gets the first result; a later call finds the stock set and sends nothing', async () => {
    server.state.dropNext = { op: 'WharfSetStock', count: 1 };
    const ch = channel();
    expect(await ch.push.pushStock([update(1, 30), update(2, 31)])).toEqual({ done: ['SKU-1', 'SKU-2'], refused: [] });
    const sets = mutations('WharfSetStock');
    expect(sets).toHaveLength(2);
    expect(sets[0]!.body).toBe(sets[1]!.body);
    expect(server.state.setCalls).toBe(1); // applied once, replayed once
    // The outbox sends the batch again (it never got an answer): nothing is written.
    expect(await ch.push.pushStock([update(1, 30), update(2, 31)])).toEqual({ done: ['SKU-1', 'SKU-2'], refused: [] });
    expect(mutations('WharfSetStock')).toHaveLength(2);
  });

  it('an old result replayed for the same key (the same change hours ago) is not taken for done', async () => {
    const ch = channel();
    await ch.push.pushStock([update(1, 30)]);
    // The shop sells back down to 5 and the warehouse asks for 30 again: the same content, the same key.
    server.state.inventory.get(item(1))!.levels.set(LOC, 5);
    const group = [...server.state.idempotency.values()][0]!.result.inventoryAdjustmentGroup as { createdAt: string };
    group.createdAt = new Date(Date.now() - 3 * 3600_000).toISOString();
    expect(await ch.push.pushStock([update(1, 30)])).toEqual({ done: ['SKU-1'], refused: [] });
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(30);
    expect(server.state.setCalls).toBe(2);
  });

  it('a batch Shopify refused as a whole fails without retry; sent again later it goes under a new key', async () => {
    const venlo = server.state.locations.shift()!; // the location is gone from the shop
    const err = await rejectionOf(channel().push.pushStock([update(1, 12)]));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/inventorySetQuantities refused the batch: INVALID_LOCATION The specified location could not be found/);
    server.state.locations.unshift(venlo);
    // The same content again: Shopify keeps the refusal for that key (IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED).
    expect(await channel().push.pushStock([update(1, 12)])).toEqual({ done: ['SKU-1'], refused: [] });
    const keys = mutations('WharfSetStock').map((r) => /key: "([^"]+)"/.exec(JSON.parse(r.body).query)![1]);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(12);
  });

  it('rides out 429 with Retry-After and a THROTTLED answer', async () => {
    server.failNext(1, { status: 429, retryAfter: '1', pathIncludes: 'graphql.json' });
    const r = await channel().push.pushStock([update(1, 12)]);
    expect(r.done).toEqual(['SKU-1']);
    expect(server.hits('graphql.json', 429)).toHaveLength(1);
    server.state.bucket = { maximum: 1000, available: 0, restoreRate: 10, at: Date.now() }; // the read (≈4 points) must wait ≈0.4 s
    expect((await channel().push.pushStock([update(2, 13)])).done).toEqual(['SKU-2']);
    expect(server.state.throttled).toBeGreaterThan(0);
  });

  it('a read-only token: Shopify\'s ACCESS_DENIED, not retried, in plain words', async () => {
    const err = await rejectionOf(channel({ accessToken: READ_ONLY }).push.pushStock([update(1, 12)]));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/Access denied for inventorySetQuantities field\. Required access: `write_inventory`/);
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(5);
  });

  it('the stock push needs locationId and API 2026-04 or later', () => {
    expect(() => channel({ locationId: undefined })).toThrow(/push.stock needs `locationId`/);
    expect(() => channel({ apiVersion: '2025-10' })).toThrow(/needs apiVersion 2026-04 or later/);
    expect(() => channel({ apiVersion: '2025-10', push: undefined })).not.toThrow();
  });
});

describe('Shopify shipment push (fulfillmentCreate)', () => {
  it('fulfils the parcel\'s lines at the location with tracking and notifyCustomer, once', async () => {
    const r = await channel().push.pushShipment(shipment());
    expect(r.outcome).toBe('pushed');
    expect(r.detail).toMatch(/order #1001: fulfillment .* \(3 items, tracking 3SABCD1234567\)/);
    const [f, ...more] = server.state.fulfillments.get('gid://shopify/Order/5000001')!;
    expect(more).toEqual([]);
    expect(f).toMatchObject({ notifyCustomer: true, trackingInfo: [{ number: '3SABCD1234567', company: 'PostNL', url: 'https://jouw.postnl.nl/track-and-trace/3SABCD1234567' }] });
    expect(server.state.orders[0]!.displayFulfillmentStatus).toBe('FULFILLED');
    const req = mutations('WharfFulfill')[0]!;
    expect(JSON.parse(req.body).query).toMatch(/fulfillmentCreate\(fulfillment: \$fulfillment\) @idempotent\(key: "[0-9a-f-]{36}"\)/);
    // Reported again (e.g. by `wharf retry`): the tracking number is already there.
    expect((await channel().push.pushShipment(shipment())).outcome).toBe('already-there');
    expect(server.state.fulfillments.get('gid://shopify/Order/5000001')).toHaveLength(1);
  });

  it('a partial shipment sends only its lines; the next parcel the rest', async () => {
    const ch = channel();
    await ch.push.pushShipment(shipment({ lines: [{ sku: 'MUG-01', quantity: 1 }], completesOrder: false }));
    const input = vars(mutations('WharfFulfill')[0]!).fulfillment;
    expect(input.lineItemsByFulfillmentOrder).toEqual([{ fulfillmentOrderId: 'gid://shopify/FulfillmentOrder/50000011', fulfillmentOrderLineItems: [{ id: 'gid://shopify/FulfillmentOrderLineItem/50000010', quantity: 1 }] }]);
    expect(server.state.orders[0]!.displayFulfillmentStatus).toBe('PARTIALLY_FULFILLED');
    await ch.push.pushShipment(shipment({ shipmentId: 'SHP-2', trackingNumber: '3SABCD7654321', lines: [{ sku: 'MUG-01', quantity: 1 }, { sku: 'TEA-02', quantity: 1 }] }));
    expect(server.state.fulfillments.get('gid://shopify/Order/5000001')!.map((f) => f.lines.reduce((n, l) => n + l.quantity, 0))).toEqual([1, 2]);
    expect(server.state.orders[0]!.displayFulfillmentStatus).toBe('FULFILLED');
  });

  it('the answer lost after Shopify applied it: the next attempt reads the order and finds the fulfillment (one, not two)', async () => {
    server.state.dropNext = { op: 'WharfFulfill', count: 100 };
    const ch = channel();
    const err = await rejectionOf(ch.push.pushShipment(shipment()));
    expect(err.retryable).toBe(true);
    server.state.dropNext = undefined;
    const r = await ch.push.pushShipment(shipment({ attempts: 1 }));
    expect(r.outcome).toBe('already-there');
    expect(server.state.fulfillments.get('gid://shopify/Order/5000001')).toHaveLength(1);
    expect(mutations('WharfFulfill').every((m) => m.body === mutations('WharfFulfill')[0]!.body)).toBe(true); // one key for every resend
  });

  it('one dropped answer: no blind resend of the mutation; the retry reads the order first', async () => {
    server.state.dropNext = { op: 'WharfFulfill', count: 1 };
    const ch = channel();
    const err = await rejectionOf(ch.push.pushShipment(shipment()));
    expect(err.retryable).toBe(true);
    expect(mutations('WharfFulfill')).toHaveLength(1);
    expect((await ch.push.pushShipment(shipment({ attempts: 1 }))).outcome).toBe('already-there');
    expect(mutations('WharfFulfill')).toHaveLength(1);
    expect(server.state.fulfillments.get('gid://shopify/Order/5000001')).toHaveLength(1);
  });

  it('a key replayed by Shopify answers the first fulfillment (a resend of the same parcel never makes a second one)', async () => {
    server.state.fulfillments.set('gid://shopify/Order/5000001', []);
    const ch = channel();
    await ch.push.pushShipment(shipment({ trackingNumber: null, trackingUrl: null, lines: [{ sku: 'MUG-01', quantity: 1 }] }));
    // The same request again (same shipment id, same key): Shopify's idempotency answers the first result.
    const first = mutations('WharfFulfill')[0]!;
    const again = await fetch(`${server.url}${first.path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': TOKEN }, body: first.body }).then((r) => r.json() as Promise<{ data: { fulfillmentCreate: { fulfillment: { id: string } } } }>);
    expect(again.data.fulfillmentCreate.fulfillment.id).toBe(server.state.fulfillments.get('gid://shopify/Order/5000001')![0]!.id);
    expect(server.state.fulfillments.get('gid://shopify/Order/5000001')).toHaveLength(1);
  });

  it('a parcel without tracking sent before: nothing left to fulfil means already there on a later attempt, a refusal on a first one', async () => {
    const ch = channel();
    await ch.push.pushShipment(shipment({ trackingNumber: null, trackingUrl: null }));
    expect((await ch.push.pushShipment(shipment({ trackingNumber: null, trackingUrl: null, attempts: 2 }))).outcome).toBe('already-there');
    const err = await rejectionOf(ch.push.pushShipment(shipment({ shipmentId: 'SHP-9', trackingNumber: null, trackingUrl: null })));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/SKU MUG-01: 2 shipped but only 0 left to fulfil/);
  });

  it('a cancelled order is refused with the reason, not retried', async () => {
    server.state.orders.push(shopifyOrder({ n: 2, updatedAt: '2026-05-04T08:00:00Z', cancelledAt: '2026-05-04T09:00:00Z', lines: [{ sku: 'MUG-01', qty: 2, price: '12.50' }] }));
    const err = await rejectionOf(channel().push.pushShipment(shipment({ orderRef: '5000002', lines: [{ sku: 'MUG-01', quantity: 2 }] })));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/order #1002 was cancelled in the shop/);
    expect(mutations('WharfFulfill')).toHaveLength(0);
  });

  it('Shopify\'s own refusal (a fulfillment order closed meanwhile) is passed on, not retried', async () => {
    server.changeAfter(1, (req) => req.body.includes('WharfShipmentOrder'), () => { fulfillmentOrdersOf(server.state, 'gid://shopify/Order/5000001')[0]!.status = 'CLOSED'; });
    const err = await rejectionOf(channel().push.pushShipment(shipment()));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/shopify refused the fulfillment of order #1001: Fulfillment order 50000011 has an unfulfillable status= closed\./);
  });

  it('refused once, then `wharf retry` after the shop was fixed: sent under the next key of the shipment', async () => {
    const fo = fulfillmentOrdersOf(server.state, 'gid://shopify/Order/5000001')[0]!;
    server.changeAfter(1, (req) => req.body.includes('WharfShipmentOrder'), () => { fo.status = 'ON_HOLD'; });
    expect((await rejectionOf(channel().push.pushShipment(shipment()))).message).toMatch(/unfulfillable status= on_hold/);
    fo.status = 'OPEN'; // the merchant releases the hold
    expect((await channel().push.pushShipment(shipment())).outcome).toBe('pushed');
    const keys = mutations('WharfFulfill').map((r) => /key: "([^"]+)"/.exec(JSON.parse(r.body).query)![1]);
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[0]); // refused for that key: "retry with a new idempotency key"
    expect(keys[2]).not.toBe(keys[0]);
    expect(server.state.fulfillments.get('gid://shopify/Order/5000001')).toHaveLength(1);
  });

  it('an unknown order and lines at another location are refused', async () => {
    expect((await rejectionOf(channel().push.pushShipment(shipment({ orderRef: '5999999' })))).message).toMatch(/order 5999999 does not exist in the shop/);
    fulfillmentOrdersOf(server.state, 'gid://shopify/Order/5000001')[0]!.locationId = 'gid://shopify/Location/2';
    const err = await rejectionOf(channel().push.pushShipment(shipment()));
    expect(err.message).toMatch(/no open fulfillment order at this location/);
    // Without locationId the parcel goes to the one location its lines are open at.
    expect((await channel({ locationId: undefined, push: { shipments: { enabled: true } } }).push.pushShipment(shipment())).outcome).toBe('pushed');
  });

  it('a read-only token is refused with Shopify\'s ACCESS_DENIED naming the scopes', async () => {
    const err = await rejectionOf(channel({ accessToken: READ_ONLY }).push.pushShipment(shipment()));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toMatch(/Access denied for fulfillmentCreate field\. Required access: `write_merchant_managed_fulfillment_orders` or/);
  });
});

describe('Shopify tracking company (trackingInfo.company)', () => {
  it('maps Wharf carrier codes and common names to Shopify\'s names, spelled exactly; an unknown carrier as reported', () => {
    const company = (c: string | null, over?: Record<string, string>) => trackingCompany(c, over);
    // Wharf's codes (mappings/lookups/carriers.yaml).
    expect(['POSTNL', 'DHL', 'DHL_EXPRESS', 'DPD', 'GLS', 'UPS', 'BPOST'].map((c) => company(c)?.company)).toEqual(['PostNL', 'DHL', 'DHL Express', 'DPD', 'GLS', 'UPS', 'BPost']);
    expect(company('dhl for you')).toEqual({ company: 'DHL Parcel', known: true });
    expect(company('DPD-NL')).toEqual({ company: 'DPD', known: true });
    expect(company('fedex be')).toEqual({ company: 'FedEx', known: true });
    expect(company('colissimo')).toEqual({ company: 'Colissimo', known: true });
    expect(company('COLIS PRIVE')).toEqual({ company: 'Colis Privé', known: true });
    expect(company('PostNL Brievenbus')).toEqual({ company: 'PostNL', known: true });
    // Not in Shopify's list: sent as reported (Wharf's own codes spelled as the carrier does).
    expect(company('BUDBEE')).toEqual({ company: 'Budbee', known: false });
    expect(company('  Koeriersdienst Noord ')).toEqual({ company: 'Koeriersdienst Noord', known: false });
    // No near-name guessing: "PostNL Parcels Germany" is not "PostNL".
    expect(company('PostNL Parcels Germany')).toEqual({ company: 'PostNL Parcels Germany', known: false });
    expect(company(' ')).toBeNull();
    expect(company(null)).toBeNull();
    // The channel's table wins over the bundled one.
    expect(company('DHL', { dhl: 'DHL Parcel' })).toEqual({ company: 'DHL Parcel', known: true });
    expect(company('Koeriersdienst Noord', { 'koeriersdienst-noord': 'Trunkrs' })).toEqual({ company: 'Trunkrs', known: true });
  });

  it('every bundled default is a name of Shopify\'s documented list', () => {
    const names = new Set<string>(SHOPIFY_TRACKING_COMPANIES);
    expect(Object.values(DEFAULT_TRACKING_COMPANIES).filter((n) => !names.has(n))).toEqual([]);
  });

  it('the push sends Shopify\'s name; an unknown carrier goes as reported with its tracking URL, logged once', async () => {
    server.state.orders.push(shopifyOrder({ n: 2, updatedAt: '2026-05-04T08:00:00Z', lines: [{ sku: 'MUG-01', qty: 1, price: '12.50' }] }));
    server.state.orders.push(shopifyOrder({ n: 3, updatedAt: '2026-05-04T08:00:00Z', lines: [{ sku: 'MUG-01', qty: 1, price: '12.50' }] }));
    const { logger, text } = captureLogger();
    const ch = openConnector({
      type: 'shopify', shop: 'acme.myshopify.com', accessToken: TOKEN, baseUrl: server.url, locationId: '1',
      push: { shipments: { enabled: true } }, trackingCompanies: { 'DHL Parcel Benelux': 'DHL Parcel' },
    }, { logger, http: fastHttp });
    const ships = [
      shipment({ carrier: 'DHL_EXPRESS', trackingNumber: '1234567890', trackingUrl: undefined }),
      shipment({ shipmentId: 'SHP-2', orderId: 'acme:shop:5000002', orderRef: '5000002', carrier: 'Koeriersdienst Noord', trackingNumber: 'KN-1', trackingUrl: 'https://track.example.nl/KN-1', lines: [{ sku: 'MUG-01', quantity: 1 }] }),
      shipment({ shipmentId: 'SHP-3', orderId: 'acme:shop:5000003', orderRef: '5000003', carrier: 'KOERIERSDIENST NOORD', trackingNumber: 'KN-2', trackingUrl: 'https://track.example.nl/KN-2', lines: [{ sku: 'MUG-01', quantity: 1 }] }),
    ];
    for (const p of ships) expect((await ch.push.pushShipment(p)).outcome).toBe('pushed');
    const info = (n: number) => server.state.fulfillments.get(`gid://shopify/Order/500000${n}`)![0]!.trackingInfo;
    expect(info(1)).toEqual([{ number: '1234567890', company: 'DHL Express', url: null }]);
    expect(info(2)).toEqual([{ number: 'KN-1', company: 'Koeriersdienst Noord', url: 'https://track.example.nl/KN-1' }]);
    expect(info(3)).toEqual([{ number: 'KN-2', company: 'KOERIERSDIENST NOORD', url: 'https://track.example.nl/KN-2' }]);
    const warnings = text().trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/carrier "Koeriersdienst Noord" is not one of Shopify's tracking companies; sent as it is with the tracking URL.*trackingCompanies/);
  });
});

describe('Shopify test server strictness (the rules the connector must meet)', () => {
  const post = (query: string, variables: unknown, version = '2026-04') => fetch(`${server.url}/admin/api/${version}/graphql.json`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': TOKEN }, body: JSON.stringify({ query, variables, operationName: 'WharfSetStock' }),
  }).then((r) => r.json() as Promise<{ errors?: { message: string }[]; data?: unknown }>);
  const q = (i: number) => ({ inventoryItemId: item(i), locationId: LOC, quantity: 1, changeFromQuantity: 5 });
  const doc = (directive: string) => `mutation WharfSetStock($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input)${directive} { userErrors { field message code } } }`;
  const key = ' @idempotent(key: "8f0c2a3e-1111-5222-8333-444455556666")';

  it('refuses 251 quantities, a 2026-04 call without idempotency key or without changeFromQuantity', async () => {
    const many = await post(doc(key), { input: { name: 'available', reason: 'correction', quantities: Array.from({ length: 251 }, (_, i) => q(i + 1)) } });
    expect(many.errors?.[0]?.message).toBe('The input array size of 251 is greater than the maximum allowed of 250.');
    expect((await post(doc(''), { input: { name: 'available', reason: 'correction', quantities: [q(1)] } })).errors?.[0]?.message).toMatch(/@idempotent directive is required/);
    const { changeFromQuantity: _omit, ...bare } = q(1);
    expect((await post(doc(key), { input: { name: 'available', reason: 'correction', quantities: [bare] } })).errors?.[0]?.message).toMatch(/changeFromQuantity is required/);
    // Before 2026-04 neither was required.
    expect((await post(doc(''), { input: { name: 'available', reason: 'correction', quantities: [bare] } }, '2026-01')).errors).toBeUndefined();
    expect(server.state.inventory.get(item(1))!.levels.get(LOC)).toBe(1);
  });
});

describe('Shopify test-connection for the push', () => {
  it('explains a read-only credential in plain words', async () => {
    const r = await channel({ accessToken: READ_ONLY }).testConnection();
    expect(r.ok).toBe(false);
    const perm = r.steps.find((s) => s.step === 'permissions')!;
    expect(perm.ok).toBe(false);
    expect(perm.detail).toMatch(/lacks access scopes to set stock levels \(write_inventory\), report shipments \(write_merchant_managed_fulfillment_orders or write_fulfillments/);
    expect(perm.detail).toMatch(/reinstall the app/);
  });

  it('without locationId lists the store\'s active locations', async () => {
    server.state.locations.push({ id: 'gid://shopify/Location/3', name: 'Old store', isActive: false });
    const r = await channel({ locationId: undefined, push: { shipments: { enabled: true } } }).testConnection();
    const step = r.steps.find((s) => s.step === 'location')!;
    expect(step).toMatchObject({ ok: true });
    expect(step.detail).toBe('no locationId set: a parcel is fulfilled at the location its lines are open at. Active locations: 1 "Warehouse Venlo", 2 "Shop Utrecht"');
  });
});
