import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmDate } from '../../src/connectors/retailcrm/index.js';
import { cliChannel, newCount, type CliChannel } from '../helpers/webshops/cli-channel.js';
import { retailcrmOrder, retailcrmServer } from '../helpers/webshops/retailcrm.js';

/**
 * A RetailCRM channel end to end through the real CLI: a local server speaking API v5 as documented
 * (X-API-KEY, /api/credentials, filter[extendedStatus][] / filter[sites][] / filter[statusUpdatedAtFrom]
 * in the account's local time, totalPageCount paging, 10 requests a second), the compiled `wharf`
 * with the channel's default rate limit, SQLite, real folders.
 */
const KEY = 'Zq8vB2mN4xR7tY1uI3oP5aS6dF9gH0jK';
const WRONG = 'Wr0ngWr0ngWr0ngWr0ngWr0ngWr0ng00';
const ZONE = 'Europe/Moscow';
const T0 = Date.parse('2026-05-04T07:00:00Z'); // 10:00 in Moscow
const local = (s: number) => crmDate(new Date(T0 + s * 1000), ZONE);
const file = (id: number) => `acme-retailcrm-${id}.json`;

describe('RetailCRM channel through the CLI', () => {
  let server: ReturnType<typeof retailcrmServer>;
  let ch: CliChannel;
  const env = { CRM_KEY: KEY };

  beforeAll(async () => {
    server = await retailcrmServer({ apiKey: KEY }).start();
    // overlap 0: the order whose status changed exactly at the stored cursor is found only by an inclusive filter.
    ch = await cliChannel('retailcrm', `
type: retailcrm
url: https://acme.retailcrm.ru
apiKey: \${CRM_KEY}
site: acme-shop
timezone: ${ZONE}
baseUrl: ${server.url}
overlap: 0
`);
  });
  afterAll(async () => {
    await server.stop();
    await ch.remove();
  });

  it('test-connection passes with a key allowed every method Wharf uses', async () => {
    const r = await ch.run(['test-connection', ch.key], env);
    expect(r.stdout).toContain('acme/retailcrm: connection ok');
    expect(r.stdout).toMatch(/for store "acme-shop"/);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(r.code).toBe(0);
    expect(server.hits('/api/credentials')).toHaveLength(1);
  });

  it('imports every order ready for assembly once over several runs, including one at the cursor', async () => {
    for (let id = 1; id <= 130; id++) server.state.orders.push(retailcrmOrder({ id, statusUpdatedAt: local(id * 60) }));
    server.state.orders.push(retailcrmOrder({ id: 900, statusUpdatedAt: local(30), status: 'new' })); // not ready: never pulled
    server.state.orders.push(retailcrmOrder({ id: 901, statusUpdatedAt: local(31), site: 'other-shop' })); // another store
    const first = await ch.run(['sync', 'retailcrm', 'orders'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/130 record\(s\) in \d+ page\(s\): 130 new/);
    expect(await ch.orderFiles()).toHaveLength(130);

    // Next run: one order whose status changed exactly at the stored cursor (order 130's time), three newer.
    server.state.orders.push(retailcrmOrder({ id: 131, statusUpdatedAt: local(130 * 60), housing: '3' }));
    for (let id = 132; id <= 134; id++) server.state.orders.push(retailcrmOrder({ id, statusUpdatedAt: local(9000 + id) }));
    const second = await ch.run(['sync', 'retailcrm', 'orders'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(newCount(second.stdout)).toBe(4);
    expect(server.hits('/api/v5/orders').at(-1)!.query.get('filter[statusUpdatedAtFrom]')).toBe('2026-05-04 12:10:00'); // Moscow time of order 130
    const files = await ch.orderFiles();
    expect(files).toHaveLength(134);
    expect(files).toContain(file(131));
    expect(files).not.toContain(file(900));
    expect(files).not.toContain(file(901));

    // Nothing new: the boundary orders come again and the ledger drops them.
    const third = await ch.run(['sync', 'retailcrm', 'orders'], env);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(newCount(third.stdout)).toBe(0);
    expect(await ch.warehouse()).toHaveLength(134);

    const order = await ch.read(file(131));
    expect(order).toMatchObject({
      id: 'acme:retailcrm:131',
      externalId: '131',
      orderNumber: '131A',
      status: 'open',
      currency: 'RUB',
      createdAt: '2026-05-04T12:10:00+03:00',
      shipTo: { name: 'Ivan Petrov', street: 'ul. 50-letiya Rostselmasha', houseNumber: '2', houseNumberSuffix: '3', addressLine2: 'kv. 6', postalCode: '344065', city: 'Rostov-Na-Donu', country: 'RU' },
      lines: [{ sku: 'ART-131', quantity: 1, unitPrice: '1490.00' }],
      totals: { total: '1790', shipping: '300' },
    });
  });

  it('sends one cancellation for an order already sent', async () => {
    Object.assign(server.state.orders.find((o) => o.id === 5)!, { status: 'cancel-other', statusUpdatedAt: local(20_000) });
    const r = await ch.run(['once'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(await ch.cancelFiles()).toEqual(['acme-retailcrm-5.cancel.json']);
    expect(await ch.read('acme-retailcrm-5.cancel.json')).toMatchObject({ id: 'acme:retailcrm:5', status: 'cancelled' });
    // The cancelled order sits at the cursor now and is read again: still one cancellation.
    const again = await ch.run(['sync', 'retailcrm', 'orders'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/[1-9]\d* record\(s\)/);
    expect(await ch.cancelFiles()).toEqual(['acme-retailcrm-5.cancel.json']);
    expect(await ch.orderFiles()).toHaveLength(134);
  });

  it('rides out a 429 with Retry-After and a 503', async () => {
    server.state.orders.push(retailcrmOrder({ id: 135, statusUpdatedAt: local(30_000) }));
    const before429 = server.hits('/api/v5/orders', 429).length;
    const before503 = server.hits('/api/v5/orders', 503).length;
    server.failNext(2, { status: 429, retryAfter: '1', pathIncludes: '/api/v5/orders' });
    server.failNext(1, { status: 503, pathIncludes: '/api/v5/orders' });
    const started = Date.now();
    const r = await ch.run(['sync', 'retailcrm', 'orders'], env, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(server.hits('/api/v5/orders', 429).length - before429).toBe(2);
    expect(server.hits('/api/v5/orders', 503).length - before503).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // Retry-After: 1 was honoured twice
    expect(newCount(r.stdout)).toBe(1);
    expect(await ch.orderFiles()).toContain(file(135));
  });

  it('a rejected key: exit code 1, a plain message, nothing imported, no secret shown, lastError in status', async () => {
    server.state.orders.push(retailcrmOrder({ id: 136, statusUpdatedAt: local(31_000) }));
    const r = await ch.run(['sync', 'retailcrm', 'orders'], { CRM_KEY: WRONG });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/API key was rejected/);
    expect(r.stdout + r.stderr).not.toContain(WRONG);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(await ch.orderFiles()).not.toContain(file(136));
    const status = await ch.status(env);
    expect(status.lastError).toMatch(/API key was rejected/);

    const ok = await ch.run(['sync', 'retailcrm', 'orders'], env);
    expect(ok.code).toBe(0);
    expect(await ch.orderFiles()).toContain(file(136));
  });
});
