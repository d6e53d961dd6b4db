import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { createWooContext, parseWooConfig, testConnection, wooPush, type WooConfig } from '../../src/connectors/woocommerce/index.js';
import type { ShipmentPush, StockUpdate } from '../../src/connectors/types.js';
import { fastHttp } from '../helpers/webshops/server.js';
import { WOO_BATCH_MAX, wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';

/**
 * The WooCommerce push (stock batches, shipment notes and status) against the documented-protocol
 * test server: limits, per-item errors, read-only keys, 429, and an answer lost after the shop did the work.
 */
const KEY = 'ck_1111111111111111111111111111111111111111';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const RO_KEY = 'ck_3333333333333333333333333333333333333333';

let server: ReturnType<typeof wooServer>;

function ctx(over: Partial<WooConfig> = {}, key = KEY) {
  const config = parseWooConfig({ type: 'woocommerce', url: 'https://shop.example', consumerKey: key, consumerSecret: SECRET, baseUrl: `${server.url}/wp-json/wc/v3`, ...over });
  return createWooContext(config, { logger: silentLogger(), http: fastHttp });
}

function shipment(over: Partial<ShipmentPush> = {}): ShipmentPush {
  return {
    shipmentId: 'SHP-1', orderId: 'acme:woo:41', orderRef: '41', carrier: 'PostNL', trackingNumber: '3SABCD1234567', trackingUrl: 'https://postnl.nl/t/3SABCD1234567',
    shippedAt: '2026-11-20T10:00:00Z', lines: [{ sku: 'MUG', quantity: 2 }], completesOrder: true, notifyCustomer: false, attempts: 0, ...over,
  };
}

beforeEach(async () => {
  server = await wooServer({
    keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }, { key: RO_KEY, secret: SECRET, permissions: 'read' }],
    products: [
      ...Array.from({ length: 150 }, (_, i) => ({ id: 1000 + i, type: 'simple', sku: `S-${i}`, manage_stock: false, stock_quantity: null })),
      { id: 10, type: 'variable', sku: 'TEE' },
    ],
    variations: new Map([[10, [{ id: 11, sku: 'TEE-S', stock_quantity: 1 }, { id: 12, sku: 'TEE-M', stock_quantity: 1 }]]]),
    orders: [wooOrder({ id: 41, modified: '2026-11-20T09:00:00Z', lines: [{ sku: 'MUG', qty: 2, price: '9.95' }, { sku: 'TEE-S', qty: 1, price: '19.95' }] })],
  }).start();
});
afterEach(async () => {
  await server.stop();
});

describe('WooCommerce push targets', () => {
  it('maps simple products to their id and variations to parent + variation id, with the GTIN as EAN', () => {
    const config = ctx().config;
    expect(wooPush.productTargets({ id: 7, sku: ' A-1 ', global_unique_id: '8712345678906' }, config)).toEqual([{ sku: 'A-1', ean: '8712345678906', ids: { productId: 7 } }]);
    expect(wooPush.productTargets({ id: 11, sku: 'TEE-S', parent: { id: 10, sku: 'TEE', type: 'variable' } }, config)).toEqual([{ sku: 'TEE-S', ean: null, ids: { productId: 10, variationId: 11 } }]);
    expect(wooPush.productTargets({ id: 8, sku: '' }, config)).toEqual([]);
  });
});

