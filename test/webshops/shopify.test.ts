import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import {
  createShopifyContext, parseShopifyConfig, pullOrders, pullProducts, shopDomain, shopifyApiRoot, shopifyDefaults, testConnection, SHOPIFY_SCHEMA_FILE, type ShopifyConfig,
} from '../../src/connectors/shopify/index.js';
import { captureLogger, collect, fastHttp } from '../helpers/webshops/server.js';
import { shopifyOrder, shopifyServer } from '../helpers/webshops/shopify.js';
import { mapOrders, mapProducts } from '../helpers/webshops/mapping.js';

const TOKEN = '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';
const ALL_SCOPES = ['read_orders', 'read_products', 'write_inventory', 'read_locations', 'write_merchant_managed_fulfillment_orders', 'read_all_orders'];
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

let server: ReturnType<typeof shopifyServer>;

function config(over: Partial<ShopifyConfig> = {}): ShopifyConfig {
  return parseShopifyConfig({ type: 'shopify', shop: 'acme.myshopify.com', accessToken: TOKEN, baseUrl: server.url, ...over });
}
function ctx(over: Partial<ShopifyConfig> = {}, logger = silentLogger()) {
  return createShopifyContext(config(over), { logger, http: fastHttp });
}
const names = (pages: { records: unknown[] }[]) => pages.flatMap((p) => p.records.map((r) => (r as { name: string }).name));
const ops = (name: string) => server.requests.filter((r) => r.body.includes(`"operationName":"${name}"`));

beforeEach(async () => {
  // A generous bucket by default; the throttling test sets a tight one.
  server = await shopifyServer({ tokens: new Map([[TOKEN, ALL_SCOPES]]), bucket: { maximum: 2000, available: 2000, restoreRate: 100_000, at: Date.now() } }).start();
});
afterEach(async () => server.stop());

describe('Shopify config', () => {
  it('reads its defaults from its schema and the common webshop schema', () => {
    // The defaults the connector reads come from its schema and the common webshop schema it references.
    expect(shopifyDefaults).toMatchObject({ apiVersion: '2026-04', rateLimit: { requestsPerSecond: 2, burst: 4 }, mappings: { orders: 'shopify.order', products: 'shopify.product' }, overlap: 300, requestTimeout: 30, onInvalid: 'acceptValid' });
  });

  it('takes the shop as merchants write it and pins the API version', () => {
    expect(shopDomain('acme')).toBe('acme.myshopify.com');
    expect(shopDomain('https://Acme.myshopify.com/')).toBe('acme.myshopify.com');
    expect(shopifyApiRoot({ shop: 'acme' })).toBe('https://acme.myshopify.com/admin/api/2026-04');
    expect(shopifyApiRoot({ shop: 'acme', apiVersion: '2025-10' })).toBe('https://acme.myshopify.com/admin/api/2025-10');
    expect(() => parseShopifyConfig({ type: 'shopify', shop: 'www.acme.nl', accessToken: TOKEN })).toThrow(/shop is not valid/);
  });
});

