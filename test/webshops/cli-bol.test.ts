import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliChannel, newCount, type CliChannel } from '../helpers/webshops/cli-channel.js';
import { bolOrder, bolServer } from '../helpers/webshops/bol.js';

/**
 * A bol.com channel end to end through the real CLI: a local server speaking the Retailer API v10 as
 * documented (client-credentials token, the v10 media type, 50 open FBR orders a page, order details,
 * change-interval-minute for cancellations), the compiled `wharf`, SQLite, real folders. bol filters
 * changes relative to its own clock, so the orders are dated in the last hour of real time.
 */
const CLIENT_ID = '3c8e1f0a-6b2d-4c7e-9a15-2f4d8b6e0c31';
const CLIENT_SECRET = 'Qm9sU2VjcmV0LWZvci10ZXN0cy0xMjM0NTY3ODkw';
const WRONG = 'd3JvbmctYm9sLXNlY3JldC0wMDAwMDAwMDAwMDA';
const TB = Math.floor(Date.now() / 60_000) * 60_000 - 50 * 60_000; // 50 minutes ago, on the minute
const at = (s: number) => new Date(TB + s * 1000).toISOString().replace('.000Z', 'Z');
const id = (n: number) => `C000${1000 + n}`;
const file = (n: number) => `acme-bol-${id(n)}.json`;

