import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import {
  createRetailcrmContext, crmDate, parseRetailcrmConfig, pullOrders, pullProducts, retailcrmApiRoot, retailcrmDefaults, testConnection, RETAILCRM_SCHEMA_FILE, type RetailcrmConfig,
} from '../../src/connectors/retailcrm/index.js';
import { captureLogger, collect, fastHttp } from '../helpers/webshops/server.js';
import { retailcrmOrder, retailcrmServer } from '../helpers/webshops/retailcrm.js';
import { mapOrders, mapProducts } from '../helpers/webshops/mapping.js';

const KEY = 'T9DMPvuNt7FQJMszHUdG8Fkt6xHsqngH-test';
const ZONE = 'Europe/Moscow';
const T0 = Date.parse('2026-03-01T07:00:00Z'); // 10:00 in Moscow
const local = (s: number) => crmDate(new Date(T0 + s * 1000), ZONE);

let server: ReturnType<typeof retailcrmServer>;
const config = (over: Partial<RetailcrmConfig> = {}) => parseRetailcrmConfig({ type: 'retailcrm', url: 'https://acme.retailcrm.ru', apiKey: KEY, site: 'acme-shop', timezone: ZONE, baseUrl: server.url, rateLimit: { requestsPerSecond: 1000, burst: 100 }, ...over });
const ctx = (over: Partial<RetailcrmConfig> = {}, logger = silentLogger()) => createRetailcrmContext(config(over), { logger, http: fastHttp });
const ids = (pages: { records: unknown[] }[]) => pages.flatMap((p) => p.records.map((r) => (r as { id: number }).id));

beforeEach(async () => {
  server = await retailcrmServer({ apiKey: KEY }).start();
});
afterEach(async () => server.stop());

describe('RetailCRM config', () => {
  it('defaults come from the schemas; the URL may carry /api/v5; the zone must exist', () => {
    // The defaults the connector reads come from its schema and the common webshop schema it references.
    expect(retailcrmDefaults).toMatchObject({ orderStatuses: ['send-to-assembling'], cancelledStatuses: ['cancel-other'], rateLimit: { requestsPerSecond: 8, burst: 1 }, mappings: { orders: 'retailcrm.order', products: 'retailcrm.product' }, overlap: 300, requestTimeout: 30 });
    expect(retailcrmApiRoot({ url: 'https://acme.retailcrm.ru/api/v5/' })).toBe('https://acme.retailcrm.ru/api/v5');
    expect(() => parseRetailcrmConfig({ type: 'retailcrm', url: 'https://a.retailcrm.ru', apiKey: KEY, timezone: 'Mars/Olympus' })).toThrow(/not an IANA time zone/);
  });
});

