import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../helpers/errors.js';
import { silentLogger } from '../../src/log.js';
import { openConnector, type ShipmentPush, type StockUpdate } from '../../src/connectors/index.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { bolDefaults, bolEndpoint, withItemsToShip, DEFAULT_TRANSPORTER_CODES, BOL_TRANSPORTER_CODES, transporterCode } from '../../src/connectors/bol/index.js';
import { captureLogger, fastHttp } from '../helpers/webshops/server.js';
import { mapOrders } from '../helpers/webshops/mapping.js';
import { bolOrder, bolServer, type BolTestServer } from '../helpers/webshops/bol.js';

const ID = 'e5d0c8a2-6f4b-4a51-9d3e-1f2a3b4c5d6e';
const SECRET = 'Zm9vYmFyLXNlY3JldC12YWx1ZS1mb3ItdGVzdHMtb25seQ';
const RO_ID = 'b7c1d2e3-0000-4000-8000-00000000read';
const RO_SECRET = 'cmVhZC1vbmx5LXNlY3JldC1mb3ItdGVzdHMtb25seQ';

let server: BolTestServer;
const raw = (over: Record<string, unknown> = {}) => ({
  type: 'bol', clientId: ID, clientSecret: SECRET, baseUrl: server.url, tokenUrl: `${server.url}/token`,
  processPollInterval: 0.01, processTimeout: 5, rateLimit: { requestsPerSecond: 1000, burst: 100 },
  push: { stock: { enabled: true }, shipments: { enabled: true } }, ...over,
});
const open = (over: Record<string, unknown> = {}, logger = silentLogger()) => openConnector(raw(over), { logger, http: fastHttp });

/** The machinery's batching: `stockBatchSize` updates per pushStock call. */
async function pushAll(push: ReturnType<typeof open>['push'], updates: StockUpdate[]) {
  const done: string[] = [];
  const refused: { sku: string; message: string }[] = [];
  for (let i = 0; i < updates.length; i += push.stockBatchSize) {
    const batch = updates.slice(i, i + push.stockBatchSize);
    expect(batch.length).toBeLessThanOrEqual(push.stockBatchSize);
    const r = await push.pushStock(batch);
    done.push(...r.done);
    refused.push(...r.refused);
  }
  return { done, refused };
}

const offerId = (n: number) => `6ff736b5-cdd0-4150-8c67-${String(n).padStart(12, '0')}`;
function seedOffers(n: number): StockUpdate[] {
  const out: StockUpdate[] = [];
  for (let i = 1; i <= n; i++) {
    server.state.offers.set(offerId(i), { ean: `87100000${String(i).padStart(5, '0')}`, reference: `SKU-${i}`, stock: { amount: 0, managedByRetailer: false } });
    out.push({ sku: `SKU-${i}`, ids: { offerId: offerId(i) }, quantity: i, previous: null });
  }
  return out;
}

function shipment(over: Partial<ShipmentPush> & Pick<ShipmentPush, 'orderRef' | 'lines'>): ShipmentPush {
  return {
    shipmentId: `SHP-${over.orderRef}-1`, orderId: `acme:bol:${over.orderRef}`, carrier: 'PostNL', trackingNumber: '3SBOL0987654321', trackingUrl: null, shippedAt: '2026-11-29T10:00:00Z',
    completesOrder: true, notifyCustomer: false, attempts: 0, ...over,
  };
}

beforeEach(async () => {
  server = await bolServer({ clientId: ID, clientSecret: SECRET, readOnly: { clientId: RO_ID, clientSecret: RO_SECRET } }).start();
});
afterEach(async () => server.stop());

describe('bol push targets', () => {
  it('take the offer id per offer (v11, and a v10 export row pulled before), SKU = offer reference else EAN, and skip FBB offers and rows without offer id', () => {
    const push = open().push;
    expect(push.supported).toBe(true);
    expect(push.productTargets({ offerId: 'o-1', ean: '0871234567890', referenceCode: 'MOK-01', fulfilmentType: 'FBR' })).toEqual([{ sku: 'MOK-01', ean: '0871234567890', ids: { offerId: 'o-1' } }]);
    expect(push.productTargets({ offerId: 'o-2', ean: '8712345678906', referenceCode: '', fulfilmentType: 'FBR' })).toEqual([{ sku: '8712345678906', ean: '8712345678906', ids: { offerId: 'o-2' } }]);
    expect(push.productTargets({ offerId: 'o-3', ean: '8712345678913', referenceCode: 'FBB-1', fulfilmentType: 'FBB' })).toEqual([]);
    expect(push.productTargets({ offerId: '', ean: '8712345678913', referenceCode: 'X' })).toEqual([]);
    // An Offers API v11 offer works the same.
    expect(push.productTargets({ offerId: 'o-4', ean: '8712345678920', reference: 'V11-1', fulfilment: { method: 'FBR' } })).toEqual([{ sku: 'V11-1', ean: '8712345678920', ids: { offerId: 'o-4' } }]);
    expect(push.productTargets(null)).toEqual([]);
  });
});

