import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { bolDefaults, createBolContext, parseBolConfig, pullOrders, pullProducts, testConnection, BOL_SCHEMA_FILE, type BolConfig } from '../../src/connectors/bol/index.js';
import { captureLogger, collect, fastHttp } from '../helpers/webshops/server.js';
import { bolOrder, bolServer } from '../helpers/webshops/bol.js';
import { mapOrders, mapProducts } from '../helpers/webshops/mapping.js';

const ID = 'e5d0c8a2-6f4b-4a51-9d3e-1f2a3b4c5d6e';
const SECRET = 'Zm9vYmFyLXNlY3JldC12YWx1ZS1mb3ItdGVzdHMtb25seQ';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const ago = (min: number) => new Date(NOW - min * 60_000).toISOString().replace('.000Z', '+00:00');

let server: ReturnType<typeof bolServer>;
const config = (over: Partial<BolConfig> = {}) => parseBolConfig({ type: 'bol', clientId: ID, clientSecret: SECRET, baseUrl: server.url, tokenUrl: `${server.url}/token`, exportPollInterval: 0.01, rateLimit: { requestsPerSecond: 1000, burst: 100 }, ...over });
const ctx = (over: Partial<BolConfig> = {}, logger = silentLogger()) => createBolContext(config(over), { logger, http: fastHttp, now: () => NOW });
const orderIds = (pages: { records: unknown[] }[]) => pages.flatMap((p) => p.records.map((r) => (r as { orderId: string }).orderId));

beforeEach(async () => {
  server = await bolServer({ clientId: ID, clientSecret: SECRET, now: () => NOW }).start();
});
afterEach(async () => server.stop());

describe('bol config', () => {
  it('reads its defaults from its schema and the common webshop schema', () => {
    // The defaults the connector reads come from its schema and the common webshop schema it references.
    expect(bolDefaults).toMatchObject({ tokenUrl: 'https://login.bol.com/token', rateLimit: { requestsPerSecond: 5, burst: 5 }, mappings: { orders: 'bol.order', products: 'bol.product' }, overlap: 300 });
  });
});

describe('bol order pull', () => {
  it('pulls all open FBR orders, 50 a page until an empty page, each with its details, on one cached token', async () => {
    for (let i = 1; i <= 120; i++) server.state.orders.push(bolOrder({ id: `A${1000 + i}`, changed: ago(600 - i) }));
    server.state.orders.push(bolOrder({ id: 'SHIPPED1', changed: ago(5) }));
    (server.state.orders.at(-1)!.orderItems as { quantityShipped: number }[])[0]!.quantityShipped = 1;
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(orderIds(pages)).toHaveLength(120);
    expect(pages.filter((p) => p.records.length).map((p) => p.records.length)).toEqual([50, 50, 20]);
    // 3 pages + the empty one, twice: the second pass confirms that no order left the list meanwhile.
    expect(server.hits('/retailer/orders', 200).filter((r) => r.path === '/retailer/orders')).toHaveLength(8);
    expect(server.hits('/retailer/orders/')).toHaveLength(120); // the details of each order once
    expect(server.hits('/token')).toHaveLength(1);
    expect(server.hits('/retailer/orders')[0]!.query.get('fulfilment-method')).toBe('FBR');
    expect(server.hits('/retailer/orders')[0]!.query.get('status')).toBe('OPEN');
    expect(pages.at(-1)!.cursor).toBe(new Date(Date.parse(ago(480))).toISOString());
  });

  it('on later pulls fetches details only for changed orders, and passes recent cancellations', async () => {
    server.state.orders.push(bolOrder({ id: 'OLD', changed: ago(200) }), bolOrder({ id: 'EDGE', changed: ago(30) }), bolOrder({ id: 'GONE', changed: ago(10), cancelled: true }));
    const cursor = new Date(Date.parse(ago(30))).toISOString();
    const pages = await collect(pullOrders(ctx(), cursor));
    expect(orderIds(pages).sort()).toEqual(['EDGE', 'GONE']); // EDGE sits exactly on the cursor
    expect(server.hits('/retailer/orders/OLD')).toHaveLength(0);
    const all = server.hits('/retailer/orders').find((r) => r.query.get('status') === 'ALL')!;
    expect(all.query.get('change-interval-minute')).toBe('35'); // 30 min + 5 min overlap
    const { orders, problems } = await mapOrders('bol.order', pages.flatMap((p) => p.records));
    expect(problems).toEqual([]);
    expect(orders.find((o) => o.externalId === 'GONE')).toMatchObject({ status: 'cancelled' });
  });

  it('asks day by day when the last pull is more than an hour ago', async () => {
    server.state.orders.push(bolOrder({ id: 'X', changed: ago(60 * 30), cancelled: true }));
    const pages = await collect(pullOrders(ctx(), new Date(NOW - 2 * 86_400_000).toISOString()));
    expect(orderIds(pages)).toEqual(['X']);
    const days = server.hits('/retailer/orders').filter((r) => r.query.get('status') === 'ALL').map((r) => r.query.get('latest-change-date'));
    expect([...new Set(days)]).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });

  it('fetches a new token once when the API refuses the cached one', async () => {
    server.state.orders.push(bolOrder({ id: 'A1', changed: ago(1) }));
    const c = ctx();
    await collect(pullOrders(c, undefined));
    server.revokeTokens();
    expect(orderIds(await collect(pullOrders(c, undefined)))).toEqual(['A1']);
    expect(server.hits('/token')).toHaveLength(2);
  });

  it('rides out 429 with Retry-After and 503', async () => {
    for (let i = 1; i <= 3; i++) server.state.orders.push(bolOrder({ id: `B${i}`, changed: ago(i) }));
    server.failNext(6, { status: 429, retryAfter: '0', pathIncludes: '/retailer/orders', body: { title: 'Too Many Requests', status: 429 } });
    server.failNext(1, { status: 503, pathIncludes: '/retailer/orders/B2' });
    expect(orderIds(await collect(pullOrders(ctx(), undefined))).sort()).toEqual(['B1', 'B2', 'B3']);
  });

  it('bad client credentials give AUTH_FAILED, yield nothing, and no secret is logged', async () => {
    const cap = captureLogger();
    server.state.orders.push(bolOrder({ id: 'A1', changed: ago(1) }));
    const yielded: unknown[] = [];
    const err = await (async () => {
      for await (const p of pullOrders(ctx({ clientSecret: 'wrong-secret-123' }, cap.logger), undefined)) yielded.push(p);
    })().catch((e: unknown) => e);
    expect(yielded).toEqual([]);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false, message: expect.stringMatching(/refused the client id\/secret/) });
    await collect(pullOrders(ctx({}, cap.logger), undefined));
    const text = cap.text();
    expect(text).toContain('/retailer/orders');
    for (const s of [ID, SECRET, 'wrong-secret-123', 'tok-']) expect(text).not.toContain(s);
  });
});

