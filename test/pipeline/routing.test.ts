/**
 * Routing decisions (src/pipeline/routing.ts) against both ledgers: what an order, a product or a
 * report record means given what the ledger holds, and which deliveries it owes. The stores' own
 * primitives are covered by test/ledger/store.test.ts; the several-instances races stay there too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store, StoredRecord } from '../../src/ledger/store.js';
import { DEFAULT_ROUTING, FileRouter, STOCK_BATCH, WAREHOUSE_ORDERS, decideOrder, decideProduct, shipmentExportDestination, type RouteResult, type RoutingPolicy, type SettledStock } from '../../src/pipeline/routing.js';
import { describeImport } from '../../src/pipeline/report.js';
import { backends, fileInfo, importFile, order, type Harness } from '../helpers/ledgers.js';
import { createPgSchema } from '../helpers/pg.js';
import { PostgresStore } from '../../src/ledger/postgres.js';

/** A stock level of merchant acme as a warehouse report brings it. */
function level(sku: string, quantity: number, extra: { warehouse?: string; asOf?: string; recordNo?: number } = {}): StoredRecord {
  const { recordNo = 1, ...fields } = extra;
  return { kind: 'stock', id: `stock:acme:${sku}`, merchant: 'acme', channel: 'main', recordNo, body: { merchant: 'acme', sku, quantity, ...fields } };
}

/** A shipment of merchant acme for one of its orders (canonical id acme:shop:<externalId>). */
function shipment(shipmentId: string, externalId: string, lines: { sku: string; quantity: number }[] = [], recordNo = 1): StoredRecord {
  const body = { merchant: 'acme', orderId: `acme:shop:${externalId}`, shipmentId, shippedAt: '2026-11-27T10:00:00Z', lines };
  return { kind: 'shipment', id: `shipment:acme:acme:shop:${externalId}:${shipmentId}`, merchant: 'acme', channel: 'main', recordNo, body };
}

const policy = (over: { shipmentExports?: string[]; stock?: Partial<RoutingPolicy['stock']> } = {}): RoutingPolicy => ({
  shipmentExports: new Set(over.shipmentExports ?? []),
  stock: { ...DEFAULT_ROUTING.stock, ...over.stock },
});

/** One report file through a FileRouter, committed (as intake does: `finish` before the commit). */
async function report(store: Store, p: RoutingPolicy, records: StoredRecord[], receivedAt = '2026-11-27T12:00:00Z') {
  const tx = await store.beginIntake(fileInfo({ merchant: '@warehouse', channel: 'main' }));
  const router = new FileRouter(tx, p, receivedAt);
  const outcomes: RouteResult[] = [];
  try {
    for (const r of records) outcomes.push(await router.route(r));
    const invalid = outcomes.filter((o) => typeof o === 'object').length;
    await router.finish(invalid);
    await tx.commit({ status: invalid ? 'partial' : 'imported', records: records.length - invalid, duplicates: 0, invalid });
  } catch (err) {
    await tx.rollback();
    throw err;
  }
  return { outcomes, tally: router.tally, fileId: tx.fileId };
}

/**
 * One stock report through a FileRouter as intake takes it: levels queued (queueStock), decided and
 * written STOCK_BATCH at a time, the rest at the end (flushStock); committed. Outcomes by record number.
 */
async function queuedReport(store: Store, p: RoutingPolicy, records: StoredRecord[], receivedAt = '2026-11-27T12:00:00Z') {
  const tx = await store.beginIntake(fileInfo({ merchant: '@warehouse', channel: 'main' }));
  const router = new FileRouter(tx, p, receivedAt);
  const outcomes = new Map<number, RouteResult>();
  const order: number[] = [];
  try {
    const take = (settled: SettledStock<number>[]) => settled.forEach((s) => { outcomes.set(s.recordNo, s.result); order.push(s.tag); });
    for (const r of records) if (router.queueStock(r, r.recordNo)) take(await router.flushStock<number>());
    take(await router.flushStock<number>());
    const invalid = [...outcomes.values()].filter((o) => typeof o === 'object').length;
    await router.finish(invalid);
    await tx.commit({ status: invalid ? 'partial' : 'imported', records: records.length - invalid, duplicates: 0, invalid });
  } catch (err) {
    await tx.rollback();
    throw err;
  }
  return { outcomes, order, tally: router.tally };
}

