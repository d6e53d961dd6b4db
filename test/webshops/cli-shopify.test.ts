import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliChannel, newCount, type CliChannel } from '../helpers/webshops/cli-channel.js';
import { shopifyOrder, shopifyServer } from '../helpers/webshops/shopify.js';

/**
 * A Shopify channel end to end through the real CLI: a local server speaking the Admin GraphQL API
 * (access token and scopes, updated_at search, cursor paging, the cost bucket), the compiled `wharf`,
 * SQLite, real folders.
 */
const TOKEN = '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';
const WRONG = 'shpat_00000000000000000000000000badbad';
const SCOPES = ['read_orders', 'read_products', 'write_inventory', 'read_locations', 'write_merchant_managed_fulfillment_orders', 'read_all_orders'];
const T0 = Date.parse('2026-05-04T08:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');
const file = (n: number) => `acme-shopify-${5000000 + n}.json`;

describe('Shopify channel through the CLI', () => {
  let server: ReturnType<typeof shopifyServer>;
  let ch: CliChannel;
  const env = { SHOPIFY_TOKEN: TOKEN };

  beforeAll(async () => {
    // Shopify Plus bucket sizes (a page of 7 orders × 10 line items costs 891 points).
    server = await shopifyServer({ tokens: new Map([[TOKEN, SCOPES]]), bucket: { maximum: 20_000, available: 20_000, restoreRate: 1_000, at: Date.now() } }).start();
    // overlap 0: the order updated exactly at the stored cursor is found only by an inclusive filter.
    ch = await cliChannel('shopify', `
type: shopify
shop: acme.myshopify.com
accessToken: \${SHOPIFY_TOKEN}
baseUrl: ${server.url}
overlap: 0
`);
  });
  afterAll(async () => {
    await server.stop();
    await ch.remove();
  });

  it('test-connection passes with a token holding every scope', async () => {
    const r = await ch.run(['test-connection', ch.key], env);
    expect(r.stdout).toContain('acme/shopify: connection ok');
    expect(r.stdout).toMatch(/store "Acme Store"/);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(r.code).toBe(0);
    expect(server.hits('/graphql.json').every((q) => q.headers['x-shopify-access-token'] === TOKEN)).toBe(true);
  });

  it('imports every paid, unfulfilled order once over several runs, including one updated at the cursor', async () => {
    for (let n = 1; n <= 60; n++) server.state.orders.push(shopifyOrder({ n, updatedAt: at(n * 60) }));
    server.state.orders.push(shopifyOrder({ n: 900, updatedAt: at(30), financial: 'PENDING' })); // not paid: never pulled
    server.state.orders.push(shopifyOrder({ n: 901, updatedAt: at(31), fulfillment: 'FULFILLED' })); // shipped elsewhere
    const first = await ch.run(['sync', 'shopify', 'orders'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/60 record\(s\) in \d+ page\(s\): 60 new/);
    expect(await ch.orderFiles()).toHaveLength(60);

    // Next run: one order updated exactly at the stored cursor (order 60's time), and five newer ones.
    server.state.orders.push(shopifyOrder({ n: 61, updatedAt: at(60 * 60) }));
    for (let n = 62; n <= 66; n++) server.state.orders.push(shopifyOrder({ n, updatedAt: at(5000 + n) }));
    const second = await ch.run(['sync', 'shopify', 'orders'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(newCount(second.stdout)).toBe(6);
    const searched = JSON.parse(server.hits("/graphql.json").at(-1)!.body) as { variables: { query: string } };
    expect(searched.variables.query).toContain(`updated_at:>='${at(3600)}'`);
    const files = await ch.orderFiles();
    expect(files).toHaveLength(66);
    expect(files).toContain(file(61));
    expect(files).not.toContain(file(900));
    expect(files).not.toContain(file(901));

    // Nothing new: the boundary orders come again and the ledger drops them.
    const third = await ch.run(['sync', 'shopify', 'orders'], env);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(newCount(third.stdout)).toBe(0);
    expect(await ch.warehouse()).toHaveLength(66);

    const order = await ch.read(file(61));
    expect(order).toMatchObject({
      id: 'acme:shopify:5000061',
      externalId: '5000061',
      orderNumber: '#1061',
      status: 'open',
      currency: 'EUR',
      shipTo: { name: 'Daan Jansen', street: 'Oudegracht', houseNumber: '158', houseNumberSuffix: 'bis', postalCode: '3511 AZ', city: 'Utrecht', country: 'NL' },
      lines: [{ sku: 'SKU-61', quantity: 1, unitPrice: '24.95' }],
      totals: { total: '29.90', shipping: '4.95' },
    });
  });

  it('sends one cancellation for an order already sent', async () => {
    const o = server.state.orders.find((x) => x.legacyResourceId === '5000005')!;
    Object.assign(o, { cancelledAt: at(9000), cancelReason: 'CUSTOMER', displayFinancialStatus: 'REFUNDED', updatedAt: at(9000) });
    const r = await ch.run(['once'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await ch.cancelFiles()).toEqual(['acme-shopify-5000005.cancel.json']);
    expect(await ch.read('acme-shopify-5000005.cancel.json')).toMatchObject({ id: 'acme:shopify:5000005', status: 'cancelled' });
    // The cancelled order sits at the cursor now and is read again: still one cancellation.
    const again = await ch.run(['sync', 'shopify', 'orders'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(await ch.cancelFiles()).toEqual(['acme-shopify-5000005.cancel.json']);
    expect(await ch.orderFiles()).toHaveLength(66);
  });

  it('rides out 429s with Retry-After and a 503', async () => {
    server.state.orders.push(shopifyOrder({ n: 67, updatedAt: at(10_000) }));
    const before429 = server.hits('/graphql.json', 429).length;
    const before503 = server.hits('/graphql.json', 503).length;
    server.failNext(2, { status: 429, retryAfter: '1', pathIncludes: '/graphql.json' });
    server.failNext(1, { status: 503, pathIncludes: '/graphql.json' });
    const started = Date.now();
    const r = await ch.run(['sync', 'shopify', 'orders'], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(server.hits('/graphql.json', 429).length - before429).toBe(2);
    expect(server.hits('/graphql.json', 503).length - before503).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // Retry-After: 1 was honoured twice
    expect(newCount(r.stdout)).toBe(1);
    expect(await ch.orderFiles()).toContain(file(67));
  });

  it('a rejected token: exit code 1, a plain message, nothing imported, no secret shown, lastError in status', async () => {
    server.state.orders.push(shopifyOrder({ n: 68, updatedAt: at(11_000) }));
    const r = await ch.run(['sync', 'shopify', 'orders'], { SHOPIFY_TOKEN: WRONG });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/access token was rejected/);
    expect(r.stdout + r.stderr).not.toContain(WRONG);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(await ch.orderFiles()).not.toContain(file(68));
    const status = await ch.status(env);
    expect(status.lastError).toMatch(/access token was rejected/);
    expect(status.lastError).not.toContain(WRONG);

    // The right token again: the order comes in (the failed run moved no cursor past it).
    const ok = await ch.run(['sync', 'shopify', 'orders'], env);
    expect(ok.code).toBe(0);
    expect(await ch.orderFiles()).toContain(file(68));
  });
});

describe('Shopify Dev Dashboard app through the CLI', () => {
  const CLIENT_ID = '0f5e2c9d7a1b4e3f8c6d5a4b3c2e1f00';
  const SECRET = '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';
  let server: ReturnType<typeof shopifyServer>;
  let ch: CliChannel;
  let literal: CliChannel;
  const env = { SHOPIFY_CLIENT_ID: CLIENT_ID, SHOPIFY_CLIENT_SECRET: SECRET };

  beforeAll(async () => {
    server = await shopifyServer({ bucket: { maximum: 20_000, available: 20_000, restoreRate: 1_000, at: Date.now() } }).start();
    server.state.apps.set(CLIENT_ID, { secret: SECRET, scopes: SCOPES });
    ch = await cliChannel('shopify', `
type: shopify
shop: acme.myshopify.com
clientId: \${SHOPIFY_CLIENT_ID}
clientSecret: \${SHOPIFY_CLIENT_SECRET}
baseUrl: ${server.url}
`);
    literal = await cliChannel('shopify', `
type: shopify
shop: acme.myshopify.com
clientId: ${CLIENT_ID}
clientSecret: ${SECRET}
baseUrl: ${server.url}
`);
  });
  afterAll(async () => {
    await server.stop();
    await ch.remove();
    await literal.remove();
  });

  it('test-connection and a pull work with the client id and secret; the secret is never shown', async () => {
    for (let n = 1; n <= 3; n++) server.state.orders.push(shopifyOrder({ n, updatedAt: at(n * 60) }));
    const t = await ch.run(['test-connection', ch.key], env);
    expect(t.code, t.stdout + t.stderr).toBe(0);
    expect(t.stdout).toMatch(/accepted a token of the app's client credentials/);
    const r = await ch.run(['sync', 'shopify', 'orders'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await ch.orderFiles()).toHaveLength(3);
    expect(server.hits('/admin/oauth/access_token').length).toBeGreaterThanOrEqual(1);
    expect(t.stdout + t.stderr + r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('a client secret written into the config itself is refused as a config error, without showing it', async () => {
    const r = await literal.run(['check'], {});
    expect(r.code, r.stdout + r.stderr).toBe(2); // a config error
    expect(r.stderr).toMatch(/merchants\.acme\.channels\.shopify\.clientSecret: the value is the secret itself; it must be a reference/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});