describe('bol stock push (Offers API v11)', () => {
  it('sets every offer\'s stock with one v11 PATCH each, in batches within stockBatchSize, managedByRetailer true by default', async () => {
    const updates = seedOffers(120);
    const push = open().push;
    const { done, refused } = await pushAll(push, updates);
    expect(refused).toEqual([]);
    expect(done.sort()).toEqual(updates.map((u) => u.sku).sort());
    for (let i = 1; i <= 120; i++) expect(server.state.offers.get(offerId(i))!.stock).toEqual({ amount: i, managedByRetailer: true });
    const patches = server.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(120);
    expect(patches[0]!.headers['content-type']).toBe('application/vnd.retailer.v11+json');
    expect(JSON.parse(patches[0]!.body)).toEqual({ stock: { amount: expect.any(Number), managedByRetailer: true } });
    expect(server.hits('/shared/process-status')).toHaveLength(0); // v11 is synchronous: 204, nothing to poll
  });

  it('caps a quantity above 999 at 999 and says so in the log', async () => {
    const [u] = seedOffers(1);
    const log = captureLogger();
    const r = await open({ stockManagedByRetailer: false }, log.logger).push.pushStock([{ ...u!, quantity: 1500 }]);
    expect(r.done).toEqual(['SKU-1']);
    expect(server.state.offers.get(offerId(1))!.stock).toEqual({ amount: 999, managedByRetailer: false });
    expect(log.text()).toContain('sent as 999');
  });

  it('refuses an unknown offer and an offer bol refuses with bol\'s message; the others are done', async () => {
    const updates = seedOffers(3);
    server.state.offers.delete(offerId(2));
    server.state.refuseOffers.add(offerId(3));
    const r = await open().push.pushStock(updates);
    expect(r.done).toEqual(['SKU-1']);
    expect(r.refused).toEqual(expect.arrayContaining([
      { sku: 'SKU-2', message: expect.stringMatching(/offer 6ff736b5-cdd0-4150-8c67-000000000002 not found.*Offer with id .* not found/) },
      { sku: 'SKU-3', message: expect.stringContaining('Offer is blocked and cannot be updated') },
    ]));
  });

  it('honours a 429 with Retry-After and then sets the stock', async () => {
    const updates = seedOffers(4);
    server.failNext(2, { status: 429, retryAfter: '1', pathIncludes: '/retailer/offers/', body: { type: 'https://api.bol.com/problems', title: 'Too Many Requests', status: 429, detail: 'Too many requests, retry later.' } });
    const started = Date.now();
    const r = await open({ stockConcurrency: 1 }).push.pushStock(updates);
    expect(r.done).toHaveLength(4);
    expect(server.hits('/retailer/offers/', 429)).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited for Retry-After, not the 10 ms back-off
  });

  it('keeps within bol\'s budget for PATCH /retailer/offers/* from the x-ratelimit headers: no 429, every offer set', async () => {
    expect(bolEndpoint('PATCH', `/retailer/offers/${offerId(1)}`)).toBe('PATCH /retailer/offers/*');
    expect(bolEndpoint('GET', '/retailer/offers')).toBe('GET /retailer/offers');
    expect(bolEndpoint('GET', '/shared/process-status/17')).toBe('GET /shared/process-status/*');
    const updates = seedOffers(12);
    server.state.budgets.set('PATCH /retailer/offers/*', { max: 5, windowMs: 1000 });
    const r = await open().push.pushStock(updates);
    expect(r.done).toHaveLength(12);
    expect(server.hits('/retailer/offers/', 429)).toEqual([]);
    expect(server.requests.filter((x) => x.method === 'PATCH')).toHaveLength(12);
  });

  it('a stock update whose answer was lost is sent again (absolute amounts: harmless) and done', async () => {
    const updates = seedOffers(2);
    server.dropNext(1, 'PATCH', '/retailer/offers/');
    const r = await open({ stockConcurrency: 1 }).push.pushStock(updates);
    expect(r.done.sort()).toEqual(['SKU-1', 'SKU-2']);
    expect(server.requests.filter((x) => x.method === 'PATCH' && x.path.endsWith(offerId(1)))).toHaveLength(2);
    expect(server.state.offers.get(offerId(1))!.stock.amount).toBe(1);
  });

  it('a read-only credential: the push fails as a whole with AUTH_FAILED, not retried', async () => {
    const updates = seedOffers(2);
    const err = await rejectionOf(open({ clientId: RO_ID, clientSecret: RO_SECRET }).push.pushStock(updates));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/may not do this \(HTTP 403.*read-only/);
    expect(server.state.offers.get(offerId(1))!.stock.amount).toBe(0);
  });
});