/** `n` levels of SKUs S00001… at AMS, record numbers 1…n. */
const many = (n: number, quantity: (i: number) => number, asOf: string) =>
  Array.from({ length: n }, (_, k) => level(`S${String(k + 1).padStart(5, '0')}`, quantity(k + 1), { warehouse: 'AMS', asOf, recordNo: k + 1 }));

const levels = async (store: Store) => (await store.stockPage('acme', undefined, 100)).map((l) => `${l.sku}@${l.location}=${l.quantity}`);
const messages = (o: RouteResult) => (typeof o === 'object' ? o.invalid.map((p) => `${p.path}: ${p.message}`) : []);

const FAR = () => new Date(Date.now() + 24 * 3600_000);
const outboxCounts = async (store: Store) => (await store.summary()).outbox;

describe('routing rules', () => {
  it('decideOrder: first sight open is new, cancelled is stored; open then cancelled is a cancellation; the rest duplicates', () => {
    expect(decideOrder(undefined, 'open')).toBe('new');
    expect(decideOrder(undefined, 'cancelled')).toBe('stored');
    expect(decideOrder({ status: 'open' }, 'cancelled')).toBe('cancellation');
    expect(decideOrder({ status: 'cancelled' }, 'cancelled')).toBe('duplicate');
    expect(decideOrder({ status: 'cancelled' }, 'open')).toBe('duplicate');
    expect(decideOrder({ status: 'open' }, 'open')).toBe('duplicate');
  });

  it('decideProduct: new is stored, changed is updated, same hash is a duplicate', () => {
    expect(decideProduct(undefined, 'a')).toBe('stored');
    expect(decideProduct({ hash: 'a' }, 'b')).toBe('updated');
    expect(decideProduct({ hash: 'a' }, 'a')).toBe('duplicate');
  });
});

