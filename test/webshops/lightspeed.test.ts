import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import {
  createLightspeedContext, lightspeedApiRoot, lightspeedDefaults, parseLightspeedConfig, pullOrders, pullProducts, rateLimitPause, testConnection, LIGHTSPEED_SCHEMA_FILE, type LightspeedConfig,
} from '../../src/connectors/lightspeed/index.js';
import { captureLogger, collect, fastHttp } from '../helpers/webshops/server.js';
import { lightspeedOrder, lightspeedServer, lightspeedShipment } from '../helpers/webshops/lightspeed.js';
import { mapOrders, mapProducts } from '../helpers/webshops/mapping.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SECRET = 'f0e9d8c7b6a5948372615a4b3c2d1e0f';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', '+00:00');

let server: ReturnType<typeof lightspeedServer>;
const config = (over: Partial<LightspeedConfig> = {}) => parseLightspeedConfig({ type: 'lightspeed', apiKey: KEY, apiSecret: SECRET, baseUrl: server.url, rateLimit: { requestsPerSecond: 1000, burst: 1000 }, ...over });
const ctx = (over: Partial<LightspeedConfig> = {}, logger = silentLogger()) => createLightspeedContext(config(over), { logger, http: fastHttp });
const ids = (pages: { records: unknown[] }[]) => pages.flatMap((p) => p.records.map((r) => (r as { id: number }).id));
function seed(o: Parameters<typeof lightspeedOrder>[0]) {
  const { order, products } = lightspeedOrder(o);
  server.state.orders.push(order);
  server.state.orderProducts.set(o.id, products);
}

beforeEach(async () => {
  server = await lightspeedServer({ key: KEY, secret: SECRET }).start();
});
afterEach(async () => server.stop());

describe('Lightspeed config', () => {
  it('defaults come from the schemas; the cluster picks the host', () => {
    // The defaults the connector reads come from its schema and the common webshop schema it references.
    expect(lightspeedDefaults).toMatchObject({ cluster: 'eu1', language: 'nl', orderStatuses: ['processing_awaiting_shipment'], cancelledStatuses: ['cancelled'], rateLimit: { requestsPerSecond: 1, burst: 10 }, mappings: { orders: 'lightspeed.order', products: 'lightspeed.product' }, schedules: { orders: '*/5 * * * *', products: '0 * * * *' }, overlap: 300, requestTimeout: 30, onInvalid: 'acceptValid' });
    expect(lightspeedApiRoot({})).toBe('https://api.webshopapp.com/nl');
    expect(lightspeedApiRoot({ cluster: 'us1', language: 'en' })).toBe('https://api.shoplightspeed.com/en');
  });

  it('reads the three x-ratelimit windows', () => {
    const h = new Headers({ 'x-ratelimit-remaining': '1/2000/11000', 'x-ratelimit-reset': '42/3000/80000' });
    expect(rateLimitPause(h, 0)).toBe(42_000);
    expect(rateLimitPause(new Headers({ 'x-ratelimit-remaining': '200/2000/0', 'x-ratelimit-reset': '42/3000/80000' }), 0)).toBe(80_000_000);
    expect(rateLimitPause(new Headers({ 'x-ratelimit-remaining': '200/2000/100', 'x-ratelimit-reset': '1/1/1' }), 0)).toBeUndefined();
  });
});

describe('Lightspeed order pull', () => {
  it('pulls every page with the order products of each order', async () => {
    for (let i = 1; i <= 260; i++) seed({ id: i, updatedAt: at(i) });
    seed({ id: 999, updatedAt: at(5), status: 'completed_shipped' });
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(pages.filter((p) => p.records.length).map((p) => p.records.length)).toEqual([250, 10]);
    expect(ids(pages)).not.toContain(999);
    expect((pages[0]!.records[0] as { orderProducts: unknown[] }).orderProducts).toHaveLength(1);
    expect(pages.at(-1)!.cursor).toBe(new Date(T0 + 260_000).toISOString());
    expect(server.hits('/orders.json')[0]!.query.get('status')).toBe('processing_awaiting_shipment');
  });

  it('continues from the cursor with the overlap, and passes cancellations', async () => {
    seed({ id: 1, updatedAt: at(1000) });
    seed({ id: 2, updatedAt: at(2000) });
    const c = ctx();
    const cursor1 = (await collect(pullOrders(c, undefined))).at(-1)!.cursor;
    seed({ id: 3, updatedAt: at(2000) }); // exactly at the cursor
    Object.assign(server.state.orders[0]!, { status: 'cancelled', updatedAt: at(2500) });
    const run2 = await collect(pullOrders(c, cursor1));
    expect(ids(run2).sort()).toEqual([1, 2, 3]);
    expect(server.hits('/orders.json').at(-1)!.query.get('updated_at_min')).toBe(at(1700));
    expect(run2.at(-1)!.cursor).toBe(new Date(T0 + 2_500_000).toISOString());
  });

  it('pauses when a window of the x-ratelimit headers runs dry instead of hitting 429', async () => {
    server.state.windows = [{ limit: 4, seconds: 1, used: 0, start: Date.now() }];
    for (let i = 1; i <= 5; i++) seed({ id: i, updatedAt: at(i) });
    const started = Date.now();
    expect(ids(await collect(pullOrders(ctx(), undefined)))).toHaveLength(5);
    expect(server.hits('.json', 429)).toHaveLength(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // sat out at least one window reset
  });

  it('ends the run (retryable) when the daily window is spent', async () => {
    server.state.windows = [{ limit: 2, seconds: 86400, used: 0, start: Date.now() }];
    for (let i = 1; i <= 3; i++) seed({ id: i, updatedAt: at(i) });
    const err = await collect(pullOrders(ctx(), undefined)).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, message: expect.stringMatching(/allowance is used up/) });
  });

  it('rides out 429 and 503 answers', async () => {
    seed({ id: 1, updatedAt: at(1) });
    server.failNext(4, { status: 429, retryAfter: '0' });
    server.failNext(2, { status: 503 });
    expect(ids(await collect(pullOrders(ctx(), undefined)))).toEqual([1]);
  });

  it('a bad secret gives AUTH_FAILED, yields nothing, logs no secret', async () => {
    const cap = captureLogger();
    seed({ id: 1, updatedAt: at(1) });
    const err = await collect(pullOrders(ctx({ apiSecret: 'wrong-secret-value' }, cap.logger), undefined)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false, message: expect.stringMatching(/key\/secret was rejected/) });
    await collect(pullOrders(ctx({}, cap.logger), undefined));
    expect(cap.text()).toContain('/nl/orders.json');
    for (const s of [KEY, SECRET, 'wrong-secret-value', Buffer.from(`${KEY}:${SECRET}`).toString('base64')]) expect(cap.text()).not.toContain(s);
  });
});