describe('Shopify order pull', () => {
  it('pulls every page of paid or partially refunded, unfulfilled orders with all their line items, each query within 1,000 points', async () => {
    for (let i = 1; i <= 20; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i), financial: i % 5 === 0 ? 'PARTIALLY_REFUNDED' : 'PAID' }));
    server.state.orders.push(
      shopifyOrder({ n: 61, updatedAt: at(21), fulfillment: 'FULFILLED' }),
      shopifyOrder({ n: 62, updatedAt: at(22), financial: 'PENDING' }),
      shopifyOrder({ n: 64, updatedAt: at(24), financial: 'REFUNDED' }),
    );
    const big = Array.from({ length: 200 }, (_, i) => ({ sku: `B-${i}`, qty: 1, price: '1.00' }));
    server.state.orders.push(shopifyOrder({ n: 63, updatedAt: at(63), lines: big }));
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(names(pages)).toHaveLength(21);
    for (const n of ['#1005', '#1010', '#1020']) expect(names(pages)).toContain(n); // partially refunded still ships
    for (const n of ['#1061', '#1062', '#1064']) expect(names(pages)).not.toContain(n);
    const bigOrder = pages.flatMap((p) => p.records).find((r) => (r as { name: string }).name === '#1063') as { lineItems: { nodes: unknown[] } };
    expect(bigOrder.lineItems.nodes).toHaveLength(200); // 10 in the page, the rest in follow-up queries
    // The first query of a fresh process already fits (no refusal); every query after it too.
    expect(server.state.tooCostly).toBe(0);
    const sizes = ops('WharfOrders').map((r) => JSON.parse(r.body).variables as { first: number; lineItems: number; query: string });
    expect(sizes[0]).toMatchObject({ first: 7, lineItems: 10, query: '(financial_status:paid OR financial_status:partially_refunded) fulfillment_status:unfulfilled' });
    expect(sizes.every((v) => v.first === 7)).toBe(true); // 2 + 7 × 127 = 891 points
    expect(pages.map((p) => p.records.length).filter((n) => n > 0)).toEqual([7, 7, 7]);
    // Distinct follow-up queries (a THROTTLED answer, which a first query of its kind may get while its
    // cost is unknown, is asked again with the same cursor).
    const followUps = new Map(ops('WharfOrderLineItems').map((r) => JSON.parse(r.body).variables as { after: string; first: number }).map((v) => [v.after, v.first]));
    expect([...followUps.values()]).toEqual([80, 80, 80]); // 80 lines cost 883 points
    expect(server.requests[0]!.path).toBe('/admin/api/2026-04/graphql.json');
  });

  it('continues from the cursor, returning an order updated exactly at the cursor again, and passes cancellations', async () => {
    for (let i = 1; i <= 3; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i * 1000) }));
    const c = ctx();
    const run1 = await collect(pullOrders(c, undefined));
    expect(names(run1)).toEqual(['#1001', '#1002', '#1003']);
    const cursor1 = run1.at(-1)!.cursor;
    expect(cursor1).toBe(new Date(T0 + 3_000_000).toISOString());

    server.state.orders.push(shopifyOrder({ n: 4, updatedAt: at(3000) })); // exactly on the cursor
    Object.assign(server.state.orders[0]!, shopifyOrder({ n: 1, updatedAt: at(3500), cancelledAt: at(3500) }));
    const run2 = await collect(pullOrders(c, cursor1));
    expect(names(run2).sort()).toEqual(['#1001', '#1003', '#1004']);
    const q = JSON.parse(ops('WharfOrders').at(-2)!.body).variables.query as string;
    expect(q).toBe(`updated_at:>='${at(2700)}' (financial_status:paid OR financial_status:partially_refunded) fulfillment_status:unfulfilled`);
    expect(JSON.parse(ops('WharfOrders').at(-1)!.body).variables.query).toBe(`updated_at:>='${at(2700)}' status:cancelled`);
    const { orders, problems } = await mapOrders('shopify.order', run2.flatMap((p) => p.records));
    expect(problems, JSON.stringify(problems)).toEqual([]);
    expect(orders.find((o) => o.orderNumber === '#1001')).toMatchObject({ status: 'cancelled' });
    expect(run2.at(-1)!.cursor).toBe(new Date(T0 + 3_500_000).toISOString());
  });

  it('a shop whose orders cost more than expected: the refused size shrinks to what fits, no order is lost', async () => {
    // 200 points an order: the first size (7 orders, 1,402 points) is refused, then 4 a page fit.
    server.state.cost = (op, vars) => (op === 'WharfOrders' ? 2 + Number(vars.first) * 200 : 10);
    for (let i = 1; i <= 12; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i) }));
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(names(pages)).toHaveLength(12);
    expect(server.state.tooCostly).toBe(1);
    const firsts = ops('WharfOrders').map((r) => (JSON.parse(r.body).variables as { first: number }).first);
    expect(firsts.slice(0, 2)).toEqual([7, 4]);
    expect(firsts.slice(1).every((f) => f <= 4)).toBe(true);
  });

  it('waits for the cost bucket instead of being throttled, and rides out a THROTTLED answer', async () => {
    server.state.cost = () => 60;
    server.state.bucket = { maximum: 100, available: 10, restoreRate: 500, at: Date.now() };
    for (let i = 1; i <= 125; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i) }));
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(names(pages)).toHaveLength(125);
    expect(server.state.throttled).toBe(1); // only the first query, before the client knew the bucket
    expect(ops('WharfOrders')).toHaveLength(7); // 7 orders first (the cost is not known yet), then 25 a page: 6 pages, plus the THROTTLED one
  });

  it('rides out 429 and 503 answers', async () => {
    for (let i = 1; i <= 30; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i) }));
    server.failNext(8, { status: 429, retryAfter: '0', body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' } });
    server.failNext(2, { status: 503 });
    expect(names(await collect(pullOrders(ctx(), undefined)))).toHaveLength(30);
  });

  it('a bad token gives AUTH_FAILED and yields nothing', async () => {
    server.state.orders.push(shopifyOrder({ n: 1, updatedAt: at(1) }));
    const yielded: unknown[] = [];
    const err = await (async () => {
      for await (const p of pullOrders(ctx({ accessToken: 'shpat_wrong000000000000000000000000' }), undefined)) yielded.push(p);
    })().catch((e: unknown) => e);
    expect(yielded).toEqual([]);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect((err as Error).message).toMatch(/access token was rejected/);
  });

  it('a token without read_orders gives AUTH_FAILED naming the scope', async () => {
    server.state.tokens.set(TOKEN, ['read_products']);
    server.state.orders.push(shopifyOrder({ n: 1, updatedAt: at(1) }));
    const err = await collect(pullOrders(ctx(), undefined)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('AUTH_FAILED');
    expect((err as WharfError).message).toMatch(/read_orders/);
  });

  it('never logs the access token', async () => {
    const cap = captureLogger();
    server.state.orders.push(shopifyOrder({ n: 1, updatedAt: at(1) }));
    server.failNext(1, { status: 429, retryAfter: '0' });
    await collect(pullOrders(ctx({}, cap.logger), undefined));
    await collect(pullOrders(ctx({ accessToken: 'shpat_other_token_value_1234' }, cap.logger), undefined)).catch(() => undefined);
    await testConnection(config(), cap.logger, fastHttp);
    expect(cap.text()).toContain('graphql.json');
    expect(cap.text()).not.toContain(TOKEN);
    expect(cap.text()).not.toContain('shpat_other_token_value_1234');
  });
});

