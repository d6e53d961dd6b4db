/** Store.openCounts (the metrics' ledger gauges) on both ledgers. */
import { describe, expect, it } from 'vitest';
import { WAREHOUSE_ORDERS } from '../../src/pipeline/routing.js';
import type { Store } from '../../src/ledger/store.js';
import { backends, ledgerPerTest, fileInfo, importFile, order } from '../helpers/ledgers.js';

describe.each(backends)('Store.openCounts: $name', (backend) => {
  const ledger = ledgerPerTest(backend);

  it('counts the pending and failed rows of the destinations asked for, and the files in quarantine', async () => {
    expect(await ledger.store.openCounts([WAREHOUSE_ORDERS])).toEqual({ outbox: [], quarantined: [] });
    await importFile(ledger.store, [order('A1'), order('A2'), order('A3'), order('A4')]);
    const rows = await ledger.store.dueDeliveries(WAREHOUSE_ORDERS, 10, new Date(Date.now() + 3600_000));
    expect(rows).toHaveLength(4);
    await ledger.store.markDelivered([rows[0]!.id], 'a1.json');
    await ledger.store.markDeliveryFailed(rows[1]!.id, 'refused', null);
    await ledger.store.markDeliveryFailed(rows[2]!.id, 'disk full', new Date(Date.now() + 60_000)); // retrying: still pending
    // Another destination's row is not counted unless asked for.
    const tx = await ledger.store.beginIntake(fileInfo());
    await tx.enqueue({ destination: 'push:acme/woo:shipments', recordId: 'acme:shop:S1', merchant: 'acme', action: 'shipment', body: '{"s":1}' });
    await tx.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    await ledger.store.recordQuarantinedFile(fileInfo(), 'bad', '/q/x.csv', 2);
    await ledger.store.recordQuarantinedFile(fileInfo({ channel: 'other' }), 'bad', null, 1);

    const sort = <T extends { n: number }>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const c = await ledger.store.openCounts([WAREHOUSE_ORDERS, WAREHOUSE_ORDERS]);
    expect(sort(c.outbox)).toEqual(sort([
      { destination: WAREHOUSE_ORDERS, merchant: 'acme', action: 'order', status: 'pending', n: 2 },
      { destination: WAREHOUSE_ORDERS, merchant: 'acme', action: 'order', status: 'failed', n: 1 },
    ]));
    expect(sort(c.quarantined)).toEqual(sort([{ merchant: 'acme', channel: 'shop', n: 1 }, { merchant: 'acme', channel: 'other', n: 1 }]));
    const both = await ledger.store.openCounts([WAREHOUSE_ORDERS, 'push:acme/woo:shipments']);
    expect(both.outbox).toContainEqual({ destination: 'push:acme/woo:shipments', merchant: 'acme', action: 'shipment', status: 'pending', n: 1 });
  });
});
