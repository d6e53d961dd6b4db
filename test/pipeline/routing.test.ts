/**
 * Routing decisions (src/pipeline/routing.ts) against both ledgers: what an order, a product or a
 * report record means given what the ledger holds, and which deliveries it owes. The stores' own
 * primitives are covered by test/ledger/store.test.ts; the several-instances races stay there too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/ledger/store.js';
import { WAREHOUSE_ORDERS, decideOrder, decideProduct } from '../../src/pipeline/routing.js';
import { backends, fileInfo, importFile, order, stock, type Harness } from '../helpers/ledgers.js';

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

  it('non-order records are stored once and never owe a delivery', async () => {
    expect((await importFile(store, [stock('A', 5)])).outcomes).toEqual(['stored']);
    expect((await importFile(store, [stock('A', 5), stock('A', 6)])).outcomes).toEqual(['duplicate', 'duplicate']);
    const s = await store.summary();
    expect(s.outbox.pending).toBe(0);
    expect(s.recentDuplicates.map((d) => d.changed)).toEqual([true, false]);
  });

});
