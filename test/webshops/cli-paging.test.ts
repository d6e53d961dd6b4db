import { afterEach, describe, expect, it } from 'vitest';
import { crmDate } from '../../src/connectors/retailcrm/index.js';
import { cliChannel, newCount, type CliChannel } from '../helpers/webshops/cli-channel.js';
import type { SeenRequest } from '../helpers/webshops/server.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';
import { shopifyOrder, shopifyServer } from '../helpers/webshops/shopify.js';
import { lightspeedOrder, lightspeedServer } from '../helpers/webshops/lightspeed.js';
import { bolOrder, bolServer } from '../helpers/webshops/bol.js';
import { retailcrmOrder, retailcrmServer } from '../helpers/webshops/retailcrm.js';

/**
 * Orders change while a pull pages through them (issue 7, item 11): after the first page is served,
 * the test server completes an order of that page (the list shrinks), moves another one (modified
 * again) and adds a new one. Through the real CLI, two pulls in a row must bring every order that
 * was ready at some point exactly once to the warehouse: none skipped at a page boundary, and the
 * stored cursor never moved past one that was not seen.
 */
const DAY = 86_400_000;
const T0 = Math.floor((Date.now() - 3 * DAY) / 60_000) * 60_000; // three days ago, on the minute: in the past of every clock
const iso = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Two pulls; returns the warehouse order files and the "N new" counts of both runs. */
async function twoPulls(ch: CliChannel, platform: string, env: NodeJS.ProcessEnv): Promise<{ files: string[]; news: number[] }> {
  const news: number[] = [];
  for (let run = 0; run < 2; run++) {
    const r = await ch.run(['sync', platform, 'orders'], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    news.push(newCount(r.stdout) ?? -1);
  }
  return { files: await ch.orderFiles(), news };
}

/** The warehouse files of these ids, sorted like `orderFiles()`. */
const filesOf = (prefix: string, ids: (number | string)[]) => ids.map((i) => `${prefix}-${i}.json`).sort();
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a pull whose orders change between page requests misses none and sends none twice', () => {
  it('WooCommerce: 150 processing orders, one completed after page 1', async () => {
    const KEY = 'ck_3333333333333333333333333333333333333333';
    const SECRET = 'cs_4444444444444444444444444444444444444444';
    const server = await wooServer({ keys: [{ key: KEY, secret: SECRET, permissions: 'read' }] }).start();
    const ch = await cliChannel('woo', `type: woocommerce
url: https://shop.example
baseUrl: ${server.url}/wp-json/wc/v3
consumerKey: \${WOO_KEY}
consumerSecret: \${WOO_SECRET}`);
    cleanup.push(() => server.stop(), () => ch.remove());
    for (let i = 1; i <= 150; i++) server.state.orders.push(wooOrder({ id: i, modified: iso(i * 60) }));
    const order = (id: number) => server.state.orders.find((o) => o.id === id)!;
    const later = new Date(T0 + 20_000_000).toISOString().slice(0, 19);
    server.changeAfter(1, (r) => r.path.endsWith('/orders'), () => {
      Object.assign(order(40), { status: 'completed', date_modified_gmt: later }); // shipped: leaves the list
      Object.assign(order(120), { date_modified_gmt: later }); // a note added: moves to the end
      server.state.orders.push(wooOrder({ id: 151, modified: later })); // a new order
    });
    const { files, news } = await twoPulls(ch, 'woo', { WOO_KEY: KEY, WOO_SECRET: SECRET });
    expect(files).toEqual(filesOf('acme-woo', range(1, 151)));
    expect(news[0]! + news[1]!).toBe(151);
  });

  it('Shopify: a paid order fulfilled and another one updated after page 1', async () => {
    const TOKEN = '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';
    const server = await shopifyServer({ tokens: new Map([[TOKEN, ['read_orders', 'read_all_orders']]]), bucket: { maximum: 20_000, available: 20_000, restoreRate: 1_000, at: Date.now() } }).start();
    const ch = await cliChannel('shopify', `type: shopify
shop: acme.myshopify.com
accessToken: \${SHOPIFY_TOKEN}
baseUrl: ${server.url}`);
    cleanup.push(() => server.stop(), () => ch.remove());
    for (let n = 1; n <= 60; n++) server.state.orders.push(shopifyOrder({ n, updatedAt: iso(n * 60) }));
    const order = (n: number) => server.state.orders.find((o) => o.legacyResourceId === String(5000000 + n))!;
    const later = iso(20_000);
    const isOrders = (r: SeenRequest) => r.body.includes('"operationName":"WharfOrders"');
    server.changeAfter(1, isOrders, () => {
      Object.assign(order(2), { displayFulfillmentStatus: 'FULFILLED', updatedAt: later }); // on page 1 whatever size the cost allows
      Object.assign(order(30), { updatedAt: later });
      server.state.orders.push(shopifyOrder({ n: 61, updatedAt: later }));
    });
    const { files, news } = await twoPulls(ch, 'shopify', { SHOPIFY_TOKEN: TOKEN });
    expect(files).toEqual(filesOf('acme-shopify', range(5000001, 5000061)));
    expect(news[0]! + news[1]!).toBe(61);
  });

  it('Lightspeed: 255 orders awaiting shipment, one shipped after page 1', async () => {
    const KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
    const SECRET = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
    const server = await lightspeedServer({ key: KEY, secret: SECRET }).start();
    const ch = await cliChannel('lightspeed', `type: lightspeed
apiKey: \${LS_KEY}
apiSecret: \${LS_SECRET}
baseUrl: ${server.url}
language: nl
rateLimit: { requestsPerSecond: 200, burst: 50 }`);
    cleanup.push(() => server.stop(), () => ch.remove());
    const seed = (id: number, s: number) => {
      const { order, products } = lightspeedOrder({ id, updatedAt: iso(s).replace('Z', '+00:00') });
      server.state.orders.push(order);
      server.state.orderProducts.set(id, products);
    };
    for (let id = 1; id <= 255; id++) seed(id, id * 600); // 10 minutes apart: the order skipped is far outside the overlap
    const order = (id: number) => server.state.orders.find((o) => o.id === id)!;
    server.changeAfter(1, (r) => r.path === '/nl/orders.json', () => {
      Object.assign(order(7), { status: 'completed_shipped', updatedAt: iso(200_000).replace('Z', '+00:00') });
      seed(256, 50);
    });
    const { files, news } = await twoPulls(ch, 'lightspeed', { LS_KEY: KEY, LS_SECRET: SECRET });
    expect(files).toEqual(filesOf('acme-lightspeed', range(1, 256)));
    expect(news[0]! + news[1]!).toBe(256);
  });

  it('bol.com: 60 open orders, two shipped and one placed after page 1', async () => {
    const CLIENT_ID = '7d2e4f6a-8b0c-4d1e-9f23-4a5b6c7d8e9f';
    const CLIENT_SECRET = 'UGFnaW5nVGVzdFNlY3JldC0xMjM0NTY3ODkwYWI';
    const server = await bolServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }).start();
    const ch = await cliChannel('bol', `type: bol
clientId: \${BOL_CLIENT_ID}
clientSecret: \${BOL_CLIENT_SECRET}
tokenUrl: ${server.url}/token
baseUrl: ${server.url}
rateLimit: { requestsPerSecond: 50, burst: 50 }`);
    cleanup.push(() => server.stop(), () => ch.remove());
    // bol filters changes against its own clock: the orders changed in the last hour of real time.
    const TB = Math.floor(Date.now() / 60_000) * 60_000 - 50 * 60_000;
    const at = (s: number) => new Date(TB + s * 1000).toISOString().replace('.000Z', 'Z');
    const id = (n: number) => `C00${2000 + n}`;
    for (let n = 1; n <= 60; n++) server.state.orders.push(bolOrder({ id: id(n), changed: at(n * 30) }));
    const order = (n: number) => server.state.orders.find((o) => o.orderId === id(n))!;
    server.changeAfter(1, (r) => r.path === '/retailer/orders' && r.query.get('status') === 'OPEN', () => {
      for (const n of [5, 6]) {
        const items = order(n).orderItems as { quantity: number; quantityShipped: number; latestChangedDateTime: string }[];
        for (const i of items) Object.assign(i, { quantityShipped: i.quantity, latestChangedDateTime: at(2400) });
      }
      server.state.orders.splice(10, 0, bolOrder({ id: id(61), changed: at(15) })); // listed among the older ones
    });
    const { files, news } = await twoPulls(ch, 'bol', { BOL_CLIENT_ID: CLIENT_ID, BOL_CLIENT_SECRET: CLIENT_SECRET });
    expect(files).toEqual(filesOf('acme-bol', range(1, 61).map(id)));
    expect(news[0]! + news[1]!).toBe(61);
  });

  it('RetailCRM: 130 orders ready for assembly, two moved on and one added after page 1', async () => {
    const KEY = 'Pg8vB2mN4xR7tY1uI3oP5aS6dF9gH0jK';
    const ZONE = 'Europe/Moscow';
    const local = (s: number) => crmDate(new Date(T0 + s * 1000), ZONE);
    const server = await retailcrmServer({ apiKey: KEY, perSecond: 1000 }).start();
    const ch = await cliChannel('retailcrm', `type: retailcrm
url: https://acme.retailcrm.ru
apiKey: \${CRM_KEY}
site: acme-shop
timezone: ${ZONE}
baseUrl: ${server.url}
rateLimit: { requestsPerSecond: 100, burst: 20 }`);
    cleanup.push(() => server.stop(), () => ch.remove());
    for (let id = 1; id <= 130; id++) server.state.orders.push(retailcrmOrder({ id, statusUpdatedAt: local(id * 60) }));
    const order = (id: number) => server.state.orders.find((o) => o.id === id)!;
    server.changeAfter(1, (r) => r.path === '/api/v5/orders', () => {
      for (const id of [99, 100]) Object.assign(order(id), { status: 'assembling', statusUpdatedAt: local(20_000) }); // on page 1 (newest first)
      server.state.orders.push(retailcrmOrder({ id: 131, statusUpdatedAt: local(20_000) }));
    });
    const { files, news } = await twoPulls(ch, 'retailcrm', { CRM_KEY: KEY });
    expect(files).toEqual(filesOf('acme-retailcrm', range(1, 131)));
    expect(news[0]! + news[1]!).toBe(131);
  });
});
