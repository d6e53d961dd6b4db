import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllDaemons, waitFor, workspacesPerTest, type Workspace } from '../helpers/e2e.js';
import { startHttpDaemon, type HttpDaemon } from '../helpers/http.js';
import { duplicatesOf } from '../helpers/webhooks.js';
import { shopifyDeliver, shopifyOrder, shopifyServer } from '../helpers/webshops/shopify.js';

/**
 * Shopify order webhooks through a real `wharf run` and the strict Shopify test server: a Dev
 * Dashboard app (client credentials; its client secret signs the deliveries), subscriptions made with
 * webhookSubscriptionCreate, deliveries in Shopify's REST shape signed with X-Shopify-Hmac-Sha256.
 */
const CLIENT_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const CLIENT_SECRET = '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';
const env = { SHOPIFY_CLIENT_ID: CLIENT_ID, SHOPIFY_CLIENT_SECRET: CLIENT_SECRET };
const T0 = Date.parse('2026-05-04T08:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

const workspace = workspacesPerTest();
afterEach(killAllDaemons);

describe('Shopify order webhooks', () => {
  let shop: ReturnType<typeof shopifyServer>;
  beforeAll(async () => {
    shop = await shopifyServer({ allowHttpWebhooks: true, bucket: { maximum: 20_000, available: 20_000, restoreRate: 1_000, at: Date.now() } }).start();
  });
  afterAll(() => shop.stop());

  async function daemon(scopes = ['read_orders', 'read_products']): Promise<{ ws: Workspace; h: HttpDaemon; hook: string }> {
    shop.state.orders = [];
    shop.state.webhooks = [];
    shop.state.allowHttpWebhooks = true;
    shop.state.apps.set(CLIENT_ID, { secret: CLIENT_SECRET, scopes });
    const ws = await workspace({
      extraChannels: {
        shop: {
          type: 'shopify', shop: 'acme.myshopify.com', baseUrl: shop.url, clientId: '${SHOPIFY_CLIENT_ID}', clientSecret: '${SHOPIFY_CLIENT_SECRET}',
          schedules: { orders: '0 0 1 1 *', products: '0 0 1 1 *' },
        },
      },
    });
    const h = await startHttpDaemon(ws, {}, env);
    return { ws, h, hook: `${h.url}/webhooks/demo/shop` };
  }
  const orderFiles = (ws: Workspace) => ws.warehouseFiles().filter((f) => f.startsWith('demo-shop-') && !f.endsWith('.cancel.json'));

  it('installs ORDERS_CREATE and ORDERS_UPDATED once (twice = once), names the missing scope and an http address, and removes them', async () => {
    const { ws, hook } = await daemon(['read_products']);
    const noScope = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env });
    expect(noScope.code).not.toBe(0);
    expect(noScope.stderr).toMatch(/read_orders/);
    expect(shop.state.webhooks).toHaveLength(0);

    shop.state.apps.set(CLIENT_ID, { secret: CLIENT_SECRET, scopes: ['read_orders'] });
    shop.state.allowHttpWebhooks = false;
    const http = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env });
    expect(http.code).not.toBe(0);
    expect(http.stderr).toContain('http:// is not supported');
    shop.state.allowHttpWebhooks = true;

    const first = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env });
    expect(first.code, first.stderr).toBe(0);
    const second = await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('kept     ORDERS_CREATE');
    expect(shop.state.webhooks.map((w) => [w.topic, w.uri]).sort()).toEqual([['ORDERS_CREATE', hook], ['ORDERS_UPDATED', hook]]);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(CLIENT_SECRET);

    // Someone else's subscription stays.
    shop.state.webhooks.push({ id: 'gid://shopify/WebhookSubscription/1', topic: 'ORDERS_CREATE', uri: 'https://other.example/hook', format: 'JSON' });
    const removed = await ws.wharf(['webhooks', 'remove', 'demo/shop'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(shop.state.webhooks.map((w) => w.uri)).toEqual(['https://other.example/hook']);
  });

  it('a signed delivery brings the order as the pull reads it: to the warehouse once, the later pull finds a duplicate; bad signatures are refused', async () => {
    const { ws, h, hook } = await daemon();
    expect((await ws.wharf(['webhooks', 'install', 'demo/shop', '--url', hook], { env })).code).toBe(0);
    // 13 line items: more than the first page of the webhook's order query, so the rest are read too.
    const lines = Array.from({ length: 13 }, (_, i) => ({ sku: `SKU-${i + 1}`, qty: 1, price: '9.95' }));
    const order = shopifyOrder({ n: 7, updatedAt: at(60), lines });
    shop.state.orders.push(order);

    const tampered = await shopifyDeliver(shop.state, CLIENT_SECRET, 'orders/create', order, { tamper: (b) => b.replace('"quantity":1', '"quantity":2') });
    expect(tampered.map((d) => d.status)).toEqual([401]);
    const wrongKey = await shopifyDeliver(shop.state, 'another-apps-secret', 'orders/create', order);
    expect(wrongKey.map((d) => d.status)).toEqual([401]);
    expect(orderFiles(ws)).toHaveLength(0);

    const [got] = await shopifyDeliver(shop.state, CLIENT_SECRET, 'orders/create', order);
    expect(got!.status).toBe(200);
    expect(JSON.parse(got!.body)).toMatchObject({ status: 'imported', newOrders: 1 });
    await waitFor(() => orderFiles(ws).length === 1, { what: 'the webhook order in the warehouse', daemon: h.daemon });
    const file = ws.readWarehouse(orderFiles(ws)[0]!) as { id: string; lines: unknown[] };
    expect(file.id).toBe('demo:shop:5000007');
    expect(file.lines).toHaveLength(13);

    const [replayed] = await shopifyDeliver(shop.state, CLIENT_SECRET, 'orders/create', order);
    expect(JSON.parse(replayed!.body)).toMatchObject({ status: 'duplicate' });

    // Unpaid: the pull would not take it, neither does the webhook.
    const unpaid = shopifyOrder({ n: 8, updatedAt: at(61), financial: 'PENDING' });
    shop.state.orders.push(unpaid);
    const [pending] = await shopifyDeliver(shop.state, CLIENT_SECRET, 'orders/create', unpaid);
    expect(JSON.parse(pending!.body)).toMatchObject({ status: 'ignored' });

    // Wharf cannot read the order (the app lost read_orders): 503, nothing taken, so Shopify sends it
    // again; once the scope is back, the retried delivery is taken.
    const late = shopifyOrder({ n: 9, updatedAt: at(62) });
    shop.state.orders.push(late);
    for (const token of shop.state.tokens.keys()) shop.state.tokens.set(token, ['read_products']);
    const [refused] = await shopifyDeliver(shop.state, CLIENT_SECRET, 'orders/create', late);
    expect(refused!.status).toBe(503);
    expect(orderFiles(ws)).toHaveLength(1);
    for (const token of shop.state.tokens.keys()) shop.state.tokens.set(token, ['read_orders', 'read_products']);
    const [retried] = await shopifyDeliver(shop.state, CLIENT_SECRET, 'orders/create', late);
    expect(JSON.parse(retried!.body)).toMatchObject({ status: 'imported', newOrders: 1 });
    await waitFor(() => orderFiles(ws).length === 2, { what: 'the retried webhook order in the warehouse', daemon: h.daemon });

    await h.daemon.stop();
    const before = await duplicatesOf(ws, 'shop', env);
    const pulled = await ws.wharf(['sync', 'demo/shop', 'orders'], { env });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/2 record\(s\) in \d+ page\(s\): 0 new/);
    expect(orderFiles(ws)).toHaveLength(2);
    // The same record from both paths: the pull's two orders are duplicates whose content equals the
    // webhook's ("content differs from the first import" nowhere).
    const after = await duplicatesOf(ws, 'shop', env);
    expect(after.fromPull).toEqual([{ recordId: 'demo:shop:5000007', changed: false }, { recordId: 'demo:shop:5000009', changed: false }]);
    expect(after.changed).toEqual([]);
    expect(after.duplicateFiles).toBe(before.duplicateFiles);
  });
});