describe('bol.com channel through the CLI', () => {
  let server: ReturnType<typeof bolServer>;
  let ch: CliChannel;
  const env = { BOL_CLIENT_ID: CLIENT_ID, BOL_CLIENT_SECRET: CLIENT_SECRET };

  beforeAll(async () => {
    server = await bolServer({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }).start();
    // overlap 0: the order changed exactly at the stored cursor is found only by an inclusive filter.
    ch = await cliChannel('bol', `
type: bol
clientId: \${BOL_CLIENT_ID}
clientSecret: \${BOL_CLIENT_SECRET}
tokenUrl: ${server.url}/token
baseUrl: ${server.url}
overlap: 0
rateLimit: { requestsPerSecond: 25, burst: 25 }
`);
  });
  afterAll(async () => {
    await server.stop();
    await ch.remove();
  });

  it('test-connection passes with a Retailer API credential', async () => {
    const r = await ch.run(['test-connection', ch.key], env);
    expect(r.stdout).toContain('acme/bol: connection ok');
    expect(r.stdout).toMatch(/issued an access token/);
    expect(r.stdout).toMatch(/accepted the token/);
    expect(r.stdout + r.stderr).not.toContain(CLIENT_SECRET);
    expect(r.code).toBe(0);
  });

  it('imports every open FBR order once over several runs, including one changed at the cursor', async () => {
    for (let n = 1; n <= 20; n++) server.state.orders.push(bolOrder({ id: id(n), changed: at(n * 60), pickupPoint: n % 4 === 0 }));
    const fbb = bolOrder({ id: id(90), changed: at(30) }); // fulfilled by bol: not ours to ship
    (fbb.orderItems as { fulfilment: { method: string } }[])[0]!.fulfilment.method = 'FBB';
    server.state.orders.push(fbb);
    const first = await ch.run(['sync', 'bol', 'orders'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/20 record\(s\) in \d+ page\(s\): 20 new/);
    expect(await ch.orderFiles()).toHaveLength(20);

    // Next run: one order changed exactly at the stored cursor (order 20's time), three newer ones.
    server.state.orders.push(bolOrder({ id: id(21), changed: at(20 * 60), pickupPoint: true }));
    for (let n = 22; n <= 24; n++) server.state.orders.push(bolOrder({ id: id(n), changed: at(1800 + n) }));
    const detailsBefore = server.hits('/retailer/orders/').length;
    const second = await ch.run(['sync', 'bol', 'orders'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(newCount(second.stdout)).toBe(5 - 1); // order 20 (at the cursor) again, and 21–24 new
    expect(server.hits('/retailer/orders/').length - detailsBefore).toBe(5); // orders 1–19 were not fetched again
    const files = await ch.orderFiles();
    expect(files).toHaveLength(24);
    expect(files).toContain(file(21));
    expect(files).not.toContain(file(90));

    // Nothing new: the boundary order comes again and the ledger drops it.
    const third = await ch.run(['sync', 'bol', 'orders'], env);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(newCount(third.stdout)).toBe(0);
    expect(await ch.warehouse()).toHaveLength(24);

    const order = await ch.read(file(21));
    expect(order).toMatchObject({
      id: `acme:bol:${id(21)}`,
      externalId: id(21),
      status: 'open',
      currency: 'EUR',
      shipTo: { name: 'Eva Bakker', street: 'Kerkstraat', houseNumber: '12', houseNumberSuffix: 'A', postalCode: '3581 BD', city: 'Utrecht', country: 'NL' },
      shipping: { method: 'PICKUP_POINT', pickupPoint: { id: 'PostNL punt: Primera Utrecht', name: 'PostNL punt: Primera Utrecht' } },
      lines: [{ sku: `REF-${id(21)}`, ean: '8712345678906', quantity: 1, unitPrice: '24.99' }],
      totals: { total: '24.99' },
    });
    expect((await ch.read(file(22))).shipping?.pickupPoint).toBeUndefined();
  });

  it('sends one cancellation for an order already sent', async () => {
    const o = server.state.orders.find((x) => x.orderId === id(5))!;
    for (const item of o.orderItems as { quantity: number; quantityCancelled: number; latestChangedDateTime: string }[]) {
      item.quantityCancelled = item.quantity;
      item.latestChangedDateTime = at(40 * 60);
    }
    const r = await ch.run(['once'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(server.hits('/retailer/orders').some((q) => q.query.get('status') === 'ALL' && q.query.get('change-interval-minute'))).toBe(true);
    expect(await ch.cancelFiles()).toEqual([`acme-bol-${id(5)}.cancel.json`]);
    expect(await ch.read(`acme-bol-${id(5)}.cancel.json`)).toMatchObject({ id: `acme:bol:${id(5)}`, status: 'cancelled' });
    // The cancelled order sits at the cursor now and is read again: still one cancellation.
    const again = await ch.run(['sync', 'bol', 'orders'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(await ch.cancelFiles()).toEqual([`acme-bol-${id(5)}.cancel.json`]);
    expect(await ch.orderFiles()).toHaveLength(24);
  });

  it('a customer\'s cancellation request reaches the warehouse as a cancellation; a requested order is never sent', async () => {
    // Order 6 was sent; now the customer asks to cancel it (bol keeps it OPEN until the retailer confirms).
    const o = server.state.orders.find((x) => x.orderId === id(6))!;
    for (const item of o.orderItems as { cancellationRequest: boolean; latestChangedDateTime: string }[]) {
      item.cancellationRequest = true;
      item.latestChangedDateTime = at(41 * 60);
    }
    // Order 27 arrives with the request already made.
    server.state.orders.push(bolOrder({ id: id(27), changed: at(42 * 60), lines: [{ ean: '8712345678906', qty: 1, price: 9.99, reference: 'REQ-1', cancellationRequest: true }] }));
    const r = await ch.run(['sync', 'bol', 'orders'], env);
    expect(r.code, r.stderr).toBe(0);
    const cancels = await ch.cancelFiles();
    expect(cancels).toContain(`acme-bol-${id(6)}.cancel.json`);
    expect(await ch.read(`acme-bol-${id(6)}.cancel.json`)).toMatchObject({ id: `acme:bol:${id(6)}`, status: 'cancelled' });
    expect(await ch.orderFiles()).not.toContain(file(27));
    expect(cancels).not.toContain(`acme-bol-${id(27)}.cancel.json`);
  });

  it('rides out 429s with Retry-After and a 503', async () => {
    server.state.orders.push(bolOrder({ id: id(25), changed: at(45 * 60) }));
    const before429 = server.hits('/retailer/orders', 429).length;
    const before503 = server.hits('/retailer/orders', 503).length;
    server.failNext(2, { status: 429, retryAfter: '1', pathIncludes: '/retailer/orders' });
    server.failNext(1, { status: 503, pathIncludes: '/retailer/orders' });
    const started = Date.now();
    const r = await ch.run(['sync', 'bol', 'orders'], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(server.hits('/retailer/orders', 429).length - before429).toBe(2);
    expect(server.hits('/retailer/orders', 503).length - before503).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // Retry-After: 1 was honoured twice
    expect(newCount(r.stdout)).toBe(1);
    expect(await ch.orderFiles()).toContain(file(25));
  });

  it('a rejected client secret: exit code 1, a plain message, nothing imported, no secret shown, lastError in status', async () => {
    server.state.orders.push(bolOrder({ id: id(26), changed: at(46 * 60) }));
    const r = await ch.run(['sync', 'bol', 'orders'], { BOL_CLIENT_ID: CLIENT_ID, BOL_CLIENT_SECRET: WRONG });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the client id\/secret/);
    expect(r.stdout + r.stderr).not.toContain(WRONG);
    expect(r.stdout + r.stderr).not.toContain(CLIENT_SECRET);
    expect(await ch.orderFiles()).not.toContain(file(26));
    const status = await ch.status(env);
    expect(status.lastError).toMatch(/refused the client id\/secret/);

    const ok = await ch.run(['sync', 'bol', 'orders'], env);
    expect(ok.code).toBe(0);
    expect(await ch.orderFiles()).toContain(file(26));
  });
});
