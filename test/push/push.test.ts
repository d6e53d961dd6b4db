/**
 * The platform-independent push machinery (src/push) on both ledgers, against the WooCommerce test
 * server: only changed SKUs are pushed, in batches within the limit; an interrupted push goes on where
 * it stopped; unknown SKUs are a state, not a log line per run; a shipment is pushed once, also when
 * the first attempt's answer was lost.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openConnector, type ChannelConnector } from '../../src/connectors/index.js';
import type { ChannelEntry } from '../../src/config/entries.js';
import type { LoadedConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import type { Store, StoredRecord } from '../../src/ledger/store.js';
import { DEFAULT_ROUTING, FileRouter, shipmentPushDestination } from '../../src/pipeline/routing.js';
import { runShipmentPush, shipmentPushOf } from '../../src/push/shipments.js';
import { runStockPush, shopQuantity } from '../../src/push/stock.js';
import { LEASE_MS, RENEW_AFTER_MS, takePushLease } from '../../src/push/lease.js';
import { backends, fileInfo, importFile, type Harness } from '../helpers/ledgers.js';
import { fastHttp } from '../helpers/webshops/server.js';
import { wooOrder, wooServer } from '../helpers/webshops/woocommerce.js';

const KEY = 'ck_1111111111111111111111111111111111111111';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const N = 1000;
const sku = (i: number) => `SKU-${String(i).padStart(4, '0')}`;

const entry = { merchant: 'acme', channel: 'woo', key: 'acme/woo' } as ChannelEntry;

function level(s: string, quantity: number, location = ''): StoredRecord {
  return { kind: 'stock', id: `stock:acme:${s}:${location}`, merchant: 'acme', channel: 'wms', recordNo: 1, body: { merchant: 'acme', sku: s, quantity, ...(location ? { warehouse: location } : {}) } };
}

async function report(store: Store, records: StoredRecord[], pushes = new Set<string>()): Promise<void> {
  const tx = await store.beginIntake(fileInfo({ merchant: '@warehouse', channel: 'wms' }));
  const router = new FileRouter(tx, { ...DEFAULT_ROUTING, shipmentPushes: pushes }, new Date().toISOString());
  for (const r of records) expect(typeof (await router.route(r))).toBe('string');
  await tx.commit({ status: 'imported', records: records.length, duplicates: 0, invalid: 0 });
}

/** The update items of every products batch request the server answered with 200. */
function batchBodies(server: ReturnType<typeof wooServer>): { id: number; stock_quantity: number }[][] {
  return server.hits('/products/batch', 200).map((h) => (JSON.parse(h.body) as { update: { id: number; stock_quantity: number }[] }).update);
}

describe('shop quantity', () => {
  it('sums the chosen locations, keeps the buffer back (not below 0) and caps', () => {
    const levels = [{ location: 'AMS', quantity: 7 }, { location: 'RTM', quantity: 5 }];
    expect(shopQuantity(levels, { stockBuffer: 0, maxStock: undefined, locations: undefined })).toBe(12);
    expect(shopQuantity(levels, { stockBuffer: 2, maxStock: undefined, locations: ['AMS'] })).toBe(5);
    expect(shopQuantity(levels, { stockBuffer: 20, maxStock: undefined, locations: undefined })).toBe(0);
    expect(shopQuantity(levels, { stockBuffer: 1, maxStock: 10, locations: undefined })).toBe(10);
    expect(shopQuantity(levels, { stockBuffer: 0, maxStock: undefined, locations: ['UTR'] })).toBeUndefined();
  });
});