describe('RetailCRM order pull', () => {
  it('pulls every page over totalPageCount, only ready orders of the store', async () => {
    for (let i = 1; i <= 230; i++) server.state.orders.push(retailcrmOrder({ id: i, statusUpdatedAt: local(i) }));
    server.state.orders.push(retailcrmOrder({ id: 900, statusUpdatedAt: local(5), status: 'new' }), retailcrmOrder({ id: 901, statusUpdatedAt: local(5), site: 'other' }));
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(pages.filter((p) => p.records.length).map((p) => p.records.length)).toEqual([100, 100, 30]);
    expect(ids(pages)).toHaveLength(230);
    expect(ids(pages)).not.toContain(900);
    expect(ids(pages)).not.toContain(901);
    // Unsorted list: the cursor moves only at the end, to the newest status time.
    expect(pages.slice(0, -1).every((p) => p.cursor === '')).toBe(true);
    expect(pages.at(-1)!.cursor).toBe(new Date(T0 + 230_000).toISOString());
    const q = server.hits('/api/v5/orders')[0]!.query;
    expect(q.getAll('filter[extendedStatus][]')).toEqual(['send-to-assembling']);
    expect(q.getAll('filter[sites][]')).toEqual(['acme-shop']);
    expect(q.get('limit')).toBe('100');
  });

  it('continues from the cursor in the account time zone, with the boundary order and cancellations', async () => {
    server.state.orders.push(retailcrmOrder({ id: 1, statusUpdatedAt: local(1000) }), retailcrmOrder({ id: 2, statusUpdatedAt: local(2000) }));
    const c = ctx();
    const cursor1 = (await collect(pullOrders(c, undefined))).at(-1)!.cursor;
    expect(cursor1).toBe(new Date(T0 + 2_000_000).toISOString());
    server.state.orders.push(retailcrmOrder({ id: 3, statusUpdatedAt: local(2000) }));
    Object.assign(server.state.orders[0]!, { status: 'cancel-other', statusUpdatedAt: local(2400) });
    const run2 = await collect(pullOrders(c, cursor1));
    expect(ids(run2).sort()).toEqual([1, 2, 3]);
    expect(server.hits('/api/v5/orders').at(-1)!.query.get('filter[statusUpdatedAtFrom]')).toBe(local(1700));
    expect(local(1700)).toBe('2026-03-01 10:28:20'); // Moscow local time
    const { orders, problems } = await mapOrders('retailcrm.order', run2.flatMap((p) => p.records));
    expect(problems).toEqual([]);
    expect(orders.find((o) => o.externalId === '1')).toMatchObject({ status: 'cancelled' });
  });

  it('rides out 429 and 503 (RetailCRM over 10 requests a second)', async () => {
    for (let i = 1; i <= 450; i++) server.state.orders.push(retailcrmOrder({ id: i, statusUpdatedAt: local(i) }));
    // The server allows 2 requests per calendar second and the client limiter far more, so the five
    // page requests (sent back to back) must meet 503s: three of them cannot share a second.
    server.state.perSecond = 2;
    server.failNext(3, { status: 429, retryAfter: '0' });
    // RetailCRM sends no Retry-After and counts per second: a request refused early in a second waits
    // up to a whole second. fastHttp's back-off (at most 50 ms, ~0.7 s over the 30 tolerated answers)
    // could not always span that, so the pull gave up on about every other run. Back-off capped at
    // 400 ms spans it within a few answers while staying far inside the 30-answer allowance.
    const c = createRetailcrmContext(config(), { logger: silentLogger(), http: { ...fastHttp, baseDelayMs: 100, maxDelayMs: 400, maxTotalWaitMs: 10_000 } });
    expect(ids(await collect(pullOrders(c, undefined)))).toHaveLength(450);
    expect(server.hits('/api/v5/orders', 429)).toHaveLength(3);
    expect(server.hits('/api/v5/orders', 503).length).toBeGreaterThan(0);
    expect(server.hits('/api/v5/orders', 200)).toHaveLength(10); // five pages, twice: the second pass confirms the first
  });

  it('the default rate limit keeps under 10 requests a second', async () => {
    // 16 pages: more than 10 requests, so a burst plus the sustained rate could overrun one second.
    for (let i = 1; i <= 1600; i++) server.state.orders.push(retailcrmOrder({ id: i, statusUpdatedAt: local(i) }));
    server.state.perSecond = 10;
    const c = createRetailcrmContext(config({ rateLimit: undefined }), { logger: silentLogger(), http: fastHttp });
    expect(ids(await collect(pullOrders(c, undefined)))).toHaveLength(1600);
    expect(server.hits('/api/v5/orders', 503)).toHaveLength(0);
  });

  it('a bad key gives AUTH_FAILED, yields nothing, and is never logged', async () => {
    const cap = captureLogger();
    server.state.orders.push(retailcrmOrder({ id: 1, statusUpdatedAt: local(1) }));
    const err = await collect(pullOrders(ctx({ apiKey: 'wrong-key-123456' }, cap.logger), undefined)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false, message: expect.stringMatching(/API key was rejected/) });
    await collect(pullOrders(ctx({}, cap.logger), undefined));
    expect(cap.text()).toContain('/api/v5/orders');
    for (const s of [KEY, 'wrong-key-123456']) expect(cap.text()).not.toContain(s);
  });
});