describe('Shopify Dev Dashboard apps: client-credentials tokens', () => {
  const CLIENT_ID = '4f1c2a7be8d94c0f9a6b3e5d7c8a1b2c';
  const SECRET = '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33';
  const appConfig = (over: Partial<ShopifyConfig> = {}) => config({ accessToken: undefined, clientId: CLIENT_ID, clientSecret: SECRET, ...over });
  const tokenRequests = () => server.requests.filter((r) => r.path === '/admin/oauth/access_token');

  beforeEach(() => {
    server.state.apps.set(CLIENT_ID, { secret: SECRET, scopes: ALL_SCOPES });
  });

  it('gets a token with the client id and secret, keeps it for the channel, and pulls with it', async () => {
    for (let i = 1; i <= 30; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i) }));
    const c = createShopifyContext(appConfig(), { logger: silentLogger(), http: fastHttp });
    expect(names(await collect(pullOrders(c, undefined)))).toHaveLength(30);
    expect(names(await collect(pullOrders(c, undefined)))).toHaveLength(30);
    expect(tokenRequests()).toHaveLength(1);
    const form = new URLSearchParams(tokenRequests()[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET });
    expect(tokenRequests()[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const sent = ops('WharfOrders').map((r) => r.headers['x-shopify-access-token']);
    expect(new Set(sent).size).toBe(1);
    expect(sent[0]).toMatch(/^shpat_/);
  });

  it('fetches a new token before the old one expires, and once more after a 401', async () => {
    server.state.tokenLifetime = 310; // Wharf renews 300 s early: after 10 s here
    for (let i = 1; i <= 3; i++) server.state.orders.push(shopifyOrder({ n: i, updatedAt: at(i) }));
    let clock = Date.now();
    const c = createShopifyContext(appConfig(), { logger: silentLogger(), http: { ...fastHttp, now: () => clock } });
    await collect(pullOrders(c, undefined));
    expect(tokenRequests()).toHaveLength(1);
    clock += 11_000;
    await collect(pullOrders(c, undefined));
    expect(tokenRequests()).toHaveLength(2); // renewed before it ran out: no 401 seen
    expect(server.hits('/graphql.json', 401)).toEqual([]);
    server.state.tokens.clear(); // the store revokes every token (app reinstalled)
    expect(names(await collect(pullOrders(c, undefined)))).toHaveLength(3);
    expect(server.hits('/graphql.json', 401)).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(3);
  });

  it('a wrong secret: AUTH_FAILED in plain words; neither the secret nor a token is logged', async () => {
    const cap = captureLogger();
    const err = await collect(pullOrders(createShopifyContext(appConfig({ clientSecret: 'shpss_wrong_wrong_wrong_0000' }), { logger: cap.logger, http: fastHttp }), undefined)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect((err as Error).message).toMatch(/refused the app's client id\/secret/);
    expect((err as Error).message).not.toContain('shpss_wrong');
    await collect(pullOrders(createShopifyContext(appConfig(), { logger: cap.logger, http: fastHttp }), undefined));
    const r = await testConnection(appConfig(), cap.logger, fastHttp);
    expect(r.ok).toBe(true);
    expect(r.steps[0]!.detail).toMatch(/client credentials/);
    expect(cap.text()).toContain('access_token');
    expect(cap.text()).not.toContain(SECRET);
    expect(cap.text()).not.toContain('shpss_wrong');
    expect(cap.text()).not.toMatch(/shpat_\d{4}/);
  });

  it('the config takes exactly one way to authenticate', () => {
    expect(() => appConfig({ accessToken: TOKEN })).toThrow(/either accessToken or clientId \+ clientSecret, not both/);
    expect(() => config({ accessToken: undefined })).toThrow(/no credentials/);
    expect(() => appConfig({ clientSecret: undefined })).toThrow(/clientSecret is missing/);
  });
});

describe('Shopify products', () => {
  it('yields variants with barcode, and bundle components', async () => {
    server.state.variants.push(
      { id: 'gid://shopify/ProductVariant/1', legacyResourceId: '1', sku: 'MUG-01', barcode: '08712345678906', title: 'Default Title', displayName: 'Mug', requiresComponents: false, product: { id: 'gid://shopify/Product/10', legacyResourceId: '10', title: 'Mug' } },
      { id: 'gid://shopify/ProductVariant/2', legacyResourceId: '2', sku: 'GIFT-SET', barcode: null, title: 'Default Title', displayName: 'Gift set', requiresComponents: true, product: { id: 'gid://shopify/Product/11', legacyResourceId: '11', title: 'Gift set' } },
    );
    server.state.components.set('gid://shopify/ProductVariant/2', [{ quantity: 2, productVariant: { id: 'gid://shopify/ProductVariant/1', sku: 'MUG-01' } }]);
    const records = (await collect(pullProducts(ctx()))).flatMap((p) => p.records);
    const { products, problems } = await mapProducts('shopify.product', records);
    expect(problems, JSON.stringify(problems)).toEqual([]);
    expect(products).toEqual([
      { merchant: 'acme', channel: 'shop', sku: 'MUG-01', ean: '08712345678906', name: 'Mug', externalId: '10', variantId: '1' },
      { merchant: 'acme', channel: 'shop', sku: 'GIFT-SET', name: 'Gift set', externalId: '11', variantId: '2', components: [{ sku: 'MUG-01', quantity: 2 }] },
    ]);
  });
});

describe('Shopify test-connection', () => {
  it('passes with every scope and an active location', async () => {
    server.state.locations.push({ id: 'gid://shopify/Location/124656943', name: 'Warehouse Venlo', isActive: true });
    const r = await testConnection(config({ locationId: '124656943' }), silentLogger(), fastHttp);
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([['store and authentication', true], ['permissions', true], ['location', true]]);
    expect(r.steps[0]!.detail).toMatch(/Acme Store.*2026-04/);
  });

  it('names the missing scopes in plain words', async () => {
    server.state.tokens.set(TOKEN, ['read_orders', 'read_products']);
    const r = await testConnection(config({ locationId: '1', push: { stock: { enabled: true }, shipments: { enabled: true } } }), silentLogger(), fastHttp);
    expect(r.ok).toBe(false);
    expect(r.steps[1]).toMatchObject({ step: 'permissions', ok: false });
    expect(r.steps[1]!.detail).toMatch(/set stock levels \(write_inventory\).*report shipments \(write_merchant_managed_fulfillment_orders or write_fulfillments/);
  });

  it('asks for the write scopes only when the channel pushes', async () => {
    server.state.tokens.set(TOKEN, ['read_orders', 'read_products', 'read_locations']);
    const r = await testConnection(config(), silentLogger(), fastHttp);
    expect(r.steps[1]).toMatchObject({ step: 'permissions', ok: true });
    expect(r.steps[1]!.detail).toMatch(/not checked, push off: set stock levels, report shipments/);
  });

  it('explains a rejected token, an unknown location and a wrong shop address', async () => {
    const bad = await testConnection(config({ accessToken: 'shpat_nope' }), silentLogger(), fastHttp);
    expect(bad.steps[0]).toMatchObject({ ok: false });
    expect(bad.steps[0]!.detail).toMatch(/access token was rejected/);
    const loc = await testConnection(config({ locationId: '999' }), silentLogger(), fastHttp);
    expect(loc.steps.at(-1)!.detail).toMatch(/location 999 does not exist/);
    const version = await testConnection(config({ apiVersion: '2019-01' }), silentLogger(), fastHttp);
    expect(version.steps[0]!.detail).toMatch(/no store or API at this address/);
  });
});

describe('Shopify order mapping', () => {
  it('turns pulled orders into valid canonical orders', async () => {
    server.state.orders.push(shopifyOrder({ n: 1, updatedAt: at(1), lines: [{ sku: 'MUG-01', qty: 2, price: '12.5', barcode: '08712345678906' }] }));
    server.state.orders.push(shopifyOrder({ n: 2, updatedAt: at(2), address1: '10 Downing Street', country: 'GB' }));
    const records = (await collect(pullOrders(ctx(), undefined))).flatMap((p) => p.records);
    const { orders, problems } = await mapOrders('shopify.order', records);
    expect(problems, JSON.stringify(problems)).toEqual([]);
    expect(orders[0]).toMatchObject({
      externalId: '5000001', orderNumber: '#1001', currency: 'EUR', status: 'open',
      shipTo: { name: 'Daan Jansen', street: 'Oudegracht', houseNumber: '158', houseNumberSuffix: 'bis', postalCode: '3511 AZ', city: 'Utrecht', country: 'NL' },
      shipping: { method: 'PostNL', carrier: 'POSTNL' },
      lines: [{ sku: 'MUG-01', ean: '08712345678906', quantity: 2, unitPrice: '12.50' }],
      totals: { total: '29.95', shipping: '4.95' },
      note: 'Graag na 17:00 bezorgen',
    });
    expect(orders[1]!.shipTo).toMatchObject({ street: '10 Downing Street', country: 'GB' });
  });

  it('quarantines an order with a custom line without SKU', async () => {
    const { problems } = await mapOrders('shopify.order', [{ ...shopifyOrder({ n: 5, updatedAt: at(1) }), lineItems: { nodes: [{ id: 'gid://shopify/LineItem/1', sku: null, name: 'POS sale', quantity: 1, variant: null }] } }]);
    expect(problems).toEqual([expect.objectContaining({ path: 'lines[0].sku' })]);
  });
});