describe('bol shipment push', () => {
  const order = (id: string, lines = [{ ean: '8712345678906', qty: 2, price: 10, reference: 'MOK-01' }, { ean: '0871234567890', qty: 1, price: 5, reference: 'CUP-02' }]) => {
    server.state.orders.push(bolOrder({ id, changed: '2026-11-28T10:00:00+01:00', lines }));
  };
  const posts = () => server.requests.filter((r) => r.method === 'POST' && r.path === '/retailer/shipments');

  it('the bol order mapping keeps each orderItemId as the line\'s lineId (the shipment push\'s lineRef)', async () => {
    order('1043946569');
    const { orders, problems } = await mapOrders('bol.order', [withItemsToShip(server.state.orders[0])]); // as the order pull hands it over
    expect(problems).toEqual([]);
    expect(orders[0]!.lines.map((l) => [l.lineId, l.sku])).toEqual([['10439465690', 'MOK-01'], ['10439465691', 'CUP-02']]);
  });

  it('reports a parcel once: order item ids, transporter code TNT for PostNL, track & trace, polled PENDING → SUCCESS', async () => {
    order('1043946570');
    const r = await open().push.pushShipment(shipment({ orderRef: '1043946570', lines: [{ sku: 'MOK-01', quantity: 2, lineRef: '10439465700' }, { sku: 'CUP-02', quantity: 1, lineRef: '10439465701' }] }));
    expect(r.outcome).toBe('pushed');
    expect(posts()).toHaveLength(1);
    expect(JSON.parse(posts()[0]!.body)).toEqual({
      orderItems: [{ orderItemId: '10439465700', quantity: 2 }, { orderItemId: '10439465701', quantity: 1 }],
      shipmentReference: 'SHP-1043946570-1',
      transport: { transporterCode: 'TNT', trackAndTrace: '3SBOL0987654321' },
    });
    expect(server.hits("/shared/process-status/").map((x) => x.status)).toEqual([200, 200, 200]); // two PENDING, then SUCCESS
    expect(server.state.shipments).toHaveLength(1);
    expect((server.state.orders[0]!.orderItems as { quantityShipped: number }[]).map((i) => i.quantityShipped)).toEqual([2, 1]);
  });

  it('when the first answer was lost: the retry (attempts 1) finds the parcel in bol → already-there, ONE shipment', async () => {
    order('1043946571');
    const push = open().push;
    const p = shipment({ orderRef: '1043946571', lines: [{ sku: 'MOK-01', quantity: 2, lineRef: '10439465710' }, { sku: 'CUP-02', quantity: 1, lineRef: '10439465711' }] });
    server.dropNext(1, 'POST', '/retailer/shipments');
    const first = await rejectionOf(push.pushShipment(p));
    expect(first.retryable).toBe(true);
    // bol is still processing the first POST: the retry waits for that process, then finds the shipment.
    const again = await push.pushShipment({ ...p, attempts: 1 });
    expect(again.outcome).toBe('already-there');
    expect(posts()).toHaveLength(1);
    expect(server.state.shipments).toHaveLength(1);
    expect(server.hits('/shared/process-status').some((x) => x.query.get('event-type') === 'CREATE_SHIPMENT')).toBe(true);
  });

  it('an expired process id while polling is retried, and the retry finds the parcel: already-there, ONE shipment', async () => {
    order('1043946572');
    server.state.processPolls = 5;
    server.changeAfter(1, (r) => r.path.startsWith('/shared/process-status/'), () => server.expireProcesses());
    const push = open().push;
    const p = shipment({ orderRef: '1043946572', lines: [{ sku: 'MOK-01', quantity: 2, lineRef: '10439465720' }, { sku: 'CUP-02', quantity: 1, lineRef: '10439465721' }] });
    const first = await rejectionOf(push.pushShipment(p));
    expect(first.retryable).toBe(true);
    expect(first.message).toMatch(/expired \(HTTP 404\)/);
    expect((await push.pushShipment({ ...p, attempts: 1 })).outcome).toBe('already-there');
    expect(posts()).toHaveLength(1);
    expect(server.state.shipments).toHaveLength(1);
  });

  it('a partial shipment sends only its lines; the next parcel the rest', async () => {
    order('1043946573', [{ ean: '8712345678906', qty: 2, price: 10, reference: 'MOK-01' }, { ean: '0871234567890', qty: 1, price: 5, reference: 'CUP-02' }, { ean: '8712345678913', qty: 1, price: 7, reference: 'LID-03' }]);
    const push = open().push;
    await push.pushShipment(shipment({ orderRef: '1043946573', completesOrder: false, lines: [{ sku: 'MOK-01', quantity: 1, lineRef: '10439465730' }] }));
    expect(JSON.parse(posts()[0]!.body).orderItems).toEqual([{ orderItemId: '10439465730', quantity: 1 }]);
    // The second parcel: its lines found by SKU (no lineRef), duplicates summed.
    await push.pushShipment(shipment({ orderRef: '1043946573', shipmentId: 'SHP-1043946573-2', carrier: 'DHL For You', trackingNumber: 'JVGL06123', lines: [{ sku: 'MOK-01', quantity: 1 }, { sku: 'CUP-02', quantity: 1 }, { sku: 'LID-03', quantity: 1 }] }));
    expect(JSON.parse(posts()[1]!.body)).toMatchObject({ orderItems: [{ orderItemId: '10439465730', quantity: 1 }, { orderItemId: '10439465731', quantity: 1 }, { orderItemId: '10439465732', quantity: 1 }], transport: { transporterCode: 'DHLFORYOU', trackAndTrace: 'JVGL06123' } });
    expect((server.state.orders[0]!.orderItems as { quantityShipped: number }[]).map((i) => i.quantityShipped)).toEqual([2, 1, 1]);
    expect(server.state.shipments).toHaveLength(2);
  });

  it('an item with a cancellation request is refused with a clear message and nothing is sent', async () => {
    server.state.orders.push(bolOrder({ id: '1043946574', changed: '2026-11-28T10:00:00+01:00', lines: [{ ean: '8712345678906', qty: 1, price: 10, reference: 'MOK-01', cancellationRequest: true }] }));
    const err = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '1043946574', lines: [{ sku: 'MOK-01', quantity: 1, lineRef: '10439465740' }] })));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/customer asked to cancel order item 10439465740 \(MOK-01\) of bol order 1043946574/);
    expect(err.details.hint).toMatch(/cancellation request/);
    expect(posts()).toHaveLength(0);
  });

  it('a cancelled order is refused; bol\'s own FAILURE (cancellation requested meanwhile) is refused with bol\'s errorMessage', async () => {
    server.state.orders.push(bolOrder({ id: '1043946575', changed: '2026-11-28T10:00:00+01:00', cancelled: true }));
    const cancelled = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '1043946575', lines: [{ sku: 'REF-1043946575', quantity: 1, lineRef: '10439465750' }] })));
    expect(cancelled.message).toMatch(/is cancelled in bol/);
    expect(cancelled.retryable).toBe(false);

    order('1043946576');
    // The customer asks to cancel between Wharf's read of the order and bol's processing.
    server.changeAfter(1, (r) => r.path === '/retailer/orders/1043946576', () => {
      (server.state.orders.at(-1)!.orderItems as { cancellationRequest: boolean }[])[0]!.cancellationRequest = true;
    });
    const failed = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '1043946576', lines: [{ sku: 'MOK-01', quantity: 2, lineRef: '10439465760' }] })));
    expect(failed.retryable).toBe(false);
    expect(failed.message).toBe('bol refused shipment SHP-1043946576-1 of order 1043946576: Order item 10439465760 has a cancellation request and cannot be shipped.');
    expect(server.state.shipments).toHaveLength(0);
  });

  it('an order bol does not know, a line that is no order item, and an unknown carrier are refused; transporterCodes maps a carrier', async () => {
    const unknown = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '999', lines: [{ sku: 'X', quantity: 1, lineRef: '9990' }] })));
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', retryable: false, message: expect.stringContaining('bol does not know order 999') });
    order('1043946577');
    const noItem = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '1043946577', lines: [{ sku: 'NOPE', quantity: 1, lineRef: 'x-1' }] })));
    expect(noItem.message).toMatch(/is not an order item of bol order 1043946577/);
    const carrier = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '1043946577', carrier: 'Homerr Pakket', lines: [{ sku: 'CUP-02', quantity: 1, lineRef: '10439465771' }] })));
    expect(carrier.message).toMatch(/no bol transporter code for carrier "Homerr Pakket"/);
    expect(carrier.details.hint).toMatch(/transporterCodes/);
    expect(posts()).toHaveLength(0);
    const r = await open({ transporterCodes: { 'homerr pakket': 'OTHER' } }).push.pushShipment(shipment({ orderRef: '1043946577', carrier: 'Homerr Pakket', lines: [{ sku: 'CUP-02', quantity: 1, lineRef: '10439465771' }] }));
    expect(r.outcome).toBe('pushed');
    expect(JSON.parse(posts()[0]!.body).transport.transporterCode).toBe('OTHER');
  });

  it('a 429 on the shipment POST is waited out (bol did not take it) and the parcel is sent once more, once', async () => {
    order('1043946579');
    server.failNext(1, { status: 429, retryAfter: '0', pathIncludes: '/retailer/shipments', body: { type: 'https://api.bol.com/problems', title: 'Too Many Requests', status: 429, detail: 'Too many requests, retry later.' } });
    const r = await open().push.pushShipment(shipment({ orderRef: '1043946579', lines: [{ sku: 'CUP-02', quantity: 1, lineRef: '10439465791' }] }));
    expect(r.outcome).toBe('pushed');
    expect(server.hits('/retailer/shipments', 429)).toHaveLength(1);
    expect(server.state.shipments).toHaveLength(1);
  });

  it('a 5xx after the POST is not resent by the HTTP client: the push fails retryable and the next attempt reads bol first', async () => {
    order('1043946580');
    server.failNext(1, { status: 503, pathIncludes: '/retailer/shipments' });
    const push = open().push;
    const p = shipment({ orderRef: '1043946580', lines: [{ sku: 'CUP-02', quantity: 1, lineRef: '10439465801' }] });
    const err = await rejectionOf(push.pushShipment(p));
    expect(err.retryable).toBe(true);
    expect(posts()).toHaveLength(1);
    expect((await push.pushShipment({ ...p, attempts: 1 })).outcome).toBe('pushed'); // bol had nothing: sent now
    expect(server.hits('/retailer/shipments').filter((x) => x.method === 'GET')).toHaveLength(1);
    expect(server.state.shipments).toHaveLength(1);
  });

  it('a shipment without lines is refused, nothing sent', async () => {
    order('1043946578');
    const err = await rejectionOf(open().push.pushShipment(shipment({ orderRef: '1043946578', lines: [] })));
    expect(err.message).toMatch(/has no lines/);
    expect(posts()).toHaveLength(0);
  });

  it('the bundled transporter table only names bol\'s codes', () => {
    for (const code of Object.values(DEFAULT_TRANSPORTER_CODES)) expect(BOL_TRANSPORTER_CODES).toContain(code);
    expect(DEFAULT_TRANSPORTER_CODES.postnl).toBe('TNT');
    // Every carrier code the bundled lookup gives (mappings/lookups/carriers.yaml) goes to bol as some code.
    const bundled = parseYaml(readFileSync(new URL('../../mappings/lookups/carriers.yaml', import.meta.url), 'utf8')) as Record<string, string>;
    for (const code of new Set(Object.values(bundled))) expect(() => transporterCode(code, undefined, 'test'), code).not.toThrow();
    expect(bolDefaults.offersMediaType).toBe('application/vnd.retailer.v11+json');
  });
});

describe('bol test-connection write check', () => {
  it('passes with read/write credentials, and explains a read-only credential in plain words', async () => {
    const ok = await open().testConnection();
    expect(ok.ok).toBe(true);
    expect(ok.steps.map((s) => s.step)).toEqual(['token', 'reading orders', 'writing stock', 'writing shipments']);
    const ro = await open({ clientId: RO_ID, clientSecret: RO_SECRET }).testConnection();
    expect(ro.ok).toBe(false);
    expect(ro.steps.at(-1)).toMatchObject({ step: 'writing stock', ok: false, detail: expect.stringMatching(/may read but not write offers .*HTTP 403.*read and write/s) });
    // Nothing was changed by the probes.
    expect(server.state.shipments).toHaveLength(0);
  });

  it('does not ask for write access when push is off', async () => {
    const r = await open({ push: undefined }).testConnection();
    expect(r.ok).toBe(true);
    expect(r.steps.at(-1)).toMatchObject({ step: 'write access', detail: expect.stringContaining('not checked') });
    expect(server.requests.filter((x) => x.method === 'PATCH')).toHaveLength(0);
  });
});
