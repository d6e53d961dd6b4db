/**
 * The retention policy (config `ledger.retention`, src/ledger/retention.ts) and the outbox's reference
 * to its record's body, on both ledgers. The clock is injected: rows carry the real time they were
 * written, and `prune` is run "later" with `now` moved forward by whole days — no sleeps.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prune, type PruneCounts } from '../../src/ledger/retention.js';
import type { IntakeTx, StoredRecord, Store } from '../../src/ledger/store.js';
import { DEFAULT_ROUTING, FileRouter, WAREHOUSE_ORDERS, shipmentExportDestination, type RouteResult } from '../../src/pipeline/routing.js';
import { backends, fileInfo, importFile, ledgerPerTest, order, type Harness } from '../helpers/ledgers.js';

const DAY = 86_400_000;
/** A time far enough ahead that every pending row is due; later at each call, because PostgresStore's
 * dueDeliveries claims the rows it returns (not due again within its claim period). */
let far = 1000;
const FAR = () => new Date(Date.now() + far++ * DAY);
const POLICY = { bodiesDays: 30, idsDays: 400, batch: 50 };
/** `prune` as if run `days` days from now. */
const pruneIn = (store: Store, days: number, batch = POLICY.batch): Promise<PruneCounts> => prune(store, { ...POLICY, batch }, { now: new Date(Date.now() + days * DAY) });

function shipment(shipmentId: string, orderExternalId: string): StoredRecord {
  return {
    kind: 'shipment', id: `acme:shipment:${shipmentId}`, merchant: 'acme', channel: 'wms', recordNo: 1,
    body: { merchant: 'acme', orderId: `acme:shop:${orderExternalId}`, shipmentId, shippedAt: '2024-05-02T10:00:00+02:00', lines: [{ sku: 'SKU-1', quantity: 1 }] },
  };
}

/** Routes records in one committed intake with shipment exports on for merchant acme. */
async function routeAll(store: Store, records: StoredRecord[]): Promise<RouteResult[]> {
  const tx = await store.beginIntake(fileInfo());
  const router = new FileRouter(tx, { ...DEFAULT_ROUTING, shipmentExports: new Set(['acme']) }, new Date().toISOString());
  const out: RouteResult[] = [];
  try {
    for (const r of records) out.push(await router.route(r));
    await tx.commit({ status: 'imported', records: records.length, duplicates: 0, invalid: 0 });
  } catch (err) {
    await tx.rollback();
    throw err;
  }
  return out;
}

/** What the ledger holds as an order's body: undefined (no record), null (pruned) or the body. */
async function bodyOf(store: Store, id: string): Promise<Record<string, unknown> | null | undefined> {
  const tx: IntakeTx = await store.beginIntake(fileInfo());
  try {
    return await tx.recordBody(id);
  } finally {
    await tx.rollback();
  }
}

async function deliverAll(store: Store, destination = WAREHOUSE_ORDERS): Promise<void> {
  const rows = await store.dueDeliveries(destination, 10_000, FAR());
  await store.markDelivered(rows.map((r) => r.id), 'file');
}

