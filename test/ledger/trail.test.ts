/**
 * The console's ledger queries (Store.findFiles, fileTrail, recordTrail; src/ledger/trail.ts) give the
 * same answers on SQLite and PostgreSQL: what a file brought (new, changed, repeated records) and
 * queued, and an order with its shipments and every delivery and push of either.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ledger/store.js';
import { WAREHOUSE_ORDERS } from '../../src/pipeline/routing.js';
import { backends, ledgerPerTest, fileInfo, importFile, order } from '../helpers/ledgers.js';

describe.each(backends)('console trail queries: $name', (backend) => {
  const ledger = ledgerPerTest(backend);

  it('a file\'s records, duplicates and deliveries; an order with its shipment and every delivery and push', async () => {
    const a = await importFile(ledger.store, [order('1'), { ...order('2'), recordNo: 2 }], fileInfo({ traceId: 'aaaaaaaaaaaa' }));
    const b = await importFile(ledger.store, [order('1'), { ...order('2', 'cancelled'), recordNo: 2 }], fileInfo({ traceId: 'bbbbbbbbbbbb' }));
    expect(a.outcomes).toEqual(['new', 'new']);
    expect(b.outcomes).toEqual(['duplicate', 'cancellation']);

    expect((await ledger.store.findFiles({ id: a.fileId })).map((f) => f.traceId)).toEqual(['aaaaaaaaaaaa']);
    expect((await ledger.store.findFiles({ traceId: 'bbbbbbbbbbbb' })).map((f) => f.id)).toEqual([b.fileId]);
    expect(await ledger.store.findFiles({ traceId: 'cccccccccccc' })).toEqual([]);

    // File a: order 1 is still its version; order 2 was cancelled by file b (it shows there).
    const ta = await ledger.store.fileTrail(a.fileId, 100);
    expect(ta.records.map((r) => [r.id, r.version, r.externalId, r.recordNo])).toEqual([['acme:shop:1', 1, '1', 1]]);
    expect(ta.records[0]!.body).toMatchObject({ externalId: '1' });
    expect(ta.duplicates).toEqual([]);
    expect(ta.deliveries.map((d) => [d.recordId, d.destination, d.action, d.status, d.fileId])).toEqual([
      ['acme:shop:1', WAREHOUSE_ORDERS, 'order', 'pending', a.fileId],
      ['acme:shop:2', WAREHOUSE_ORDERS, 'order', 'pending', a.fileId],
    ]);
    expect(ta.deliveries[0]!.nextAttemptAt).not.toBeNull();

    const tb = await ledger.store.fileTrail(b.fileId, 100);
    expect(tb.records.map((r) => [r.id, r.version])).toEqual([['acme:shop:2', 2]]);
    // Order 1 came again unchanged (a duplicate note); order 2 came cancelled (its new version is file b's).
    expect(tb.duplicates.map((d) => [d.recordId, d.kind, d.externalId, d.changed])).toEqual([['acme:shop:1', 'order', '1', false]]);
    expect(tb.records[0]!.status).toBe('cancelled');
    expect(tb.deliveries.map((d) => [d.recordId, d.action])).toEqual(tb.deliveries.map(() => ['acme:shop:2', 'cancel']));

    // The limit: one record listed, the count of the rest.
    const two = await importFile(ledger.store, [order('3'), { ...order('4'), recordNo: 2 }]);
    const limited = await ledger.store.fileTrail(two.fileId, 1);
    expect(limited.records.map((r) => r.id)).toEqual(['acme:shop:3']);
    expect(limited.recordsMore).toBe(1);

    // A shipment of order 1 with its push, then the order's delivery done.
    const tx = await ledger.store.beginIntake(fileInfo({ channel: 'wms' }));
    await tx.insertRecord({ id: 'shipment:acme:acme:shop:1:S1', kind: 'shipment', merchant: 'acme', channel: 'wms', status: null, hash: 'h', body: JSON.stringify({ merchant: 'acme', orderId: 'acme:shop:1', shipmentId: 'S1' }), recordNo: 1, parentId: 'acme:shop:1' });
    await tx.enqueue({ destination: 'push:acme/woo:shipments', recordId: 'shipment:acme:acme:shop:1:S1', merchant: 'acme', action: 'shipment', body: '{"x":1}' });
    await tx.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    await ledger.store.markDelivered([ta.deliveries[0]!.id], 'acme-shop-1.json');

    const t = await ledger.store.recordTrail('acme:shop:1');
    expect(t?.record).toMatchObject({ id: 'acme:shop:1', kind: 'order', merchant: 'acme', channel: 'shop', version: 1, fileId: a.fileId, parentId: null });
    expect(t?.children.map((c) => [c.id, c.kind, c.externalId, c.parentId])).toEqual([['shipment:acme:acme:shop:1:S1', 'shipment', 'S1', 'acme:shop:1']]);
    expect(t?.deliveries.map((d) => [d.destination, d.status, d.fileName])).toEqual([
      [WAREHOUSE_ORDERS, 'delivered', 'acme-shop-1.json'],
      ['push:acme/woo:shipments', 'pending', null],
    ]);
    expect(t?.deliveries[0]!.deliveredAt).not.toBeNull();
    expect(t?.deliveries[0]!.nextAttemptAt).toBeNull();
    expect(await ledger.store.recordTrail('acme:shop:nope')).toBeUndefined();
  });
});
