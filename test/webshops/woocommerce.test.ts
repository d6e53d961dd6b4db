import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import {
  createWooContext, parseWooConfig, pullOrders, pullProducts, testConnection, wooApiRoot, wooDefaults, WOO_SCHEMA_FILE, type WooConfig,
} from '../../src/connectors/woocommerce/index.js';
import { captureLogger, collect, fastHttp } from '../helpers/webshops/server.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { mapOrders, mapProducts } from '../helpers/webshops/mapping.js';

const KEY = 'ck_0123456789abcdef0123456789abcdef01234567';
const SECRET = 'cs_fedcba9876543210fedcba9876543210fedcba98';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

let server: ReturnType<typeof wooServer>;

function config(over: Partial<WooConfig> = {}): WooConfig {
  return parseWooConfig({ type: 'woocommerce', url: 'https://shop.example', consumerKey: KEY, consumerSecret: SECRET, baseUrl: `${server.url}/wp-json/wc/v3`, ...over });
}
function ctx(over: Partial<WooConfig> = {}, logger = silentLogger()) {
  return createWooContext(config(over), { logger, http: fastHttp });
}
const ids = (pages: { records: unknown[] }[]) => pages.flatMap((p) => p.records.map((r) => (r as { id: number }).id));

beforeEach(async () => {
  server = await wooServer({ keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }] }).start();
});
afterEach(async () => server.stop());

describe('WooCommerce config', () => {
  it('reads its defaults from its schema and the common webshop schema', () => {
    // The defaults the connector reads come from its schema and the common webshop schema it references.
    expect(wooDefaults).toMatchObject({ authMethod: 'basic', orderStatuses: ['processing'], cancelledStatuses: ['cancelled'], rateLimit: { requestsPerSecond: 5, burst: 5 }, mappings: { orders: 'woocommerce.order', products: 'woocommerce.product' }, schedules: { orders: '*/5 * * * *', products: '0 * * * *' }, overlap: 300, requestTimeout: 30, onInvalid: 'acceptValid' });
  });

  it('accepts the shop URL the way merchants know it', () => {
    const api = (url: string) => wooApiRoot({ url });
    expect(api('https://shop.example')).toBe('https://shop.example/wp-json/wc/v3');
    expect(api('https://shop.example/')).toBe('https://shop.example/wp-json/wc/v3');
    expect(api('https://shop.example/wp-json/wc/v3/')).toBe('https://shop.example/wp-json/wc/v3');
    expect(api('https://shop.example/wp-json')).toBe('https://shop.example/wp-json/wc/v3');
    expect(api('https://example.com/winkel')).toBe('https://example.com/winkel/wp-json/wc/v3');
  });

  it('rejects unknown fields and keys that are not WooCommerce keys, without echoing them', () => {
    expect(() => parseWooConfig({ type: 'woocommerce', url: 'https://s.example', consumerKey: KEY, consumerSecret: SECRET, pageSize: 3 })).toThrow(/pageSize is not a known field/);
    try {
      parseWooConfig({ type: 'woocommerce', url: 'https://s.example', consumerKey: 'secret-value-1', consumerSecret: SECRET });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/consumerKey is not valid/);
      expect((err as Error).message).not.toContain('secret-value-1');
    }
  });
});