describe('WooCommerce stock push', () => {
  it('sets stock of simple products and variations through their batch endpoints, manage_stock on', async () => {
    const updates: StockUpdate[] = [
      { sku: 'S-0', ids: { productId: 1000 }, quantity: 5, previous: null },
      { sku: 'TEE-S', ids: { productId: 10, variationId: 11 }, quantity: 7, previous: 1 },
    ];
    const r = await wooPush.pushStock(ctx(), updates);
    expect(r).toEqual({ done: ['S-0', 'TEE-S'], refused: [] });
    expect(server.state.products.find((p) => p.id === 1000)).toMatchObject({ manage_stock: true, stock_quantity: 5 });
    expect(server.state.variations.get(10)![0]).toMatchObject({ manage_stock: true, stock_quantity: 7 });
    expect(server.hits('/products/batch').length).toBe(1);
    expect(server.hits('/products/10/variations/batch').length).toBe(1);
  });

  it('the server refuses 101 items as WooCommerce does, and the connector never sends more than 100', async () => {
    const many = Array.from({ length: WOO_BATCH_MAX + 1 }, (_, i) => ({ id: 1000 + i, stock_quantity: 1 }));
    const raw = await fetch(`${server.url}/wp-json/wc/v3/products/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ update: many }) });
    expect(raw.status).toBe(413);
    expect(((await raw.json()) as { code: string }).code).toBe('woocommerce_rest_request_entity_too_large');
    expect(wooPush.stockBatchSize).toBe(100);
    const updates = Array.from({ length: 101 }, (_, i) => ({ sku: `S-${i}`, ids: { productId: 1000 + i }, quantity: i, previous: null }));
    await expect(wooPush.pushStock(ctx(), updates)).rejects.toThrow(/at most 100/);
  });

  it('reports an item WooCommerce does not know as refused, with its message', async () => {
    const r = await wooPush.pushStock(ctx(), [
      { sku: 'S-1', ids: { productId: 1001 }, quantity: 3, previous: null },
      { sku: 'GONE', ids: { productId: 99999 }, quantity: 3, previous: null },
    ]);
    expect(r.done).toEqual(['S-1']);
    expect(r.refused).toEqual([{ sku: 'GONE', message: 'Invalid ID. (woocommerce_rest_product_invalid_id)' }]);
  });

  it('waits out a 429 with Retry-After and then sets the stock', async () => {
    server.failNext(1, { status: 429, retryAfter: '1', pathIncludes: '/products/batch' });
    const r = await wooPush.pushStock(ctx(), [{ sku: 'S-2', ids: { productId: 1002 }, quantity: 9, previous: null }]);
    expect(r.done).toEqual(['S-2']);
    expect(server.hits('/products/batch').map((h) => h.status)).toEqual([429, 200]);
  });

  it('a read-only key is refused with WooCommerce\'s error, explained in plain words', async () => {
    const err = await wooPush.pushStock(ctx({}, RO_KEY), [{ sku: 'S-3', ids: { productId: 1003 }, quantity: 1, previous: null }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('AUTH_FAILED');
    expect((err as WharfError).retryable).toBe(false);
    expect((err as WharfError).message).toMatch(/Read permission only/);
    expect((err as WharfError).message).toMatch(/does not have write permissions/);
    expect((err as WharfError).details.hint).toMatch(/Read\/Write/);
  });

  it('test-connection names the missing write permission', async () => {
    const r = await testConnection(ctx({}, RO_KEY).config, silentLogger(), fastHttp);
    expect(r.ok).toBe(false);
    const write = r.steps.find((s) => s.step.startsWith('writing'))!;
    expect(write.ok).toBe(false);
    expect(write.detail).toMatch(/Read permission only/);
  });
});

describe('WooCommerce shipment push', () => {
  it('adds one note with carrier and tracking and completes the order', async () => {
    const r = await wooPush.pushShipment(ctx(), shipment());
    expect(r.outcome).toBe('pushed');
    const order = server.state.orders[0]!;
    expect(order.status).toBe('completed');
    const notes = server.state.notes.get(41)!;
    expect(notes).toHaveLength(1);
    expect(notes[0]!.note).toContain('PostNL');
    expect(notes[0]!.note).toContain('3SABCD1234567');
  });

  it('writes the tracking meta keys when configured', async () => {
    await wooPush.pushShipment(ctx({ trackingMetaKeys: { trackingNumber: '_tracking_number', carrier: '_tracking_provider' } }), shipment());
    expect(server.state.orders[0]!.meta_data).toEqual(expect.arrayContaining([
      expect.objectContaining({ key: '_tracking_number', value: '3SABCD1234567' }),
      expect.objectContaining({ key: '_tracking_provider', value: 'PostNL' }),
    ]));
  });

  it('a partial parcel notes its lines only and leaves the status', async () => {
    await wooPush.pushShipment(ctx(), shipment({ completesOrder: false, lines: [{ sku: 'MUG', quantity: 1 }] }));
    expect(server.state.orders[0]!.status).toBe('processing');
    expect(server.state.notes.get(41)![0]!.note).toContain('1 × MUG');
  });

  it('after an answer lost in transit, the next attempt reads the notes and sends no second note', async () => {
    server.dropAnswerNext(1, { pathIncludes: '/orders/41/notes', method: 'POST' });
    const first = await wooPush.pushShipment(ctx(), shipment()).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(WharfError);
    expect((first as WharfError).retryable).toBe(true);
    expect(server.state.notes.get(41)).toHaveLength(1); // the shop did the work
    const again = await wooPush.pushShipment(ctx(), shipment({ attempts: 1 }));
    expect(server.state.notes.get(41)).toHaveLength(1);
    expect(server.state.orders[0]!.status).toBe('completed');
    expect(again.detail).toContain('note was there already');
    expect(server.hits('/orders/41/notes').filter((h) => h.method === 'POST')).toHaveLength(1);
  });

  it('an order cancelled in the shop is refused with a reason, not retried', async () => {
    server.state.orders[0]!.status = 'cancelled';
    const err = await wooPush.pushShipment(ctx(), shipment()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).retryable).toBe(false);
    expect((err as WharfError).message).toMatch(/order 41 is "cancelled" in the shop/);
    expect(server.state.notes.get(41)).toBeUndefined();
  });

  it('an order deleted from the shop is refused with WooCommerce\'s message', async () => {
    const err = await wooPush.pushShipment(ctx(), shipment({ orderRef: '77' })).catch((e: unknown) => e);
    expect((err as WharfError).retryable).toBe(false);
    expect((err as WharfError).message).toMatch(/order 77 does not exist in the shop.*Invalid ID/);
  });
});
