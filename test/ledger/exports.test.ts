/**
 * Export bookkeeping on both ledgers: a run's content is fixed when it is claimed (stock levels copied,
 * shipment outbox rows marked with the run), so a re-render after a crash gives the same bytes; `done`
 * moves the baseline for `changes` mode and delivers the rows in one transaction.
 */
import { describe, expect, it } from 'vitest';
import type { Store, StoredRecord } from '../../src/ledger/store.js';
import { DEFAULT_ROUTING, FileRouter, shipmentExportDestination } from '../../src/pipeline/routing.js';
import { backends, ledgerPerTest, fileInfo, importFile, order } from '../helpers/ledgers.js';

function level(sku: string, quantity: number, asOf: string): StoredRecord {
  return { kind: 'stock', id: `stock:acme:${sku}`, merchant: 'acme', channel: 'main', recordNo: 1, body: { merchant: 'acme', sku, quantity, asOf } };
}
function shipment(id: string): StoredRecord {
  return { kind: 'shipment', id: `shipment:acme:acme:shop:E1:${id}`, merchant: 'acme', channel: 'main', recordNo: 1, body: { merchant: 'acme', orderId: 'acme:shop:E1', shipmentId: id, shippedAt: '2026-11-27T10:00:00Z' } };
}

async function report(store: Store, records: StoredRecord[]): Promise<void> {
  const tx = await store.beginIntake(fileInfo({ merchant: '@warehouse', channel: 'main' }));
  const router = new FileRouter(tx, { ...DEFAULT_ROUTING, shipmentExports: new Set(['acme']) }, '2026-11-27T12:00:00Z');
  for (const r of records) expect(typeof (await router.route(r))).toBe('string');
  await tx.commit({ status: 'imported', records: records.length, duplicates: 0, invalid: 0 });
}

const T = (h: number) => `2026-11-27T${String(h).padStart(2, '0')}:00:00.000Z`;
const SHIPMENTS = shipmentExportDestination('acme');

