/**
 * Group commits (Store.group, SQLite): several files' intakes in one transaction, each in a savepoint.
 * A file rolled back leaves the others of its group alone; nothing of a group is visible to the
 * store's other callers (nor kept after a restart) before its commit; the other callers wait for it.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ledger/store.js';
import { WAREHOUSE_ORDERS, route } from '../../src/pipeline/routing.js';
import { backends, fileInfo, importFile, ledgerPerTest, order } from '../helpers/ledgers.js';

const sqlite = backends.find((b) => b.name === 'sqlite')!;

/** The file rows of the ledger, by name, as `getFile` sees them (through the plain store). */
async function statuses(store: Store, ids: number[]): Promise<(string | undefined)[]> {
  return Promise.all(ids.map(async (id) => (await store.getFile(id))?.status));
}

describe('ledger group commit (SQLite)', () => {
  const ledger = ledgerPerTest(sqlite);

  it('commits every file of the group at once; a file rolled back inside it leaves the others', async () => {
    const store = ledger.store;
    const group = store.group!();
    await group.begin();
    const a = await importFile(group.store, [order('A-1')], fileInfo({ name: 'a.csv' }));
    const badInfo = fileInfo({ name: 'bad.csv' });
    const bad = await group.store.beginIntake(badInfo);
    expect(await route(bad, order('BAD-1'))).toBe('new');
    await bad.rollback();
    const c = await importFile(group.store, [order('C-1')], fileInfo({ name: 'c.csv' }));
    // A later file of the group sees what an earlier one wrote (its duplicate check works inside it).
    const again = await importFile(group.store, [order('A-1')], fileInfo({ name: 'a-again.csv' }));
    expect(again.outcomes).toEqual(['duplicate']);
    // Every read through the group's store answers from inside it (none waits for the mutex the group holds).
    expect((await group.store.getFile(c.fileId))?.name).toBe('c.csv');
    expect((await group.store.findFiles({ id: a.fileId })).map((f) => f.name)).toEqual(['a.csv']);
    await group.commit();

    expect(await statuses(store, [a.fileId, c.fileId, again.fileId])).toEqual(['imported', 'imported', 'imported']);
    expect(await store.findFiles({ traceId: badInfo.traceId })).toEqual([]);
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, new Date(Date.now() + 60_000));
    expect(due.map((r) => r.recordId)).toEqual(['acme:shop:A-1', 'acme:shop:C-1']);
  });

  it('the store\'s other callers wait for the group; nothing of it survives a restart before the commit', async () => {
    const store = ledger.store;
    const group = store.group!();
    await group.begin();
    const a = await importFile(group.store, [order('W-1')], fileInfo({ name: 'w.csv' }));
    await group.store.addSeen('unsettled:acme:shop', 'key-w');
    let answered = false;
    const outside = store.getFile(a.fileId).then((row) => ((answered = true), row));
    // Give the other caller every chance to run: it must still be waiting for the group's mutex.
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    // A second process opening the ledger (a restart after kill -9) sees nothing of the open group.
    const other = await ledger.harness.open();
    try {
      expect(await other.getFile(a.fileId)).toBeUndefined();
      expect(await other.hasSeen('unsettled:acme:shop', 'key-w')).toBe(false);
    } finally {
      await other.close();
    }
    await group.commit();
    expect((await outside)?.status).toBe('imported');
    expect(await store.hasSeen('unsettled:acme:shop', 'key-w')).toBe(true);
  });

  it('a rolled-back group keeps nothing; a closed group\'s store is the plain store', async () => {
    const store = ledger.store;
    const group = store.group!();
    await group.begin();
    const a = await importFile(group.store, [order('R-1')], fileInfo({ name: 'r.csv' }));
    await group.rollback();
    expect(group.open).toBe(false);
    expect(await store.getFile(a.fileId)).toBeUndefined(); // nothing was written after it: its id is free
    // Closed: its store takes the mutex and commits each call, like the plain store.
    const b = await importFile(group.store, [order('R-2')], fileInfo({ name: 'r2.csv' }));
    expect((await store.getFile(b.fileId))?.status).toBe('imported');
  });
});