describe.each(backends)('routing against the ledger: $name', (backend) => {
  let h: Harness;
  let store: Store;
  const opened: Store[] = [];
  const open = async () => {
    const s = await h.open();
    opened.push(s);
    return s;
  };

  beforeEach(async () => {
    h = await backend.create();
    store = await open();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    await h?.cleanup();
  });

  it('a new open order is stored and one delivery to the warehouse is owed', async () => {
    const o = order('1001');
    const { fileId, outcomes } = await importFile(store, [o]);
    expect(outcomes).toEqual(['new']);
    expect(await outboxCounts(store)).toEqual({ pending: 1, failed: 0, delivered: 0 });
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10);
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({ destination: WAREHOUSE_ORDERS, recordId: o.id, merchant: 'acme', action: 'order', attempts: 0, status: 'pending', lastError: null });
    expect(due[0]!.body).toEqual(o.body);
    expect(typeof due[0]!.id).toBe('number');
    const f = await store.getFile(fileId);
    expect(f).toMatchObject({ id: fileId, status: 'imported', records: 1, duplicates: 0, invalid: 0, merchant: 'acme', channel: 'shop', size: 1234, error: null, quarantinePath: null });
    expect(typeof f!.size).toBe('number');
  });

  it('the same order again is a duplicate: a duplicates row, no second delivery', async () => {
    await importFile(store, [order('1001')]);
    const second = fileInfo({ name: 'again.csv' });
    // Same content, different provenance (receivedAt): an identical re-send, not a change.
    const { outcomes } = await importFile(store, [order('1001', 'open', { source: { type: 'folder', name: 'again.csv', record: 7, receivedAt: '2030-01-01T00:00:00Z' } })], second);
    expect(outcomes).toEqual(['duplicate']);
    const { outcomes: changed } = await importFile(store, [order('1001', 'open', { note: 'leave at the door' })], fileInfo({ name: 'changed.csv' }));
    expect(changed).toEqual(['duplicate']);

    const s = await store.summary();
    expect(s.outbox).toEqual({ pending: 1, failed: 0, delivered: 0 });
    expect(s.recentDuplicates.map((d) => [d.recordId, d.fileName, d.changed])).toEqual([
      ['acme:shop:1001', 'changed.csv', true],
      ['acme:shop:1001', 'again.csv', false],
    ]);
    expect(s.channels.find((c) => c.channel === 'shop')?.duplicateRecords).toBe(2);
    expect(await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).toHaveLength(1);
  });

  it('the same order twice within one file: new, then duplicate', async () => {
    const { outcomes } = await importFile(store, [order('1'), order('1')]);
    expect(outcomes).toEqual(['new', 'duplicate']);
    expect((await outboxCounts(store)).pending).toBe(1);
  });

  it('an open order seen again cancelled owes a cancellation; later copies are duplicates', async () => {
    await importFile(store, [order('2001')]);
    expect((await importFile(store, [order('2001', 'cancelled')])).outcomes).toEqual(['cancellation']);
    expect((await importFile(store, [order('2001', 'cancelled')])).outcomes).toEqual(['duplicate']);
    expect((await importFile(store, [order('2001', 'open')])).outcomes).toEqual(['duplicate']);
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    expect(due.map((r) => r.action)).toEqual(['order', 'cancel']);
    expect(due[1]!.body.status).toBe('cancelled');
    expect(due[0]!.id).toBeLessThan(due[1]!.id);
    expect((await outboxCounts(store)).pending).toBe(2);
  });

  it('an order first seen cancelled is stored and nothing is owed, not even when it comes back open', async () => {
    expect((await importFile(store, [order('3001', 'cancelled')])).outcomes).toEqual(['stored']);
    expect((await importFile(store, [order('3001', 'open')])).outcomes).toEqual(['duplicate']);
    expect(await outboxCounts(store)).toEqual({ pending: 0, failed: 0, delivered: 0 });
    expect(await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).toEqual([]);
  });

  // ---- stock ------------------------------------------------------------------------------------

  it('stock: a level per SKU and location; same quantity is unchanged; a report older than the ledger is kept out', async () => {
    const first = await report(store, policy(), [level('A', 5, { asOf: '2026-11-27T08:00:00+02:00' }), level('A', 7, { warehouse: 'AMS', asOf: '2026-11-27T06:00:00Z', recordNo: 2 })]);
    expect(first.outcomes).toEqual(['stock-updated', 'stock-updated']);
    expect(await levels(store)).toEqual(['A@=5', 'A@AMS=7']);
    // Counted at 07:00Z: newer than 06:00Z (+02:00 means 06:00Z), so it updates; same quantity at AMS is unchanged.
    const second = await report(store, policy(), [level('A', 4, { asOf: '2026-11-27T07:00:00Z' }), level('A', 7, { warehouse: 'AMS', asOf: '2026-11-27T07:00:00Z', recordNo: 2 })]);
    expect(second.outcomes).toEqual(['stock-updated', 'stock-unchanged']);
    // A report counted earlier that arrives late (out-of-order SFTP pickup) does not overwrite.
    const late = await report(store, policy(), [level('A', 99, { asOf: '2026-11-27T06:30:00Z' })]);
    expect(late.outcomes).toEqual(['stock-older']);
    expect(await levels(store)).toEqual(['A@=4', 'A@AMS=7']);
    const [a] = await store.stockPage('acme', undefined, 1);
    expect(a).toEqual({ merchant: 'acme', sku: 'A', location: '', quantity: 4, ean: null, asOf: '2026-11-27T07:00:00.000Z' });
    expect(describeImport('stock', { fresh: 0, cancellations: 0, duplicates: 0, stored: 2, tally: second.tally })).toBe('1 stock level updated, 1 unchanged');
    expect(describeImport('stock', { fresh: 0, cancellations: 0, duplicates: 0, stored: 1, tally: late.tally })).toBe('0 stock levels updated, 0 unchanged, 1 older than the ledger (kept)');
  });

  it('stock without asOf is as of the file\'s arrival; nothing is owed to any outbox', async () => {
    await report(store, policy(), [level('B', 1)], '2026-11-27T12:00:00Z');
    expect((await store.stockPage('acme', undefined, 10))[0]?.asOf).toBe('2026-11-27T12:00:00.000Z');
    expect((await report(store, policy(), [level('B', 2, { asOf: '2026-11-27T11:00:00Z' })])).outcomes).toEqual(['stock-older']);
    expect((await store.summary()).outbox).toEqual({ pending: 0, failed: 0, delivered: 0 });
  });

  it('stock: the same SKU and location twice in one report is a record error naming both record numbers', async () => {
    const r = await report(store, policy(), [level('A', 1, { recordNo: 3 }), level('B', 1, { recordNo: 4 }), level('A', 2, { recordNo: 7 }), level('A', 2, { warehouse: 'X', recordNo: 8 })]);
    expect(r.outcomes.map((o) => (typeof o === 'object' ? 'invalid' : o))).toEqual(['stock-updated', 'stock-updated', 'invalid', 'stock-updated']);
    expect(messages(r.outcomes[2]!)).toEqual(['sku: SKU "A" without a location is listed twice in this report (records 3 and 7); keep one line per SKU and location']);
    expect(await levels(store)).toEqual(['A@=1', 'A@X=2', 'B@=1']);
  });

  it('stock: a full report sets the SKUs it does not list to 0 at the locations it covers (absent: zero); delta and keep do not', async () => {
    const t = (h: number) => `2026-11-27T${String(h).padStart(2, '0')}:00:00Z`;
    await report(store, policy(), [level('A', 5, { warehouse: 'AMS', asOf: t(6) }), level('B', 3, { warehouse: 'AMS', asOf: t(6) }), level('C', 2, { warehouse: 'RTM', asOf: t(6) }), level('D', 4, { warehouse: 'AMS', asOf: t(9) })]);
    // Delta: B absent, stays.
    await report(store, policy(), [level('A', 6, { warehouse: 'AMS', asOf: t(7) })]);
    expect(await levels(store)).toEqual(['A@AMS=6', 'B@AMS=3', 'C@RTM=2', 'D@AMS=4']);
    // Full with keep: B still stays.
    await report(store, policy({ stock: { mode: 'full', absent: 'keep' } }), [level('A', 6, { warehouse: 'AMS', asOf: t(8) })]);
    expect(await levels(store)).toEqual(['A@AMS=6', 'B@AMS=3', 'C@RTM=2', 'D@AMS=4']);
    // Full with zero, counted at 08:00: B (06:00) becomes 0; C at RTM is another location; D was counted later (09:00) and stays.
    const full = await report(store, policy({ stock: { mode: 'full', absent: 'zero' } }), [level('A', 6, { warehouse: 'AMS', asOf: t(8) })]);
    expect(full.outcomes).toEqual(['stock-unchanged']);
    expect(await levels(store)).toEqual(['A@AMS=6', 'B@AMS=0', 'C@RTM=2', 'D@AMS=4']);
    expect(full.tally['stock-zeroed']).toBe(1);
    expect(describeImport('stock', { fresh: 0, cancellations: 0, duplicates: 0, stored: 1, tally: full.tally })).toBe('0 stock levels updated, 1 unchanged, 1 level not in this full report set to 0');
  });

  it('stock: a full report with invalid records zeroes nothing (their SKUs are not absent)', async () => {
    await report(store, policy(), [level('A', 5), level('B', 3, { recordNo: 2 })]);
    const r = await report(store, policy({ stock: { mode: 'full' } }), [level('A', 1, { recordNo: 1 }), level('A', 2, { recordNo: 2 })]);
    expect(r.tally['stock-zeroed']).toBeUndefined();
    expect(await levels(store)).toEqual(['A@=1', 'B@=3']);
  });

  it('stock: unknownSku report refuses a SKU the merchant\'s catalogue lacks', async () => {
    const product: StoredRecord = { kind: 'product', id: 'product:acme:shop:A', merchant: 'acme', channel: 'shop', recordNo: 1, body: { merchant: 'acme', channel: 'shop', sku: 'A' } };
    await importFile(store, [product]);
    const r = await report(store, policy({ stock: { unknownSku: 'report' } }), [level('A', 1), level('Z', 1, { recordNo: 2 })]);
    expect(r.outcomes[0]).toBe('stock-updated');
    expect(messages(r.outcomes[1]!)).toEqual([expect.stringMatching(/^sku: SKU "Z" is not in the catalogue of merchant acme; add the product first/)]);
  });

  it('stock in batches: outcomes per record in record order; a SKU listed twice within a batch and across batches is an error; older, unchanged, updated and absent zero as one at a time', async () => {
    const n = 2 * STOCK_BATCH + 500;
    const first = await queuedReport(store, policy(), many(n, (i) => i % 7, '2026-11-27T06:00:00Z'));
    expect(first.order).toEqual(Array.from({ length: n }, (_, k) => k + 1));
    expect(first.tally).toEqual({ 'stock-updated': n });
    // The second report: record 5 again at record 9 (same batch), record 10 again at n (a later batch),
    // S00020 counted earlier than the ledger (kept), S00001 with a new quantity, the rest unchanged;
    // it leaves out S00030 (full, absent zero: set to 0).
    const recs = many(n, (i) => i % 7, '2026-11-27T07:00:00Z').filter((r) => r.recordNo !== 30);
    recs[0] = level('S00001', 99, { warehouse: 'AMS', asOf: '2026-11-27T07:00:00Z', recordNo: 1 });
    recs[8] = level('S00005', 1, { warehouse: 'AMS', asOf: '2026-11-27T07:00:00Z', recordNo: 9 });
    recs[19] = level('S00020', 50, { warehouse: 'AMS', asOf: '2026-11-27T05:00:00Z', recordNo: 20 });
    recs[recs.length - 1] = level('S00010', 2, { warehouse: 'AMS', asOf: '2026-11-27T07:00:00Z', recordNo: n });
    const second = await queuedReport(store, policy({ stock: { mode: 'full', absent: 'zero' } }), recs);
    expect(messages(second.outcomes.get(9)!)).toEqual(['sku: SKU "S00005" at location "AMS" is listed twice in this report (records 5 and 9); keep one line per SKU and location']);
    expect(messages(second.outcomes.get(n)!)).toEqual([`sku: SKU "S00010" at location "AMS" is listed twice in this report (records 10 and ${n}); keep one line per SKU and location`]);
    expect(second.outcomes.get(1)).toBe('stock-updated');
    expect(second.outcomes.get(20)).toBe('stock-older');
    expect(second.outcomes.get(2)).toBe('stock-unchanged');
    expect(second.tally).toEqual({ 'stock-updated': 1, 'stock-older': 1, 'stock-unchanged': n - 1 - 4 });
    // Invalid records: nothing is zeroed (S00030 stays); the valid levels are written.
    const all = await store.stockPage('acme', undefined, n);
    expect(all).toHaveLength(n);
    const q = (sku: string) => all.find((l) => l.sku === sku);
    expect([q('S00001')?.quantity, q('S00005')?.quantity, q('S00020')?.quantity, q('S00030')?.quantity]).toEqual([99, 5, 20 % 7, 30 % 7]);
    expect(q('S00020')?.asOf).toBe('2026-11-27T06:00:00.000Z');
    // A clean full report without S00030 sets it to 0.
    const third = await queuedReport(store, policy({ stock: { mode: 'full', absent: 'zero' } }), many(n, (i) => i % 7, '2026-11-27T08:00:00Z').filter((r) => r.recordNo !== 30));
    expect(third.tally['stock-zeroed']).toBe(1);
    expect((await store.stockPage('acme', { sku: 'S00029', location: 'AMS' }, 1))[0]).toMatchObject({ sku: 'S00030', quantity: 0, asOf: '2026-11-27T08:00:00.000Z' });
  });

  it('stock in batches sorted by SKU (one range read per batch) or sparse in a large catalogue (read per key): the same outcomes', async () => {
    await queuedReport(store, policy(), many(2_000, (i) => i % 5, '2026-11-27T06:00:00Z'));
    // Dense and sorted, two locations per SKU for part of it, one held level older than the report.
    const dense = many(300, (i) => (i === 7 ? 42 : i % 5), '2026-11-27T07:00:00Z');
    dense.splice(11, 0, level('S00011', 3, { warehouse: 'ZZZ', asOf: '2026-11-27T07:00:00Z', recordNo: 10_000 }));
    const d = await queuedReport(store, policy(), dense);
    expect(d.tally).toEqual({ 'stock-updated': 2, 'stock-unchanged': 299 });
    expect(d.outcomes.get(7)).toBe('stock-updated');
    expect(d.outcomes.get(10_000)).toBe('stock-updated');
    // Sparse: every 20th SKU, the range of its batch holds 20 times as many levels.
    const sparse = many(2_000, (i) => (i === 400 ? 7 : i % 5), '2026-11-27T08:00:00Z').filter((r) => r.recordNo % 20 === 0);
    const sp = await queuedReport(store, policy(), sparse);
    expect(sp.tally).toEqual({ 'stock-updated': 1, 'stock-unchanged': 99 });
    // Non-ASCII SKUs (not in one order in JavaScript and in SQLite) are read per key.
    const odd = ['S\uffff', 'S\u{10000}'].flatMap((sku, i) => Array.from({ length: 10 }, (_, k) => level(`${sku}${k}`, 1, { warehouse: 'AMS', recordNo: 20_000 + 10 * i + k })));
    await queuedReport(store, policy(), odd);
    const again = await queuedReport(store, policy(), odd.map((r) => ({ ...r })));
    expect(again.tally).toEqual({ 'stock-unchanged': 20 });
  });

  it('stock: keyset pages in (sku, location) order, bytewise', async () => {
    await report(store, policy(), ['b', 'B', 'a', 'A'].flatMap((sku, i) => [level(sku, i, { warehouse: 'Y', recordNo: 2 * i }), level(sku, i, { warehouse: 'X', recordNo: 2 * i + 1 })]));
    const page1 = await store.stockPage('acme', undefined, 3);
    expect(page1.map((l) => `${l.sku}@${l.location}`)).toEqual(['A@X', 'A@Y', 'B@X']);
    const page2 = await store.stockPage('acme', page1[2], 3);
    expect(page2.map((l) => `${l.sku}@${l.location}`)).toEqual(['B@Y', 'a@X', 'a@Y']);
    expect((await store.stockPage('acme', page2[2], 3)).map((l) => `${l.sku}@${l.location}`)).toEqual(['b@X', 'b@Y']);
    expect(await store.stockPage('other', undefined, 3)).toEqual([]);
  });

  // ---- shipments --------------------------------------------------------------------------------

  it('shipments: kept per order, several parcels and partial shipments; a shipment export owes one row each', async () => {
    await importFile(store, [order('S1', 'open', { lines: [{ sku: 'A', quantity: 3 }, { sku: 'B', quantity: 1 }] })]);
    const r = await report(store, policy({ shipmentExports: ['acme'] }), [shipment('P1', 'S1', [{ sku: 'A', quantity: 1 }]), shipment('P2', 'S1', [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }], 2)]);
    expect(r.outcomes).toEqual(['shipment', 'shipment']);
    const due = await store.dueDeliveries(shipmentExportDestination('acme'), 10);
    expect(due.map((d) => [d.destination, d.recordId, d.action, d.merchant])).toEqual([
      ['export:acme:shipments', 'shipment:acme:acme:shop:S1:P1', 'shipment', 'acme'],
      ['export:acme:shipments', 'shipment:acme:acme:shop:S1:P2', 'shipment', 'acme'],
    ]);
    expect(due[0]!.body).toMatchObject({ shipmentId: 'P1', orderId: 'acme:shop:S1' });
    expect(describeImport('shipment', { fresh: 0, cancellations: 0, duplicates: 0, stored: 2, tally: r.tally })).toBe('2 shipments, 0 duplicate');
  });

  it('shipments: without exports.shipments nothing is owed; the same shipment again is a duplicate, never a second row', async () => {
    await importFile(store, [order('S2')]);
    expect((await report(store, policy(), [shipment('P1', 'S2')])).outcomes).toEqual(['shipment']);
    expect((await store.summary()).outbox.pending).toBe(1); // the order only
    const again = await report(store, policy({ shipmentExports: ['acme'] }), [shipment('P1', 'S2'), shipment('P3', 'S2', [], 2)]);
    expect(again.outcomes).toEqual(['duplicate', 'shipment']);
    expect((await store.dueDeliveries(shipmentExportDestination('acme'), 10)).map((d) => d.recordId)).toEqual(['shipment:acme:acme:shop:S2:P3']);
    expect((await store.summary()).recentDuplicates.map((d) => d.recordId)).toEqual(['shipment:acme:acme:shop:S2:P1']);
  });

  it('shipments: an order Wharf never received (or another merchant\'s) is a record error', async () => {
    await importFile(store, [{ ...order('S3'), merchant: 'beta', id: 'beta:shop:S3', body: { ...order('S3').body, id: 'beta:shop:S3', merchant: 'beta' } }]);
    const unknown = shipment('SHP-1', 'X');
    const foreign: StoredRecord = { ...shipment('SHP-2', 'S3'), id: 'shipment:acme:beta:shop:S3:SHP-2', body: { ...shipment('SHP-2', 'S3').body, orderId: 'beta:shop:S3' } };
    const r = await report(store, policy({ shipmentExports: ['acme'] }), [unknown, foreign]);
    expect(messages(r.outcomes[0]!)).toEqual(['orderId: shipment "SHP-1" refers to order "acme:shop:X" which Wharf never received for merchant acme; check the order id (orderId) in the warehouse report']);
    expect(messages(r.outcomes[1]!)).toEqual([expect.stringContaining('refers to order "beta:shop:S3" which Wharf never received for merchant acme')]);
    expect((await store.summary()).outbox.pending).toBe(1); // beta's order only
  });

  it('shipments: more of a SKU than the order holds over all its shipments is a record error', async () => {
    await importFile(store, [order('S4', 'open', { lines: [{ sku: 'A', quantity: 2 }, { sku: 'A', quantity: 1 }] })]);
    const r = await report(store, policy(), [shipment('P1', 'S4', [{ sku: 'A', quantity: 2 }]), shipment('P2', 'S4', [{ sku: 'A', quantity: 2 }, { sku: 'Q', quantity: 1 }], 2), shipment('P3', 'S4', [{ sku: 'A', quantity: 1 }], 3)]);
    expect(r.outcomes[0]).toBe('shipment');
    expect(messages(r.outcomes[1]!)).toEqual([
      'lines[0].quantity: shipment "P2" ships more of SKU "A" than order "acme:shop:S4" holds: ordered 3, shipped before 2, shipped now 2; check the shipment\'s lines',
      'lines[1].quantity: shipment "P2" ships more of SKU "Q" than order "acme:shop:S4" holds: ordered 0, shipped before 0, shipped now 1; check the shipment\'s lines',
    ]);
    expect(r.outcomes[2]).toBe('shipment'); // the refused P2 counts for nothing: 2 + 1 = 3
  });
});