describe('WooCommerce order pull', () => {
  it('pulls every page of processing orders, 100 a page, streamed page by page', async () => {
    for (let i = 1; i <= 250; i++) server.state.orders.push(wooOrder({ id: i, modified: at(i) }));
    for (let i = 251; i <= 260; i++) server.state.orders.push(wooOrder({ id: i, modified: at(i), status: 'completed' }));
    const seenAtYield: number[] = [];
    const pages = [];
    for await (const page of pullOrders(ctx(), undefined)) {
      seenAtYield.push(server.hits('/orders').length);
      pages.push(page);
    }
    expect(pages.map((p) => p.records.length)).toEqual([100, 100, 50]);
    expect(seenAtYield).toEqual([1, 2, 3]); // page N is yielded before page N+1 is asked for
    expect(new Set(ids(pages)).size).toBe(250);
    expect(pages.at(-1)!.cursor).toBe(at(250));
    // Oldest change first, so each page may carry an advanced cursor.
    expect(pages.map((p) => p.cursor)).toEqual([at(100), at(200), at(250)]);
    const q = server.hits('/orders')[0]!.query;
    expect(q.get('status')).toBe('processing');
    expect(q.get('per_page')).toBe('100');
    expect(q.get('orderby')).toBe('modified');
    expect(q.get('modified_after')).toBeNull(); // first pull, no startDate: every ready order
    expect(server.hits('/orders').some((r) => r.query.get('status') === 'cancelled')).toBe(false);
  });

  it('continues from the cursor over several runs, returning an order modified exactly at the cursor again', async () => {
    for (let i = 1; i <= 5; i++) server.state.orders.push(wooOrder({ id: i, modified: at(i * 600) }));
    const c = ctx();
    const run1 = await collect(pullOrders(c, undefined));
    const cursor1 = run1.at(-1)!.cursor;
    expect(cursor1).toBe(at(3000));

    // Order 6 lands exactly on the cursor (written late, same second); order 7 is new; 3 is cancelled.
    server.state.orders.push(wooOrder({ id: 6, modified: at(3000) }));
    server.state.orders.push(wooOrder({ id: 7, modified: at(3900) }));
    Object.assign(server.state.orders[2]!, wooOrder({ id: 3, modified: at(3800), status: 'cancelled' }));
    const run2 = await collect(pullOrders(c, cursor1));
    const got2 = ids(run2);
    expect(got2.sort()).toEqual([3, 5, 6, 7]); // 5 and 6 sit inside the overlap window; dedupe is the ledger's
    // cursor − 300 s, one second earlier: modified_after is strict and WooCommerce keeps whole seconds.
    expect(server.hits('/orders').at(-2)!.query.get('modified_after')).toBe(at(2699).slice(0, 19));
    expect(server.hits('/orders').at(-2)!.query.get('dates_are_gmt')).toBe('true');
    const cancelled = run2.flatMap((p) => p.records).find((r) => (r as { id: number }).id === 3) as { status: string };
    expect(cancelled.status).toBe('cancelled');
    const cursor2 = run2.at(-1)!.cursor;
    expect(cursor2).toBe(at(3900));

    // Third run: nothing new; only what lies inside the overlap window comes again; the cursor holds.
    const run3 = await collect(pullOrders(c, cursor2));
    expect(ids(run3).sort()).toEqual([3, 7]);
    expect(run3.at(-1)?.cursor ?? cursor2).toBe(cursor2);
  });

  it('pages by keyset: 250 orders changed in the same second come once each, the next page leaving out those read', async () => {
    for (let i = 1; i <= 250; i++) server.state.orders.push(wooOrder({ id: i, modified: at(60) }));
    server.state.orders.push(wooOrder({ id: 251, modified: at(61) }));
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(ids(pages).sort((a, b) => a - b)).toEqual(Array.from({ length: 251 }, (_, i) => i + 1));
    const asked = server.hits('/orders').map((r) => r.query);
    expect(asked.map((q) => q.get('page'))).toEqual(['1', '1', '1']);
    expect(asked[1]!.get('modified_after')).toBe(at(59).slice(0, 19));
    expect(asked[1]!.get('exclude')!.split(',')).toHaveLength(100);
    expect(asked[2]!.get('exclude')!.split(',')).toHaveLength(200);
    expect(pages.at(-1)!.cursor).toBe(at(61));
  });

  it('keeps the cursor until the cancellation query has run (a crash in between loses nothing)', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: at(1000) }));
    server.state.orders.push(wooOrder({ id: 2, modified: at(500), status: 'cancelled' }));
    const pages = await collect(pullOrders(ctx(), at(400)));
    expect(pages.map((p) => [ids([p]), p.cursor])).toEqual([
      [[1], at(400)], // the cancelled stream has not run yet: cursor stays
      [[2], at(500)],
      [[], at(1000)], // final: newest seen anywhere
    ]);
  });

  it('an order that becomes ready after the ready query but before the cancellation query is found on the next pull', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: at(1000) }));
    const soon = (s: number) => new Date(Math.ceil(Date.now() / 1000) * 1000 + s * 1000).toISOString();
    // Once the ready query is answered, order 2 becomes ready and then order 3 is cancelled.
    server.changeAfter(1, (r) => r.query.get('status') === 'processing', () => {
      server.state.orders.push(wooOrder({ id: 2, modified: soon(5) }), wooOrder({ id: 3, modified: soon(10), status: 'cancelled' }));
    });
    const c = ctx({ overlap: 0 });
    const run1 = await collect(pullOrders(c, at(400)));
    expect(ids(run1)).toEqual([1, 3]);
    // The cursor may not pass the moment the ready query ran: order 2 is older than order 3's cancellation.
    const cursor = run1.at(-1)!.cursor;
    expect(Date.parse(cursor)).toBeLessThanOrEqual(Date.parse(soon(5)));
    expect(ids(await collect(pullOrders(c, cursor)))).toContain(2);
  });

  it('starts the first pull at startDate', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: '2025-12-01T00:00:00Z' }), wooOrder({ id: 2, modified: '2026-02-01T00:00:00Z' }));
    expect(ids(await collect(pullOrders(ctx({ startDate: '2026-01-01' }), undefined)))).toEqual([2]);
  });

  it('rides out a 429 storm with Retry-After and a 503', async () => {
    for (let i = 1; i <= 150; i++) server.state.orders.push(wooOrder({ id: i, modified: at(i) }));
    server.failNext(12, { status: 429, retryAfter: '0' });
    server.failNext(1, { status: 503 });
    const pages = await collect(pullOrders(ctx(), undefined));
    expect(ids(pages)).toHaveLength(150);
    expect(server.hits('/orders', 429)).toHaveLength(12);
    expect(server.hits('/orders', 503)).toHaveLength(1);
  });

  it('waits as long as Retry-After says', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: at(1) }));
    server.failNext(1, { status: 429, retryAfter: '1' });
    const started = Date.now();
    await collect(pullOrders(ctx(), undefined));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the attempts with a retryable error', async () => {
    server.failNext(20, { status: 503 });
    const err = await collect(pullOrders(createWooContext(config(), { logger: silentLogger(), http: { ...fastHttp, maxAttempts: 3 } }), undefined)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).retryable).toBe(true);
    expect((err as WharfError).message).toMatch(/HTTP 503.*gave up after 3 attempts/);
    expect(server.hits('/orders')).toHaveLength(3);
  });

  it('retries a request that times out', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: at(1) }));
    server.slowNext(1, 400);
    const c = createWooContext(config(), { logger: silentLogger(), http: { ...fastHttp, timeoutMs: 150 } });
    expect(ids(await collect(pullOrders(c, undefined)))).toEqual([1]);
    expect(server.hits('/orders')).toHaveLength(2); // the slow one, then the retry (first pull: no cancellation query)
  });

  it('a bad key gives AUTH_FAILED in plain words and yields nothing', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: at(1) }));
    const yielded: unknown[] = [];
    const err = await (async () => {
      for await (const p of pullOrders(ctx({ consumerSecret: 'cs_wrong0000000000000000000000000000000000' }), undefined)) yielded.push(p);
    })().catch((e: unknown) => e);
    expect(yielded).toEqual([]);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('AUTH_FAILED');
    expect((err as WharfError).retryable).toBe(false);
    expect((err as WharfError).message).toMatch(/key\/secret was rejected/);
    expect(server.hits('/orders')).toHaveLength(1); // not retried
  });

  it('query-string authentication works for hosts that strip the Authorization header', async () => {
    server.state.orders.push(wooOrder({ id: 1, modified: at(1) }));
    expect(ids(await collect(pullOrders(ctx({ authMethod: 'query' }), undefined)))).toEqual([1]);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('never logs a credential', async () => {
    const cap = captureLogger();
    server.state.orders.push(wooOrder({ id: 1, modified: at(1) }));
    server.failNext(1, { status: 429, retryAfter: '0' });
    await collect(pullOrders(ctx({}, cap.logger), undefined));
    await collect(pullOrders(ctx({ authMethod: 'query' }, cap.logger), undefined));
    await collect(pullOrders(ctx({ consumerKey: 'ck_unknownkey000000000000000000000000000' }, cap.logger), undefined)).catch(() => undefined);
    await testConnection(config(), cap.logger, fastHttp);
    const text = cap.text();
    expect(text).toContain('"status":429'); // logging did happen
    expect(text).toContain('/wp-json/wc/v3/orders');
    for (const s of [KEY, SECRET, Buffer.from(`${KEY}:${SECRET}`).toString('base64'), 'consumer_key', 'ck_unknownkey']) expect(text).not.toContain(s);
  });
});

