import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliChannel, newCount, type CliChannel } from '../helpers/webshops/cli-channel.js';
import { lightspeedOrder, lightspeedServer } from '../helpers/webshops/lightspeed.js';

/**
 * A Lightspeed eCom channel end to end through the real CLI: a local server speaking the documented
 * REST API (basic auth key:secret, /nl/orders.json with status and updated_at_min, limit/page, the
 * order products per order, the three x-ratelimit windows), the compiled `wharf`, SQLite, real folders.
 */
const KEY = '5f1c2b3a4d5e6f708192a3b4c5d6e7f8';
const SECRET = '8e7d6c5b4a3928170f6e5d4c3b2a1908';
const WRONG = 'ffffffffffffffffffffffff00000bad';
const T0 = Date.parse('2026-05-04T08:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', '+00:00');
const file = (id: number) => `acme-lightspeed-${id}.json`;

describe('Lightspeed channel through the CLI', () => {
  let server: ReturnType<typeof lightspeedServer>;
  let ch: CliChannel;
  const env = { LS_KEY: KEY, LS_SECRET: SECRET };
  const seed = (o: Parameters<typeof lightspeedOrder>[0]) => {
    const { order, products } = lightspeedOrder(o);
    server.state.orders.push(order);
    server.state.orderProducts.set(o.id, products);
    return order;
  };

  beforeAll(async () => {
    server = await lightspeedServer({ key: KEY, secret: SECRET, permissions: { readOrders: true, writeOrders: true, readProducts: true, writeProducts: true } }).start();
    // The server keeps Lightspeed's 300-per-5-minutes window for the whole file (about 120 requests
    // are made); the client-side rate is raised so the test does not run at 1 request a second.
    // overlap 0: the order updated exactly at the stored cursor is found only by an inclusive filter.
    ch = await cliChannel('lightspeed', `
type: lightspeed
apiKey: \${LS_KEY}
apiSecret: \${LS_SECRET}
baseUrl: ${server.url}
language: nl
overlap: 0
rateLimit: { requestsPerSecond: 50, burst: 20 }
`);
  });
  afterAll(async () => {
    await server.stop();
    await ch.remove();
  });

  it('test-connection passes with a key that may read and write', async () => {
    const r = await ch.run(['test-connection', ch.key], env);
    expect(r.stdout).toContain('acme/lightspeed: connection ok');
    expect(r.stdout).toMatch(/shop "Fietsenwinkel Test"/);
    expect(r.stdout).toMatch(/writing products \(stock\).*could not be checked: the shop has no variant yet/);
    expect(r.stdout).toMatch(/writing orders \(shipments\).*could not be checked: the shop has no shipment yet/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.code).toBe(0);
  });

  it('imports every order awaiting shipment once over several runs, including one updated at the cursor', async () => {
    for (let id = 1; id <= 24; id++) seed({ id: 1000 + id, updatedAt: at(id * 60) });
    seed({ id: 1090, updatedAt: at(30), status: 'processing_awaiting_payment' }); // not ready: never pulled
    const first = await ch.run(['sync', 'lightspeed', 'orders'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/24 record\(s\) in \d+ page\(s\): 24 new/);
    expect(await ch.orderFiles()).toHaveLength(24);

    // Next run: one order updated exactly at the stored cursor (order 1024's time), three newer ones.
    seed({ id: 1025, updatedAt: at(24 * 60) });
    for (let id = 1026; id <= 1028; id++) seed({ id, updatedAt: at(3000 + id) });
    const second = await ch.run(['sync', 'lightspeed', 'orders'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(newCount(second.stdout)).toBe(4);
    expect(server.hits('/nl/orders.json').at(-1)!.query.get('updated_at_min')).toBe(at(24 * 60));
    const files = await ch.orderFiles();
    expect(files).toHaveLength(28);
    expect(files).toContain(file(1025));
    expect(files).not.toContain(file(1090));

    // Nothing new: the boundary order comes again and the ledger drops it.
    const third = await ch.run(['sync', 'lightspeed', 'orders'], env);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(newCount(third.stdout)).toBe(0);
    expect(await ch.warehouse()).toHaveLength(28);

    const order = await ch.read(file(1025));
    expect(order).toMatchObject({
      id: 'acme:lightspeed:1025',
      externalId: '1025',
      orderNumber: 'ORD01025',
      status: 'open',
      shipTo: { name: 'Joris Peeters', street: 'Meir', houseNumber: '24', houseNumberSuffix: 'bus 3', postalCode: '2000', city: 'Antwerpen', country: 'BE' },
      lines: [{ sku: 'LS-1025', quantity: 1, unitPrice: '34.95' }],
      totals: { total: '41.9', shipping: '6.95' },
    });
  });

  it('sends one cancellation for an order already sent', async () => {
    Object.assign(server.state.orders.find((o) => o.id === 1005)!, { status: 'cancelled', updatedAt: at(9000) });
    const r = await ch.run(['once'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await ch.cancelFiles()).toEqual(['acme-lightspeed-1005.cancel.json']);
    expect(await ch.read('acme-lightspeed-1005.cancel.json')).toMatchObject({ id: 'acme:lightspeed:1005', status: 'cancelled' });
    // The cancelled order sits at the cursor now and is read again: still one cancellation.
    const again = await ch.run(['sync', 'lightspeed', 'orders'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(await ch.cancelFiles()).toEqual(['acme-lightspeed-1005.cancel.json']);
    expect(await ch.orderFiles()).toHaveLength(28);
  });

  it('rides out 429s with Retry-After and a 503', async () => {
    seed({ id: 1029, updatedAt: at(10_000) });
    const before429 = server.hits('/orders', 429).length;
    const before503 = server.hits('/orders', 503).length;
    server.failNext(2, { status: 429, retryAfter: '1', pathIncludes: '/orders' });
    server.failNext(1, { status: 503, pathIncludes: '/orders' });
    const started = Date.now();
    const r = await ch.run(['sync', 'lightspeed', 'orders'], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(server.hits('/orders', 429).length - before429).toBe(2);
    expect(server.hits('/orders', 503).length - before503).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // Retry-After: 1 was honoured twice
    expect(newCount(r.stdout)).toBe(1);
    expect(await ch.orderFiles()).toContain(file(1029));
  });

  it('a rejected secret: exit code 1, a plain message, nothing imported, no secret shown, lastError in status', async () => {
    seed({ id: 1030, updatedAt: at(11_000) });
    const r = await ch.run(['sync', 'lightspeed', 'orders'], { LS_KEY: KEY, LS_SECRET: WRONG });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/API key\/secret was rejected/);
    expect(r.stdout + r.stderr).not.toContain(WRONG);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(await ch.orderFiles()).not.toContain(file(1030));
    const status = await ch.status(env);
    expect(status.lastError).toMatch(/rejected/);

    const ok = await ch.run(['sync', 'lightspeed', 'orders'], env);
    expect(ok.code).toBe(0);
    expect(await ch.orderFiles()).toContain(file(1030));
  });
});