describe.each(backends)('push machinery: $name', (backend) => {
  let h: Harness;
  let store: Store;
  let server: ReturnType<typeof wooServer>;
  let connector: ChannelConnector;

  beforeEach(async () => {
    h = await backend.create();
    store = await h.open();
    server = await wooServer({
      keys: [{ key: KEY, secret: SECRET, permissions: 'read_write' }],
      products: Array.from({ length: N }, (_, i) => ({ id: 5000 + i, type: 'simple', sku: sku(i), manage_stock: false, stock_quantity: null })),
      orders: [wooOrder({ id: 41, modified: '2026-11-20T09:00:00Z', lines: [{ sku: 'MUG', qty: 2, price: '9.95' }, { sku: 'TEE', qty: 1, price: '19.95' }] })],
    }).start();
    connector = openConnector({
      type: 'woocommerce', url: 'https://shop.example', baseUrl: `${server.url}/wp-json/wc/v3`, consumerKey: KEY, consumerSecret: SECRET,
      push: { stock: { enabled: true }, shipments: { enabled: true } },
    }, { logger: silentLogger(), http: fastHttp });
    // What the product pull stores (src/daemon/api-channel.ts): the push ids of the catalogue.
    await store.upsertPushTargets('acme/woo', server.state.products.flatMap((p) => connector.push.productTargets(p)));
  });
  afterEach(async () => {
    await server.stop();
    await store.close().catch(() => undefined);
    await h.cleanup();
  });

  it('pushes all SKUs once in batches of at most 100, then exactly the 3 that changed', async () => {
    await report(store, Array.from({ length: N }, (_, i) => level(sku(i), i % 50)));
    const first = await runStockPush(entry, connector, { store, logger: silentLogger() });
    expect(first).toMatchObject({ changed: N, pushed: N, unknown: [], refused: [] });
    expect(batchBodies(server).every((b) => b.length <= 100)).toBe(true);
    expect(batchBodies(server).flat()).toHaveLength(N);
    expect(server.state.products.find((p) => p.sku === sku(123))).toMatchObject({ manage_stock: true, stock_quantity: 23 });

    server.requests.length = 0;
    await report(store, [level(sku(5), 99), level(sku(500), 0 + 1), level(sku(999), 7), level(sku(10), 10)]); // SKU-0010 unchanged (10 % 50)
    const second = await runStockPush(entry, connector, { store, logger: silentLogger() });
    expect(second).toMatchObject({ changed: 3, pushed: 3, batches: 1 });
    expect(batchBodies(server)).toEqual([[
      { id: 5005, manage_stock: true, stock_quantity: 99 },
      { id: 5500, manage_stock: true, stock_quantity: 1 },
      { id: 5999, manage_stock: true, stock_quantity: 7 },
    ]]);

    server.requests.length = 0;
    expect(await runStockPush(entry, connector, { store, logger: silentLogger() })).toMatchObject({ changed: 0, pushed: 0 });
    expect(server.hits('/batch')).toHaveLength(0);
  });

  it('a bundle SKU gets its computed stock (a product record with components), and is pushed again when a component changes', async () => {
    // SKU-0000 is a bundle of 2 × SKU-0001 + 1 × SKU-0002 (the shop's product record says so): the
    // level the warehouse reports for SKU-0000 itself gives way to the computed one.
    const bundle: StoredRecord = {
      kind: 'product', id: 'product:acme:woo:SKU-0000', merchant: 'acme', channel: 'woo', recordNo: 1,
      body: { merchant: 'acme', channel: 'woo', sku: sku(0), components: [{ sku: sku(1), quantity: 2 }, { sku: sku(2), quantity: 1 }] },
    };
    await importFile(store, [bundle], fileInfo({ merchant: 'acme', channel: 'woo' }));
    await report(store, [level(sku(0), 40), level(sku(1), 9), level(sku(2), 3)]);
    const config = { channels: [], mappingsDir: '/nonexistent' } as unknown as LoadedConfig; // only the fields merchantBundles reads
    const first = await runStockPush(entry, connector, { store, logger: silentLogger(), config });
    expect(first).toMatchObject({ changed: 3, pushed: 3 });
    const qty = (s: string) => server.state.products.find((p) => p.sku === s)!.stock_quantity;
    expect([qty(sku(0)), qty(sku(1)), qty(sku(2))]).toEqual([3, 9, 3]); // min(floor(9 / 2), floor(3 / 1)) = 3, not the reported 40

    server.requests.length = 0;
    await report(store, [level(sku(1), 4)]);
    const second = await runStockPush(entry, connector, { store, logger: silentLogger(), config });
    expect(second).toMatchObject({ changed: 2, pushed: 2 });
    expect(batchBodies(server).flat().map((u) => [u.id, u.stock_quantity])).toEqual([[5000, 2], [5001, 4]]);
  });

  it('a dry run sends nothing and moves nothing; old → new is shown', async () => {
    await report(store, [level(sku(1), 4), level('NOT-IN-SHOP', 2)]);
    const dry = await runStockPush(entry, connector, { store, logger: silentLogger(), dryRun: true });
    expect(dry.changes).toEqual([
      { sku: 'NOT-IN-SHOP', old: null, new: 2 },
      { sku: sku(1), old: null, new: 4, ids: { productId: 5001 } },
    ]);
    expect(server.requests).toHaveLength(0);
    expect(await store.pushedStock('acme/woo', [sku(1)])).toEqual(new Map());
    expect((await store.summary()).notices).toHaveLength(0);
  });

  it('an interrupted push goes on with the SKUs not confirmed and loses no update', async () => {
    await report(store, Array.from({ length: 500 }, (_, i) => level(sku(i), 3)));
    // The 4th batch request keeps failing (the shop is down from then on).
    let served = 0;
    server.changeAfter(3, (r) => r.path.endsWith('/products/batch'), () => {
      served = 3;
      server.failNext(100, { status: 503, pathIncludes: '/products/batch' });
    });
    await expect(runStockPush(entry, connector, { store, logger: silentLogger() })).rejects.toThrow(/503|Service unavailable/);
    expect(served).toBe(3);
    expect((await store.pushedStock('acme/woo', Array.from({ length: 500 }, (_, i) => sku(i)))).size).toBe(300);
    // A report arrives meanwhile for a SKU already pushed and one not yet pushed.
    await report(store, [level(sku(0), 8), level(sku(450), 9)]);
    await server.stop();
    server = await wooServer({ ...server.state }).start();
    const c2 = openConnector({ type: 'woocommerce', url: 'https://shop.example', baseUrl: `${server.url}/wp-json/wc/v3`, consumerKey: KEY, consumerSecret: SECRET, push: { stock: { enabled: true } } }, { logger: silentLogger(), http: fastHttp });
    const again = await runStockPush(entry, c2, { store, logger: silentLogger() });
    expect(again.pushed).toBe(201); // the 200 never confirmed + SKU-0000's new quantity
    expect(server.state.products.find((p) => p.sku === sku(0))!.stock_quantity).toBe(8);
    expect(server.state.products.find((p) => p.sku === sku(450))!.stock_quantity).toBe(9);
    expect(server.state.products.filter((p) => p.stock_quantity === null)).toHaveLength(N - 500);
  });

  it('push.stock.concurrency: several batches in flight; the baseline holds exactly what the shop confirmed, and a resume sends the rest', async () => {
    const open = (concurrency: number) => openConnector({
      type: 'woocommerce', url: 'https://shop.example', baseUrl: `${server.url}/wp-json/wc/v3`, consumerKey: KEY, consumerSecret: SECRET,
      push: { stock: { enabled: true, concurrency } },
    }, { logger: silentLogger(), http: fastHttp });
    expect(open(3).push.settings.stock.concurrency).toBe(3);
    expect(connector.push.settings.stock.concurrency).toBe(1); // the default: one after the other
    await report(store, Array.from({ length: 700 }, (_, i) => level(sku(i), 4)));
    // The first three batches are held back a moment: all three must be at the shop before the first answer.
    server.slowNext(3, 300);
    let seenAtFirstAnswer = 0;
    server.changeAfter(1, (r) => r.path.endsWith('/products/batch'), () => {
      seenAtFirstAnswer = server.hits('/products/batch').length;
    });
    // From the 5th batch request on the shop is down.
    server.changeAfter(4, (r) => r.path.endsWith('/products/batch'), () => server.failNext(1000, { status: 503, pathIncludes: '/products/batch' }));
    await expect(runStockPush(entry, open(3), { store, logger: silentLogger() })).rejects.toThrow(/503|Service unavailable/);
    expect(seenAtFirstAnswer).toBe(3);
    const confirmed = batchBodies(server).flat();
    expect(confirmed).toHaveLength(400);
    const baseline = await store.pushedStock('acme/woo', Array.from({ length: 700 }, (_, i) => sku(i)));
    expect([...baseline.keys()].sort()).toEqual(confirmed.map((u) => sku(u.id - 5000)).sort());

    await server.stop();
    server = await wooServer({ ...server.state }).start();
    const again = await runStockPush(entry, open(3), { store, logger: silentLogger() });
    expect(again).toMatchObject({ pushed: 300, changed: 300, refused: [] });
    expect(batchBodies(server).every((b) => b.length <= 100)).toBe(true);
    expect(server.state.products.filter((p) => p.stock_quantity === 4)).toHaveLength(700);
  });

  it('concurrency 1 (the default): one batch request at the shop at a time, also while the next batches are prepared ahead', async () => {
    await report(store, Array.from({ length: 300 }, (_, i) => level(sku(i), 5)));
    server.slowNext(3, 100); // each answer takes long enough for a second request to arrive, if one were sent
    const seenAtAnswer: number[] = [];
    for (const n of [1, 2, 3]) server.changeAfter(n, (r) => r.path.endsWith('/products/batch'), () => seenAtAnswer.push(server.hits('/products/batch').length));
    expect(await runStockPush(entry, connector, { store, logger: silentLogger() })).toMatchObject({ pushed: 300, batches: 3 });
    expect(seenAtAnswer).toEqual([1, 2, 3]);
    expect((await store.pushedStock('acme/woo', Array.from({ length: 300 }, (_, i) => sku(i)))).size).toBe(300);
  });

  it('reports a SKU the shop does not know once, as a state, and matches by EAN only when told to', async () => {
    const ean = '8712345678906';
    server.state.products[7]!.global_unique_id = ean;
    await store.upsertPushTargets('acme/woo', server.state.products.flatMap((p) => connector.push.productTargets(p)));
    await report(store, [level('WMS-ONLY', 5), level(sku(2), 1), { ...level('OTHER-CODE', 6), body: { merchant: 'acme', sku: 'OTHER-CODE', quantity: 6, ean } }]);
    const r1 = await runStockPush(entry, connector, { store, logger: silentLogger() });
    expect(r1.unknown.sort()).toEqual(['OTHER-CODE', 'WMS-ONLY']);
    const notices = (await store.summary()).notices.filter((n) => n.kind === 'push-unknown-sku');
    expect(notices.map((n) => n.file).sort()).toEqual(['OTHER-CODE', 'WMS-ONLY']);
    const at = notices.map((n) => n.at);
    await runStockPush(entry, connector, { store, logger: silentLogger() });
    expect((await store.summary()).notices.filter((n) => n.kind === 'push-unknown-sku').map((n) => n.at)).toEqual(at); // not re-reported

    const byEan = openConnector({ type: 'woocommerce', url: 'https://shop.example', baseUrl: `${server.url}/wp-json/wc/v3`, consumerKey: KEY, consumerSecret: SECRET, push: { stock: { enabled: true, matchBy: 'sku-then-ean' } } }, { logger: silentLogger(), http: fastHttp });
    const r3 = await runStockPush(entry, byEan, { store, logger: silentLogger() });
    expect(r3.unknown).toEqual(['WMS-ONLY']);
    expect(server.state.products[7]!.stock_quantity).toBe(6);
    expect((await store.summary()).notices.filter((n) => n.kind === 'push-unknown-sku').map((n) => n.file)).toEqual(['WMS-ONLY']);
  });

  it('two processes push one channel\'s stock at once: one pushes, the other skips with a clear message; a lease that ran out is taken over', async () => {
    const other = await h.open(); // a second process's connection to the same ledger
    try {
      await report(store, Array.from({ length: 300 }, (_, i) => level(sku(i), 7)));
      server.slowNext(3, 100); // the first batches take a while: the two runs overlap
      const [a, b] = await Promise.all([
        runStockPush(entry, connector, { store, logger: silentLogger() }),
        runStockPush(entry, connector, { store: other, logger: silentLogger() }),
      ]);
      const done = [a, b].filter((r) => !r.skipped);
      const skipped = [a, b].filter((r) => r.skipped);
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ changed: 300, pushed: 300 });
      expect(skipped).toHaveLength(1);
      expect(skipped[0]!.skipped).toMatch(/push:acme\/woo:stock is running in another process .*; this run is skipped/);
      expect(batchBodies(server).flat()).toHaveLength(300); // each SKU sent once

      // A process that died holding the lease: skipped until the lease runs out, then taken over.
      await report(store, [level(sku(1), 8)]);
      const now = Date.now();
      expect(await other.takeLease('push:acme/woo:stock', 'dead-host:1:x', new Date(now + 60_000).toISOString(), new Date(now).toISOString())).toEqual({ ok: true });
      expect((await runStockPush(entry, connector, { store, logger: silentLogger() })).skipped).toMatch(/another process \(pid 1 on dead-host\), lease until /);
      expect(await other.takeLease('push:acme/woo:stock', 'dead-host:1:x', new Date(now - 1).toISOString(), new Date(now).toISOString())).toEqual({ ok: true });
      expect(await runStockPush(entry, connector, { store, logger: silentLogger() })).toMatchObject({ pushed: 1 });
      expect(server.state.products.find((p) => p.sku === sku(1))!.stock_quantity).toBe(8);

      // A holder of this host whose process is gone (kill -9) is taken over at once, its lease still running.
      await report(store, [level(sku(1), 9)]);
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      expect(await other.takeLease('push:acme/woo:stock', `${os.hostname()}:${gone}:x`, new Date(Date.now() + 60_000).toISOString(), new Date().toISOString())).toEqual({ ok: true });
      expect(await runStockPush(entry, connector, { store, logger: silentLogger() })).toMatchObject({ pushed: 1 });
    } finally {
      await other.close();
    }
  });

  it('a lease is written again only every RENEW_AFTER_MS, keeps more than LEASE_MS - RENEW_AFTER_MS, and a takeover after it ran out stops the holder', async () => {
    let clock = Date.parse('2026-11-30T10:00:00Z');
    const taken = await takePushLease(store, 'push:acme/woo:stock', () => clock);
    if (!('lease' in taken)) throw new Error(taken.busy);
    // What another holder sees: the lease's expiry (its own take is refused while the lease runs).
    const expiry = async () => {
      const r = await store.takeLease('push:acme/woo:stock', 'other-host:1:y', new Date(clock + LEASE_MS).toISOString(), new Date(clock).toISOString());
      if (r.ok) throw new Error('the lease was free');
      return Date.parse(r.expiresAt);
    };
    const first = Date.parse('2026-11-30T10:00:00Z') + LEASE_MS;
    expect(await expiry()).toBe(first);
    clock += RENEW_AFTER_MS - 1;
    await taken.lease.renew(); // too soon: no write
    expect(await expiry()).toBe(first);
    expect(first - clock).toBeGreaterThan(LEASE_MS - RENEW_AFTER_MS);
    clock += 1;
    await taken.lease.renew();
    expect(await expiry()).toBe(clock + LEASE_MS);
    // No renew for longer than LEASE_MS (a batch hung): another process takes the lease over; the
    // next renew of the first holder says so instead of going on.
    clock += LEASE_MS + 1;
    expect(await store.takeLease('push:acme/woo:stock', 'other-host:1:y', new Date(clock + LEASE_MS).toISOString(), new Date(clock).toISOString())).toEqual({ ok: true });
    await expect(taken.lease.renew()).rejects.toMatchObject({ code: 'DELIVERY_CONFLICT', message: expect.stringMatching(/another process \(pid 1 on other-host\), lease until .* took it over/) });
  });

  describe('shipments', () => {
    const orderRec: StoredRecord = {
      kind: 'order', id: 'acme:woo:41', merchant: 'acme', channel: 'woo', recordNo: 1,
      body: { id: 'acme:woo:41', merchant: 'acme', channel: 'woo', externalId: '41', status: 'open', createdAt: '2026-11-20T10:00:00+01:00', shipTo: { name: 'A', street: 'S', postalCode: '1', city: 'C', country: 'NL' }, lines: [{ sku: 'MUG', quantity: 2 }, { sku: 'TEE', quantity: 1 }] },
    };
    const ship = (id: string, lines: { sku: string; quantity: number }[], tracking = `3S${id}`): StoredRecord => ({
      kind: 'shipment', id: `shipment:acme:${id}`, merchant: 'acme', channel: 'wms', recordNo: 1,
      body: { merchant: 'acme', orderId: 'acme:woo:41', shipmentId: id, shippedAt: '2026-11-21T10:00:00Z', carrier: 'PostNL', trackingNumber: tracking, lines },
    });
    const pushes = new Set(['acme/woo']);
    const opts = () => ({ store, logger: silentLogger(), maxBackoffMs: 40 });

    beforeEach(async () => {
      await importFile(store, [orderRec], fileInfo({ channel: 'woo' }));
    });

    it('routing owes a push only for channels that enabled it', async () => {
      await report(store, [ship('P0', [{ sku: 'MUG', quantity: 1 }])], new Set());
      expect(await store.pendingCount(shipmentPushDestination('acme/woo'))).toBe(0);
      await report(store, [ship('P1', [{ sku: 'MUG', quantity: 1 }])], pushes);
      expect(await store.pendingCount(shipmentPushDestination('acme/woo'))).toBe(1);
    });

    it('two parcels: the partial one notes its lines, the last one completes the order; each once', async () => {
      await report(store, [ship('P1', [{ sku: 'MUG', quantity: 2 }])], pushes);
      expect((await runShipmentPush(entry, connector, opts())).pushed).toBe(1);
      expect(server.state.orders[0]!.status).toBe('processing');
      await report(store, [ship('P2', [{ sku: 'TEE', quantity: 1 }])], pushes);
      expect((await runShipmentPush(entry, connector, opts())).pushed).toBe(1);
      expect((await runShipmentPush(entry, connector, opts())).pushed).toBe(0);
      expect(server.state.orders[0]!.status).toBe('completed');
      const notes = server.state.notes.get(41)!.map((n) => n.note);
      expect(notes).toHaveLength(2);
      expect(notes[0]).toContain('2 × MUG');
      expect(notes[0]).not.toContain('TEE');
      expect(notes[1]).toContain('3SP2');
    });

    it('a lost answer is retried after reading the shop: one note, order completed', async () => {
      await report(store, [ship('P3', [{ sku: 'MUG', quantity: 2 }, { sku: 'TEE', quantity: 1 }])], pushes);
      server.dropAnswerNext(1, { pathIncludes: '/notes', method: 'POST' });
      const first = await runShipmentPush(entry, connector, opts());
      expect(first.retry).toBe(1);
      const deadline = Date.now() + 10_000;
      let pushed = 0;
      while (pushed === 0 && Date.now() < deadline) pushed = (await runShipmentPush(entry, connector, opts())).pushed;
      expect(pushed).toBe(1);
      expect(server.state.notes.get(41)).toHaveLength(1);
      expect(server.state.orders[0]!.status).toBe('completed');
      expect(await store.pendingCount(shipmentPushDestination('acme/woo'))).toBe(0);
    });

    it('pushed lines carry the shop\'s line ids: a SKU over several lines net of earlier parcels, a line-less parcel as the remaining lines, a bundle line once complete', async () => {
      const bundle = { lineId: '10', sku: 'SET', quantity: 1 };
      await importFile(store, [{
        ...orderRec, id: 'acme:woo:42',
        body: { ...orderRec.body, id: 'acme:woo:42', externalId: '42', lines: [
          { lineId: '7', sku: 'MUG', quantity: 1 }, { lineId: '8', sku: 'MUG', quantity: 2 },
          { lineId: '10-1', sku: 'A', quantity: 2, bundle }, { lineId: '10-2', sku: 'B', quantity: 1, bundle },
        ] },
      }], fileInfo({ channel: 'woo' }));
      const on42 = (id: string, lines: { sku: string; quantity: number }[]) => ({ ...ship(id, lines), body: { ...ship(id, lines).body, orderId: 'acme:woo:42' } });
      // One read at the end: PostgreSQL's dueDeliveries claims the rows it returns.
      // B1: two MUGs over lines 7 (1) and 8 (2); of the bundle only component A: the bundle line waits.
      await report(store, [on42('B1', [{ sku: 'MUG', quantity: 2 }, { sku: 'A', quantity: 2 }])], pushes);
      // B2: only component B: completes the bundle unit, reported as the shop's bundle line.
      await report(store, [on42('B2', [{ sku: 'B', quantity: 1 }])], pushes);
      // B3 without lines ships the rest of the order: the one MUG left on line 8.
      await report(store, [on42('B3', [])], pushes);
      const queued = (await store.dueDeliveries(shipmentPushDestination('acme/woo'), 50)).map((r) => shipmentPushOf(r, false));
      expect(queued.map((p) => [p.shipmentId, p.lines, p.completesOrder])).toEqual([
        ['B1', [{ sku: 'MUG', quantity: 1, lineRef: '7' }, { sku: 'MUG', quantity: 1, lineRef: '8' }], false],
        ['B2', [{ sku: 'SET', quantity: 1, lineRef: '10' }], false],
        ['B3', [{ sku: 'MUG', quantity: 1, lineRef: '8' }], true],
      ]);
    });

    it('a parcel of only components of an incomplete bundle unit owes no push', async () => {
      const bundle = { lineId: '20', sku: 'SET', quantity: 2 };
      await importFile(store, [{
        ...orderRec, id: 'acme:woo:43',
        body: { ...orderRec.body, id: 'acme:woo:43', externalId: '43', lines: [{ lineId: '20-1', sku: 'A', quantity: 4, bundle }, { lineId: '20-2', sku: 'B', quantity: 2, bundle }] },
      }], fileInfo({ channel: 'woo' }));
      const on43 = (id: string, lines: { sku: string; quantity: number }[]) => ({ ...ship(id, lines), body: { ...ship(id, lines).body, orderId: 'acme:woo:43' } });
      await report(store, [on43('C1', [{ sku: 'A', quantity: 4 }])], pushes);
      expect(await store.pendingCount(shipmentPushDestination('acme/woo'))).toBe(0);
      await report(store, [on43('C2', [{ sku: 'B', quantity: 1 }])], pushes);
      const rows = await store.dueDeliveries(shipmentPushDestination('acme/woo'), 50);
      expect(rows.map((r) => shipmentPushOf(r, false).lines)).toEqual([[{ sku: 'SET', quantity: 1, lineRef: '20' }]]);
    });

    it('a row queued before lineRef existed (no lines in the body) still pushes the shipment\'s own lines', () => {
      const row = { id: 1, recordId: 'shipment:acme:OLD', attempts: 0, body: { shipment: ship('OLD', [{ sku: 'MUG', quantity: 2 }]).body, orderRef: '41', completesOrder: false } };
      expect(shipmentPushOf(row as unknown as Parameters<typeof shipmentPushOf>[0], false).lines).toEqual([{ sku: 'MUG', quantity: 2 }]);
    });

    it('a shipment push of the channel running in another process: this run skips, no row is sent twice', async () => {
      await report(store, [ship('P5', [{ sku: 'MUG', quantity: 1 }])], pushes);
      const taken = await takePushLease(store, 'push:acme/woo:shipments');
      if (!('lease' in taken)) throw new Error(taken.busy);
      const r = await runShipmentPush(entry, connector, opts());
      expect(r.skipped).toMatch(/push:acme\/woo:shipments is running in another process/);
      expect(server.state.notes.get(41) ?? []).toHaveLength(0);
      await taken.lease.release();
      expect((await runShipmentPush(entry, connector, opts())).pushed).toBe(1);
      expect(server.state.notes.get(41)).toHaveLength(1);
    });

    it('a cancelled order fails the row with the shop\'s reason; wharf retry puts it back', async () => {
      await report(store, [ship('P4', [{ sku: 'MUG', quantity: 1 }])], pushes);
      server.state.orders[0]!.status = 'cancelled';
      expect((await runShipmentPush(entry, connector, opts())).failed).toBe(1);
      const failed = (await store.summary()).failedDeliveries;
      expect(failed).toHaveLength(1);
      expect(failed[0]!.lastError).toMatch(/order 41 is "cancelled" in the shop/);
      expect((await runShipmentPush(entry, connector, opts())).failed).toBe(0); // not retried by itself
      server.state.orders[0]!.status = 'processing';
      expect(await store.requeueFailedDeliveries([failed[0]!.id])).toBe(1);
      expect((await runShipmentPush(entry, connector, opts())).pushed).toBe(1);
      expect(server.state.notes.get(41)).toHaveLength(1);
    });
  });
});