describe('bol products, test-connection, mapping', () => {
  it('reads every offer through the Offers API v11, page after page by cursor', async () => {
    for (let i = 0; i < 203; i++) server.state.offers.set(`o-${String(i).padStart(3, '0')}`, { ean: `87123456${String(i).padStart(5, '0')}`, reference: i === 0 ? 'MOK-01' : i === 1 ? undefined : `REF-${i}`, stock: { amount: 5, managedByRetailer: false }, fulfilment: i === 2 ? 'FBB' : 'FBR' });
    const pages = await collect(pullProducts(ctx()));
    const records = pages.flatMap((p) => p.records);
    expect(pages.map((p) => p.records.length)).toEqual([100, 100, 3]);
    const lists = server.requests.filter((r) => r.path === '/retailer/offers');
    expect(lists.map((r) => [r.headers.accept, r.query.get('page-size'), r.query.has('cursor')]))
      .toEqual([['application/vnd.retailer.v11+json', '100', false], ['application/vnd.retailer.v11+json', '100', true], ['application/vnd.retailer.v11+json', '100', true]]);
    expect(server.hits('/retailer/offers/export')).toHaveLength(0);
    expect(server.hits('/shared/process-status/')).toHaveLength(0);
    const { products, problems } = await mapProducts('bol.product', records);
    expect(problems).toEqual([]);
    expect(products).toHaveLength(203);
    expect(products.slice(0, 3)).toEqual([
      { merchant: 'acme', channel: 'shop', sku: 'MOK-01', ean: '8712345600000', externalId: 'o-000' },
      { merchant: 'acme', channel: 'shop', sku: '8712345600001', ean: '8712345600001', externalId: 'o-001' },
      { merchant: 'acme', channel: 'shop', sku: 'REF-2', ean: '8712345600002', externalId: 'o-002' },
    ]);
  });

  it('keeps within bol\'s budget for GET /retailer/offers: no 429, every offer read', async () => {
    for (let i = 0; i < 250; i++) server.state.offers.set(`o-${String(i).padStart(3, '0')}`, { ean: `87123456${String(i).padStart(5, '0')}`, stock: { amount: 1, managedByRetailer: false } });
    server.state.budgets.set('GET /retailer/offers', { max: 2, windowMs: 1000 });
    const records = (await collect(pullProducts(ctx()))).flatMap((p) => p.records);
    expect(records).toHaveLength(250);
    expect(server.hits('/retailer/offers', 429)).toHaveLength(0);
  });

  it('a cursor bol gives twice ends the pull with a retryable error instead of looping', async () => {
    const page = { offers: [{ offerId: 'o-1', ean: '8712345678906', fulfilment: { method: 'FBR' } }], page: { pageSize: 100, nextCursor: 'c2FtZQ==' } };
    server.failNext(2, { status: 200, body: page, pathIncludes: '/retailer/offers' });
    const err = await collect(pullProducts(ctx())).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).retryable).toBe(true);
    expect((err as WharfError).message).toMatch(/gave the cursor "c2FtZQ==" twice/);
  });

  it('the v11 offer list refuses the v10 media type and page sizes above 100 (the test server is as strict as bol)', async () => {
    const token = (await (await fetch(`${server.url}/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${ID}:${SECRET}`).toString('base64')}` } })).json() as { access_token: string }).access_token;
    const get = (q: string, accept: string) => fetch(`${server.url}/retailer/offers${q}`, { headers: { authorization: `Bearer ${token}`, accept } });
    expect((await get('?page-size=100', 'application/vnd.retailer.v10+json')).status).toBe(406);
    expect((await get('?page-size=101', 'application/vnd.retailer.v11+json')).status).toBe(400);
    expect((await get('?cursor=bm9wZQ%3D%3D', 'application/vnd.retailer.v11+json')).status).toBe(400);
    expect((await get('?page-size=100', 'application/vnd.retailer.v11+json')).status).toBe(200);
  });

  it('test-connection explains refused credentials', async () => {
    expect((await testConnection(config(), silentLogger(), fastHttp)).ok).toBe(true);
    const bad = await testConnection(config({ clientSecret: 'nope-nope' }), silentLogger(), fastHttp);
    expect(bad.steps[0]).toMatchObject({ step: 'token', ok: false, detail: expect.stringMatching(/refused the client id\/secret/) });
    expect(bad.steps).toHaveLength(1);
  });

  it('maps orders with house number extension and pickup point to valid canonical orders', async () => {
    server.state.orders.push(bolOrder({ id: 'P1', changed: ago(1), pickupPoint: true, lines: [{ ean: '8712345678906', qty: 2, price: 12.5, reference: 'MOK-01' }, { ean: '0871234567890', qty: 1, price: 3.1 }] }));
    const { orders, problems } = await mapOrders('bol.order', (await collect(pullOrders(ctx(), undefined))).flatMap((p) => p.records));
    expect(problems).toEqual([]);
    expect(orders[0]).toMatchObject({
      externalId: 'P1', currency: 'EUR', status: 'open',
      shipTo: { name: 'Eva Bakker', street: 'Kerkstraat', houseNumber: '12', houseNumberSuffix: 'A', postalCode: '3581 BD', country: 'NL' },
      shipping: { method: 'PICKUP_POINT', pickupPoint: { id: 'PostNL punt: Primera Utrecht', name: 'PostNL punt: Primera Utrecht' } },
      lines: [{ sku: 'MOK-01', ean: '8712345678906', quantity: 2, unitPrice: '12.5' }, { sku: '0871234567890', ean: '0871234567890', quantity: 1 }],
      totals: { total: '28.10' },
    });
  });

  it('an item the customer asked to cancel (cancellationRequest) is never an item to ship', async () => {
    server.state.orders.push(
      bolOrder({ id: 'R1', changed: ago(3), lines: [{ ean: '8712345678906', qty: 1, price: 12.5, reference: 'MOK-01', cancellationRequest: true }] }),
      bolOrder({ id: 'R2', changed: ago(2), lines: [{ ean: '8712345678906', qty: 2, price: 12.5, reference: 'MOK-01' }, { ean: '0871234567890', qty: 1, price: 3.1, reference: 'LID-02', cancellationRequest: true }] }),
    );
    const { orders, problems } = await mapOrders('bol.order', (await collect(pullOrders(ctx(), undefined))).flatMap((p) => p.records));
    expect(problems).toEqual([]);
    const byId = new Map(orders.map((o) => [o.externalId, o]));
    // Every item requested: the order is a cancellation (never sent; or cancelled at the warehouse).
    expect(byId.get('R1')).toMatchObject({ status: 'cancelled', lines: [{ sku: 'MOK-01' }] });
    // Some items requested: the rest ships, the requested item is left out and named in the note.
    expect(byId.get('R2')).toMatchObject({ status: 'open', lines: [{ sku: 'MOK-01', quantity: 2 }], totals: { total: '25.00' } });
    expect(byId.get('R2')!.lines).toHaveLength(1);
    expect(byId.get('R2')!.note).toMatch(/customer asked to cancel 1 x LID-02 \(order item R21\); not included, do not ship/);
  });

  it('keeps within bol\'s per-endpoint budgets from the x-ratelimit headers: no 429, every order pulled', async () => {
    server.state.budgets.set('GET /retailer/orders/*', { max: 4, windowMs: 1000 });
    server.state.budgets.set('GET /retailer/orders', { max: 2, windowMs: 1000 });
    for (let i = 1; i <= 10; i++) server.state.orders.push(bolOrder({ id: `L${100 + i}`, changed: ago(60 - i) }));
    const started = Date.now();
    const pages = await collect(pullOrders(ctx(), undefined)); // the channel's own limiter allows 1000/s here
    expect(orderIds(pages)).toHaveLength(10);
    expect(server.hits('/retailer/orders', 429)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // 10 details at 4 a second: the budget was waited for
    expect(server.hits('/retailer/orders/', 200)).toHaveLength(10);
  });
});