describe.each(backends)('export runs: $name', (backend) => {
  const ledger = ledgerPerTest(backend);

  const items = async (runId: number) => (await ledger.store.exportItemsPage(runId, undefined, 100)).map((l) => `${l.sku}=${l.quantity}`);

  it('stock, changes mode: the first run holds every level, a claimed run keeps its content, the next holds only changed SKUs', async () => {
    await report(ledger.store, [level('A', 1, T(6)), level('B', 2, T(6)), level('C', 3, T(6))]);
    const first = await ledger.store.claimExportRun({ export: 'acme/stock', scheduledAt: T(7), fileName: 'stock-0700.csv' }, { kind: 'stock', merchant: 'acme', mode: 'changes' });
    expect(first).toMatchObject({ created: true, run: { export: 'acme/stock', scheduledAt: T(7), fileName: 'stock-0700.csv', status: 'claimed', items: 3, error: null, finishedAt: null } });
    // Stock changes while the run is being written (or after a crash): the run's content stays.
    await report(ledger.store, [level('B', 5, T(8))]);
    const again = await ledger.store.claimExportRun({ export: 'acme/stock', scheduledAt: T(7), fileName: 'stock-0700.csv' }, { kind: 'stock', merchant: 'acme', mode: 'changes' });
    expect(again).toEqual({ created: false, run: first.run });
    expect(await items(first.run.id)).toEqual(['A=1', 'B=2', 'C=3']);
    const page = await ledger.store.exportItemsPage(first.run.id, undefined, 2);
    expect((await ledger.store.exportItemsPage(first.run.id, page[1], 2)).map((l) => l.sku)).toEqual(['C']);
    expect(page[0]).toEqual({ merchant: 'acme', sku: 'A', location: '', quantity: 1, ean: null, asOf: T(6) });
    expect(await ledger.store.finishExportRun(first.run.id)).toBe(true);
    expect(await ledger.store.finishExportRun(first.run.id)).toBe(false);

    const second = await ledger.store.claimExportRun({ export: 'acme/stock', scheduledAt: T(9), fileName: 'stock-0900.csv' }, { kind: 'stock', merchant: 'acme', mode: 'changes' });
    expect(await items(second.run.id)).toEqual(['B=5']);
    await ledger.store.finishExportRun(second.run.id);
    const third = await ledger.store.claimExportRun({ export: 'acme/stock', scheduledAt: T(10), fileName: 'stock-1000.csv' }, { kind: 'stock', merchant: 'acme', mode: 'changes' });
    expect(third.run.items).toBe(0);
    const full = await ledger.store.claimExportRun({ export: 'acme/stock-full', scheduledAt: T(10), fileName: 'full.csv' }, { kind: 'stock', merchant: 'acme', mode: 'full' });
    expect(await items(full.run.id)).toEqual(['A=1', 'B=5', 'C=3']);
    expect((await ledger.store.lastExportRuns()).map((r) => [r.export, r.scheduledAt, r.status])).toEqual([['acme/stock', T(10), 'claimed'], ['acme/stock-full', T(10), 'claimed']]);
    expect((await ledger.store.lastExportRuns(['acme/stock'])).map((r) => r.fileName)).toEqual(['stock-1000.csv']);
  });

  it('a full run keeps no baseline: after a switch back to changes, a level the last full file changed is sent again', async () => {
    const claim = (at: number, mode: 'full' | 'changes') =>
      ledger.store.claimExportRun({ export: 'acme/stock', scheduledAt: T(at), fileName: `stock-${at}.csv` }, { kind: 'stock', merchant: 'acme', mode });
    await report(ledger.store, [level('A', 5, T(6)), level('B', 1, T(6))]);
    const first = await claim(7, 'changes');
    await ledger.store.finishExportRun(first.run.id); // the merchant's file says A=5, B=1
    await report(ledger.store, [level('A', 7, T(8))]);
    const full = await claim(9, 'full');
    expect(await items(full.run.id)).toEqual(['A=7', 'B=1']);
    await ledger.store.finishExportRun(full.run.id); // the merchant's file says A=7
    await report(ledger.store, [level('A', 5, T(10))]);
    // Compared with the changes run's A=5, A would look unchanged; the merchant last read 7.
    const after = await claim(11, 'changes');
    expect(await items(after.run.id)).toEqual(['A=5', 'B=1']);
    await ledger.store.finishExportRun(after.run.id);
    expect((await claim(12, 'changes')).run.items).toBe(0);
  });

  it('shipments: a run claims the pending rows, later ones wait for the next run; done delivers them; a failed run gives them back', async () => {
    await importFile(ledger.store, [order('E1')]);
    await report(ledger.store, [shipment('P1'), shipment('P2')]);
    const run = await ledger.store.claimExportRun({ export: 'acme/shipments', scheduledAt: T(7), fileName: 'shipments-0700.csv' }, { kind: 'outbox', destination: SHIPMENTS });
    expect(run.run.items).toBe(2);
    await report(ledger.store, [shipment('P3')]);
    const rows = await ledger.store.exportRowsPage(run.run.id, 0, 10);
    expect(rows.map((r) => r.body.shipmentId)).toEqual(['P1', 'P2']);
    expect((await ledger.store.exportRowsPage(run.run.id, rows[0]!.id, 10)).map((r) => r.body.shipmentId)).toEqual(['P2']);
    await ledger.store.failExportRun(run.run.id, 'merchant SFTP offline');
    expect((await ledger.store.lastExportRuns())[0]).toMatchObject({ status: 'failed', error: 'merchant SFTP offline' });
    // Claimed again (catch-up of the same time): all three pending rows now.
    const retry = await ledger.store.claimExportRun({ export: 'acme/shipments', scheduledAt: T(7), fileName: 'shipments-0700.csv' }, { kind: 'outbox', destination: SHIPMENTS });
    expect(retry).toMatchObject({ created: true, run: { id: run.run.id, status: 'claimed', items: 3, error: null } });
    expect(await ledger.store.finishExportRun(retry.run.id)).toBe(true);
    const s = await ledger.store.summary();
    expect(s.outbox).toEqual({ pending: 1, failed: 0, delivered: 3 }); // the order is still owed to the warehouse
    const next = await ledger.store.claimExportRun({ export: 'acme/shipments', scheduledAt: T(8), fileName: 'shipments-0800.csv' }, { kind: 'outbox', destination: SHIPMENTS });
    expect(next.run.items).toBe(0);
  });
});

describe('export runs on PostgreSQL: several instances', () => {
  it('two instances claiming the same run at once: one creates it, the other gets it as claimed', async () => {
    const { createPgSchema } = await import('../helpers/pg.js');
    const { PostgresStore } = await import('../../src/ledger/postgres.js');
    const schema = await createPgSchema();
    const [a, b] = await Promise.all([PostgresStore.connect(schema.url), PostgresStore.connect(schema.url)]);
    try {
      await report(a, [level('A', 1, T(6))]);
      const claim = (s: Store) => s.claimExportRun({ export: 'acme/stock', scheduledAt: T(7), fileName: 'f.csv' }, { kind: 'stock', merchant: 'acme', mode: 'full' });
      const [ra, rb] = await Promise.all([claim(a), claim(b)]);
      expect([ra.created, rb.created].sort()).toEqual([false, true]);
      expect(ra.run.id).toBe(rb.run.id);
      expect(rb.run).toMatchObject({ status: 'claimed', items: 1 });
      expect(await schema.query('SELECT count(*)::int AS n FROM export_items')).toEqual([{ n: 1 }]);
    } finally {
      await a.close();
      await b.close();
      await schema.drop();
    }
  });
});