describe('WooCommerce products', () => {
  it('yields simple products and every variation of variable products, with the parent', async () => {
    server.state.products.push(
      { id: 10, name: 'Mok', type: 'simple', sku: 'MOK-01', global_unique_id: '08712345678906' },
      { id: 11, name: 'T-shirt', type: 'variable', sku: 'TS' },
      { id: 12, name: 'Set', type: 'grouped', sku: '' },
    );
    server.state.variations.set(11, [
      { id: 111, sku: 'TS-S', attributes: [{ name: 'Maat', option: 'S' }], global_unique_id: '' },
      { id: 112, sku: 'TS-M', attributes: [{ name: 'Maat', option: 'M' }] },
    ]);
    const pages = await collect(pullProducts(ctx()));
    const records = pages.flatMap((p) => p.records) as { id: number; parent?: { id: number } }[];
    expect(records.map((r) => r.id)).toEqual([10, 111, 112]);
    expect(records[1]!.parent).toMatchObject({ id: 11, name: 'T-shirt' });
    const { products, problems } = await mapProducts('woocommerce.product', records);
    expect(problems).toEqual([]);
    expect(products).toEqual([
      { merchant: 'acme', channel: 'shop', sku: 'MOK-01', ean: '08712345678906', name: 'Mok', externalId: '10' },
      { merchant: 'acme', channel: 'shop', sku: 'TS-S', name: 'T-shirt - S', externalId: '11', variantId: '111' },
      { merchant: 'acme', channel: 'shop', sku: 'TS-M', name: 'T-shirt - M', externalId: '11', variantId: '112' },
    ]);
  });
});