describe.each(backends)('ledger retention: $name', (backend) => {
  let h: Harness;
  let store: Store;

  beforeEach(async () => {
    h = await backend.create();
    store = await h.open();
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    await h?.cleanup();
  });

  it('an order delivery references the record: it renders the stored body; a cancellation before delivery freezes the open body into it', async () => {
    await importFile(store, [order('A1', 'open', { note: 'first' })]);
    await importFile(store, [order('A1', 'cancelled', { note: 'cancel' })]);
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    expect(due.map((r) => [r.action, r.body.status, r.body.note])).toEqual([['order', 'open', 'first'], ['cancel', 'cancelled', 'cancel']]);
    // A delivery queued by a ledger that stored bodies in the outbox still renders its own body.
    const tx = await store.beginIntake(fileInfo());
    await tx.enqueue({ destination: 'old', recordId: 'acme:shop:A1', merchant: 'acme', action: 'order', body: '{"own":true}' });
    await tx.commit({ status: 'imported', records: 0, duplicates: 0, invalid: 0 });
    expect((await store.dueDeliveries('old', 10, FAR())).map((r) => r.body)).toEqual([{ own: true }]);
  });

  it('prunes delivered rows and finished bodies after bodiesDays, ids after idsDays; a duplicate of a pruned order is still recognised', async () => {
    await importFile(store, [order('D1'), order('D2')]);
    await deliverAll(store);
    await importFile(store, [order('P1')]); // pending: owed

    // Not yet: 29 days later nothing goes.
    expect(await pruneIn(store, 29)).toMatchObject({ outbox: 0, bodies: 0, records: 0 });
    expect((await store.summary()).outbox).toEqual({ pending: 1, failed: 0, delivered: 2 });

    const counts = await pruneIn(store, 31);
    expect(counts).toMatchObject({ outbox: 2, bodies: 2, records: 0 });
    expect((await store.summary()).outbox).toEqual({ pending: 1, failed: 0, delivered: 0 });
    expect(await bodyOf(store, 'acme:shop:D1')).toBeNull();
    expect((await bodyOf(store, 'acme:shop:P1'))?.externalId).toBe('P1');
    // The owed delivery still renders its order.
    expect((await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).map((r) => r.body.externalId)).toEqual(['P1']);

    // The same order again (same content, and changed content): a duplicate, by id and hash.
    expect((await importFile(store, [order('D1'), order('D2', 'open', { note: 'changed' })])).outcomes).toEqual(['duplicate', 'duplicate']);
    expect((await store.summary()).outbox.pending).toBe(1);
    // Pruning again is a no-op for what is already pruned.
    expect(await pruneIn(store, 31)).toMatchObject({ outbox: 0, bodies: 0 });

    // After idsDays the ids go too (an order sent again then counts as new); the owed one stays whole.
    expect(await pruneIn(store, 401)).toMatchObject({ records: 2 });
    expect(await bodyOf(store, 'acme:shop:D1')).toBeUndefined();
    expect((await bodyOf(store, 'acme:shop:P1'))?.externalId).toBe('P1');
    expect((await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).map((r) => r.body.externalId)).toEqual(['P1']);
  });

  it('never prunes what is owed: a failed delivery keeps its row and body, and `retry` can still send it', async () => {
    await importFile(store, [order('F1')]);
    const [row] = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    await store.markDeliveryFailed(row!.id, 'refused', null);
    expect(await pruneIn(store, 401)).toMatchObject({ outbox: 0, bodies: 0, records: 0 });
    expect(await store.deliveryState(row!.id)).toBe('failed');
    expect(await store.requeueFailedDeliveries([row!.id])).toBe(1);
    expect((await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).map((r) => r.body.externalId)).toEqual(['F1']);
    // Delivered and pruned: the ledger no longer has the row (the CLI says so).
    await deliverAll(store);
    await pruneIn(store, 31);
    expect(await store.deliveryState(row!.id)).toBeUndefined();
  });

  it('an order with a shipment still owed keeps its body; pruned together, a later shipment of it is a clear record error', async () => {
    await importFile(store, [order('S1')]);
    await deliverAll(store);
    expect(await routeAll(store, [shipment('X1', 'S1')])).toEqual(['shipment']);
    // The shipment export row references the shipment record and renders it.
    const claim = await store.claimExportRun({ export: 'acme/shipments', scheduledAt: '2024-05-02T00:00:00.000Z', fileName: 'shipments.csv' }, { kind: 'outbox', destination: shipmentExportDestination('acme') });
    expect((await store.exportRowsPage(claim.run.id, 0, 10)).map((r) => r.body.shipmentId)).toEqual(['X1']);
    // Owed (the run is not finished): neither the order's body nor the shipment's goes.
    expect(await pruneIn(store, 31)).toMatchObject({ outbox: 1, bodies: 0 }); // the delivered order row goes
    expect((await bodyOf(store, 'acme:shop:S1'))?.externalId).toBe('S1');
    expect(await store.finishExportRun(claim.run.id)).toBe(true);
    expect(await pruneIn(store, 31)).toMatchObject({ outbox: 1, bodies: 2 });
    expect(await bodyOf(store, 'acme:shipment:X1')).toBeNull();
    const [late] = await routeAll(store, [shipment('X2', 'S1')]);
    expect(late).toMatchObject({ invalid: [{ path: 'orderId', message: expect.stringMatching(/no longer keeps .*ledger\.retention\.bodiesDays/) }] });
    // A shipment reported again after the pruning is still a duplicate.
    expect(await routeAll(store, [shipment('X1', 'S1')])).toEqual(['duplicate']);
  });

  it('intake runs while a pruning pass is under way: nothing waits for the whole pass, nothing owed is touched', async () => {
    const old = Array.from({ length: 400 }, (_, i) => order(`OLD${i}`));
    for (let i = 0; i < old.length; i += 100) await importFile(store, old.slice(i, i + 100));
    await deliverAll(store);
    const steps: string[] = [];
    let intakeDoneAtStep = -1;
    const pass = prune(store, { ...POLICY, batch: 20 }, { now: new Date(Date.now() + 31 * DAY), onProgress: (task) => steps.push(task) });
    // Started after the pass began; it must finish while the pass still has steps to go.
    const intake = (async () => {
      while (steps.length < 3) await new Promise((r) => setImmediate(r));
      const r = await importFile(store, [order('NEW1'), order('OLD7'), order('NEW2')]);
      intakeDoneAtStep = steps.length;
      return r.outcomes;
    })();
    const [counts, outcomes] = await Promise.all([pass, intake]);
    expect(outcomes).toEqual(['new', 'duplicate', 'new']);
    expect(intakeDoneAtStep).toBeLessThan(steps.length);
    expect(counts).toMatchObject({ outbox: 400, bodies: 400 });
    expect((await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).map((r) => r.body.externalId)).toEqual(['NEW1', 'NEW2']);
  });

  it('size: the ledger reports its bytes on disk, and they grow with what it holds', async () => {
    const before = await store.size();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await importFile(store, Array.from({ length: 200 }, (_, j) => order(`Z${i}-${j}`, 'open', { note: 'x'.repeat(500) })));
    expect(await store.size()).toBeGreaterThan(before);
  });
});

// PostgreSQL only: row locks let one instance's pruning meet another instance's open intake (SQLite
// allows one writer, so the case cannot arise there).
describe('ledger retention: postgres, beside another instance\'s intake', () => {
  const ledger = ledgerPerTest(backends.find((b) => b.name === 'postgres')!);

  it('an order an open intake holds is skipped, not waited for; the next pass prunes it', async () => {
    await importFile(ledger.store, [order('L1'), order('L2')]);
    await deliverAll(ledger.store);
    // Another instance's intake (one store allows one intake at a time) holds L1.
    const other = await ledger.harness.open();
    const tx = await other.beginIntake(fileInfo());
    await tx.getRecord('acme:shop:L1'); // FOR UPDATE: held until the intake ends
    try {
      expect(await pruneIn(ledger.store, 31)).toMatchObject({ bodies: 1 });
      expect(await bodyOf(ledger.store, 'acme:shop:L2')).toBeNull();
    } finally {
      await tx.rollback();
      await other.close();
    }
    expect(await pruneIn(ledger.store, 31)).toMatchObject({ bodies: 1 });
    expect(await bodyOf(ledger.store, 'acme:shop:L1')).toBeNull();
  });
});