describe('RetailCRM products, test-connection, mapping', () => {
  it('yields offers with their product and maps them', async () => {
    server.state.products.push({ id: 77, name: 'Чайник', article: 'KETTLE', offers: [{ id: 771, name: 'Чайник белый', article: 'KETTLE-W', barcode: '4601234567893', externalId: 'k-w' }, { id: 772, name: 'Чайник чёрный', externalId: 'k-b' }] });
    const records = (await collect(pullProducts(ctx()))).flatMap((p) => p.records);
    const { products, problems } = await mapProducts('retailcrm.product', records);
    expect(problems).toEqual([]);
    expect(products).toEqual([
      { merchant: 'acme', channel: 'shop', sku: 'KETTLE-W', ean: '4601234567893', name: 'Чайник белый', externalId: '77', variantId: '771' },
      { merchant: 'acme', channel: 'shop', sku: 'KETTLE', name: 'Чайник чёрный', externalId: '77', variantId: '772' },
    ]);
  });

  it('test-connection accepts a site-restricted key for its own store (sitesAvailable), and lists missing scopes', async () => {
    // The key may use only acme-shop (siteAccess access_selective, sitesAvailable [acme-shop]).
    const ok = await testConnection(config(), silentLogger(), fastHttp);
    expect(ok.steps.map((x) => [x.step, x.ok])).toEqual([['account and key', true], ['permissions', true], ['reading orders', true]]);
    expect(ok.steps[1]!.detail).toMatch(/for store "acme-shop"/);
    server.state.scopes = ['order_read', 'store_read'];
    // Pushes off: the write rights are not needed, only mentioned for when a push is switched on.
    const pull = await testConnection(config(), silentLogger(), fastHttp);
    expect(pull.steps[1]).toMatchObject({ step: 'permissions', ok: true, detail: expect.stringMatching(/may read orders, .*read products .*push off; before switching on push\.shipments also tick order_write, and before push\.stock also tick store_write/) });
    const r = await testConnection(config({ storeCode: 'main-warehouse', push: { stock: { enabled: true }, shipments: { enabled: true } } }), silentLogger(), fastHttp);
    expect(r.steps[1]).toMatchObject({ step: 'permissions', ok: false, detail: expect.stringMatching(/report shipments \(order_write\).*set stock levels \(store_write\)/) });
    server.state.scopes.push('order_write', 'store_write');
    const site = await testConnection(config({ site: 'other-shop' }), silentLogger(), fastHttp);
    expect(site.steps[1]!.detail).toMatch(/no access to store "other-shop" \(it may use: acme-shop\)/);
    const bad = await testConnection(config({ apiKey: 'nope-nope-nope' }), silentLogger(), fastHttp);
    expect(bad.steps[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/API key was rejected/) });
  });

  it('test-connection: a full-access key passes for any store; an account without scopes falls back to the method list', async () => {
    server.state.siteAccess = 'access_full';
    expect((await testConnection(config({ site: 'second-shop' }), silentLogger(), fastHttp)).ok).toBe(true);
    server.state.siteAccess = 'access_selective';
    server.state.scopes = undefined;
    expect((await testConnection(config(), silentLogger(), fastHttp)).ok).toBe(true);
    server.state.credentials = ['/api/orders', '/api/store/products'];
    expect((await testConnection(config(), silentLogger(), fastHttp)).steps[1]).toMatchObject({ ok: true, detail: expect.stringMatching(/before switching on push\.shipments also tick \/api\/orders\/\{externalId\}, and before push\.shipments also tick \/api\/orders\/\{externalId\}\/edit/) });
    const r = await testConnection(config({ storeCode: 'main-warehouse', push: { shipments: { enabled: true } } }), silentLogger(), fastHttp);
    expect(r.steps[1]).toMatchObject({ ok: false, detail: expect.stringMatching(/read an order before reporting its shipment \(\/api\/orders\/\{externalId\}\), report shipments \(\/api\/orders\/\{externalId\}\/edit\) — .*tick these methods/) });
  });

  it('maps orders to valid canonical orders', async () => {
    server.state.orders.push(retailcrmOrder({ id: 5, statusUpdatedAt: local(1), lines: [{ article: 'KETTLE-W', qty: 2, price: 1490 }] }));
    const { orders, problems } = await mapOrders('retailcrm.order', (await collect(pullOrders(ctx(), undefined))).flatMap((p) => p.records));
    expect(problems).toEqual([]);
    expect(orders[0]).toMatchObject({
      externalId: '5', orderNumber: '5A', createdAt: '2026-03-01T10:00:01+03:00', currency: 'RUB', status: 'open',
      shipTo: { name: 'Ivan Petrov', street: 'ul. 50-letiya Rostselmasha', houseNumber: '2', addressLine2: 'kv. 6', postalCode: '344065', country: 'RU' },
      lines: [{ sku: 'KETTLE-W', quantity: 2, unitPrice: '1490.00' }],
      totals: { total: '3280', shipping: '300' },
    });
  });
});