describe('WooCommerce test-connection', () => {
  it('passes every step with a Read/Write key', async () => {
    const r = await testConnection(config(), silentLogger(), fastHttp);
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([
      ['configuration', true], ['address', true], ['authentication and reading orders', true], ['reading products', true], ['writing orders', true], ['writing products', true],
    ]);
    expect(r.ok).toBe(true);
  });

  it('explains a Read-only key', async () => {
    server.state.keys[0]!.permissions = 'read';
    const r = await testConnection(config(), silentLogger(), fastHttp);
    expect(r.ok).toBe(false);
    const failed = r.steps.find((s) => !s.ok)!;
    expect(failed.step).toBe('writing orders');
    expect(failed.detail).toMatch(/Read permission only.*Read\/Write/);
  });

  it('explains a wrong key', async () => {
    const r = await testConnection(config({ consumerKey: 'ck_other' }), silentLogger(), fastHttp);
    const failed = r.steps.find((s) => !s.ok)!;
    expect(failed.step).toBe('authentication and reading orders');
    expect(failed.detail).toMatch(/does not know this consumer key/);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('explains a URL that is not a WooCommerce shop', async () => {
    const r = await testConnection(config({ baseUrl: `${server.url}/shop/wp-json/wc/v3` }), silentLogger(), fastHttp);
    const failed = r.steps.find((s) => !s.ok)!;
    expect(failed.step).toBe('address');
    expect(failed.detail).toMatch(/HTTP 404|not as the WordPress REST API|expected JSON/);
    server.state.wooActive = false;
    const r2 = await testConnection(config(), silentLogger(), fastHttp);
    expect(r2.steps.find((s) => !s.ok)!.detail).toMatch(/WooCommerce REST API \(wc\/v3\) is not there/);
  });

  it('explains a host name that does not resolve', async () => {
    const r = await testConnection(config({ baseUrl: undefined, url: 'https://no-such-shop.invalid' }), silentLogger(), fastHttp);
    const failed = r.steps.find((s) => !s.ok)!;
    expect(failed.step).toBe('address');
    expect(failed.detail).toMatch(/could not be resolved/);
  });

  it('refuses plain HTTP shops before sending the key', async () => {
    const r = await testConnection(config({ baseUrl: undefined, url: 'http://shop.example' }), silentLogger(), fastHttp);
    expect(r.steps[0]).toMatchObject({ step: 'configuration', ok: false });
    expect(r.steps[0]!.detail).toMatch(/plain HTTP/);
  });
});

describe('WooCommerce order mapping', () => {
  it('turns pulled orders into valid canonical orders, splitting Dutch house numbers', async () => {
    server.state.orders.push(
      wooOrder({ id: 1, modified: at(1), address1: 'Keizersgracht 221 B', lines: [{ sku: 'MOK-01', qty: 2, price: '12.50' }, { sku: 'TS-M', qty: 1, price: '19.95', variationId: 112 }] }),
      wooOrder({ id: 2, modified: at(2), address1: 'Hoofdstraat 7', meta: [{ key: '_shipping_house_number', value: '7' }, { key: '_shipping_house_number_suffix', value: 'bis' }] }),
      wooOrder({ id: 3, modified: at(3), address1: '969 Market Street', country: 'US' }),
    );
    const records = (await collect(pullOrders(ctx(), undefined))).flatMap((p) => p.records);
    const { orders, problems } = await mapOrders('woocommerce.order', records);
    expect(problems).toEqual([]);
    expect(orders[0]).toMatchObject({
      externalId: '1', orderNumber: '1', createdAt: at(1).replace('.000Z', 'Z'), currency: 'EUR', status: 'open',
      shipTo: { name: 'Sanne de Vries', street: 'Keizersgracht', houseNumber: '221', houseNumberSuffix: 'B', postalCode: '1016 DV', city: 'Amsterdam', country: 'NL' },
      shipping: { method: 'PostNL Standaard' },
      lines: [{ lineId: '100', sku: 'MOK-01', quantity: 2, unitPrice: '12.50' }, { lineId: '101', sku: 'TS-M', quantity: 1, unitPrice: '19.95' }],
      totals: { total: '49.90', shipping: '4.95' },
    });
    expect((orders[0]!.shipping as Record<string, unknown>).carrier).toBeUndefined(); // not a known carrier name
    expect(orders[1]!.shipTo).toMatchObject({ street: 'Hoofdstraat 7', houseNumber: '7', houseNumberSuffix: 'bis' });
    expect(orders[2]!.shipTo).toMatchObject({ street: '969 Market Street', country: 'US' });
    expect((orders[2]!.shipTo as Record<string, unknown>).houseNumber).toBeUndefined();
  });

  it('quarantines an order with a line without SKU', async () => {
    const { problems } = await mapOrders('woocommerce.order', [wooOrder({ id: 9, modified: at(1), lines: [{ sku: '', qty: 1, price: '1.00' }] })]);
    expect(problems).toEqual([expect.objectContaining({ path: 'lines[0].sku', message: expect.stringMatching(/required/) })]);
  });
});