describe('Lightspeed test-connection and mapping', () => {
  it('explains a wrong language/cluster path, a wrong key and a key without write access', async () => {
    const ok = await testConnection(config(), silentLogger(), fastHttp);
    expect(ok.ok).toBe(true);
    expect(ok.steps.at(-1)!.detail).toMatch(/could not be checked/);
    const lang = await testConnection(config({ language: 'fr' }), silentLogger(), fastHttp);
    expect(lang.steps[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 404/) });
    const key = await testConnection(config({ apiKey: 'nope' }), silentLogger(), fastHttp);
    expect(key.steps[0]!.detail).toMatch(/rejected.*cluster/);
    // A key without write access to orders: Lightspeed's 403 on the probe update, explained.
    server.state.variants.push({ id: 901, sku: 'BEL-01', stockLevel: 4, stockTracking: 'enabled' });
    server.state.shipments.push(lightspeedShipment(51, 7, [{ sku: 'BEL-01', qty: 1 }]));
    server.state.write.orders = false;
    const ro = await testConnection(config(), silentLogger(), fastHttp);
    expect(ro.steps.at(-2)).toMatchObject({ step: 'writing products (stock)', ok: true, detail: expect.stringMatching(/may update stock levels of variants/) });
    expect(ro.steps.at(-1)).toMatchObject({ step: 'writing orders (shipments)', ok: false, detail: expect.stringMatching(/lacks write access to orders\) \(lightspeed said: Forbidden\).*give it write access to orders/) });
    expect(server.state.variants[0]).toMatchObject({ stockLevel: 4 }); // the probe changed nothing
  });

  it('maps orders (house number and extension fields) and variants to valid canonical records', async () => {
    seed({ id: 7, updatedAt: at(1), lines: [{ sku: 'BEL-01', qty: 2, price: 12.5, ean: '5412345678908' }, { sku: '', qty: 1, price: 3 }] });
    server.state.orderProducts.get(7)![1]!.articleCode = 'ART-77';
    const records = (await collect(pullOrders(ctx(), undefined))).flatMap((p) => p.records);
    const { orders, problems } = await mapOrders('lightspeed.order', records);
    expect(problems).toEqual([]);
    expect(orders[0]).toMatchObject({
      externalId: '7', orderNumber: 'ORD00007', currency: 'EUR', status: 'open',
      shipTo: { name: 'Joris Peeters', street: 'Meir', houseNumber: '24', houseNumberSuffix: 'bus 3', postalCode: '2000', city: 'Antwerpen', country: 'BE' },
      shipping: { method: 'DHL Parcel', carrier: 'DHL' },
      lines: [{ sku: 'BEL-01', ean: '5412345678908', quantity: 2, unitPrice: '12.5' }, { sku: 'ART-77', quantity: 1 }],
    });
    server.state.variants.push({ id: 900, sku: 'BEL-01', ean: '5412345678908', articleCode: 'A1', title: 'Zwart', product: { resource: { id: 90 } } });
    const v = (await collect(pullProducts(ctx()))).flatMap((p) => p.records);
    const { products, problems: pp } = await mapProducts('lightspeed.product', v);
    expect(pp).toEqual([]);
    expect(products[0]).toMatchObject({ sku: 'BEL-01', ean: '5412345678908', externalId: '90', variantId: '900' });
  });
});