describe('routing on PostgreSQL: several instances', () => {
  it('two instances writing the same batches of stock levels at once: every level once, each record decided once', async () => {
    const schema = await createPgSchema();
    const [a, b] = await Promise.all([PostgresStore.connect(schema.url), PostgresStore.connect(schema.url)]);
    try {
      const n = STOCK_BATCH + 300;
      const recs = many(n, (i) => i % 5, '2026-11-27T06:00:00Z');
      const [ra, rb] = await Promise.all([queuedReport(a, policy(), recs), queuedReport(b, policy(), recs)]);
      // One instance inserted each level, the other (having waited for its commit) found it unchanged.
      for (let r = 1; r <= n; r++) expect([ra.outcomes.get(r), rb.outcomes.get(r)].sort()).toEqual(['stock-unchanged', 'stock-updated']);
      expect(await schema.query('SELECT COUNT(*)::int AS n, SUM(quantity)::int AS q FROM stock')).toEqual([{ n, q: recs.reduce((t, r) => t + Number(r.body.quantity), 0) }]);
    } finally {
      await a.close();
      await b.close();
      await schema.drop();
    }
  });

  it('two instances reporting the same shipment and the same stock level at once: one shipment row, one level', async () => {
    const schema = await createPgSchema();
    const [a, b] = await Promise.all([PostgresStore.connect(schema.url), PostgresStore.connect(schema.url)]);
    try {
      await importFile(a, [order('C1', 'open', { lines: [{ sku: 'A', quantity: 1 }] })]);
      const p = policy({ shipmentExports: ['acme'] });
      const recs = [shipment('P1', 'C1', [{ sku: 'A', quantity: 1 }]), level('A', 3, { asOf: '2026-11-27T06:00:00Z', recordNo: 2 })];
      const [ra, rb] = await Promise.all([report(a, p, recs), report(b, p, recs)]);
      expect([ra.outcomes[0], rb.outcomes[0]].sort()).toEqual(['duplicate', 'shipment']);
      expect([ra.outcomes[1], rb.outcomes[1]].sort()).toEqual(['stock-unchanged', 'stock-updated']);
      expect(await schema.query('SELECT destination, action FROM outbox ORDER BY id')).toEqual([{ destination: 'warehouse.orders', action: 'order' }, { destination: 'export:acme:shipments', action: 'shipment' }]);
      expect(await schema.query('SELECT sku, quantity FROM stock')).toEqual([{ sku: 'A', quantity: 3 }]);
    } finally {
      await a.close();
      await b.close();
      await schema.drop();
    }
  });
});
