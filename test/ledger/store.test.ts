/**
 * One conformance suite for both ledgers (DESIGN Guarantees 1, 3, 5): the same calls must have the same
 * outcomes on SQLite (temp dir) and PostgreSQL (a fresh schema per test, see test/helpers/pg.ts).
 * PostgreSQL additionally gets the several-instances cases: two stores with their own pools racing.
 *
 * Note on `dueDeliveries`: PostgresStore claims the rows it returns (they are not due again for the
 * claim period unless marked), SQLite just reads. The shared tests therefore never rely on reading the
 * same due rows twice; they count the outbox through `summary()` and look far enough ahead in time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { PostgresStore } from '../../src/ledger/postgres.js';
import { WAREHOUSE_ORDERS, route } from '../../src/pipeline/routing.js';
import type { IntakeTx, OutboxRow, Store } from '../../src/ledger/store.js';
import { createPgSchema, waitForLockWait, PG_TEST_URL, type PgTestSchema } from '../helpers/pg.js';
import { backends, fileInfo, importFile, order, stock, type Harness } from '../helpers/ledgers.js';

const FAR = () => new Date(Date.now() + 24 * 3600_000);
const outboxCounts = async (store: Store) => (await store.summary()).outbox;

// ---- the conformance suite ------------------------------------------------------------------------

describe.each(backends)('ledger store conformance: $name', (backend) => {
  let h: Harness;
  let store: Store;
  const opened: Store[] = [];
  const intakes: IntakeTx[] = [];
  /** Registers an intake so that a failing test still rolls it back (close() waits for open intakes). */
  const track = (tx: IntakeTx) => (intakes.push(tx), tx);
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
    for (const tx of intakes.splice(0)) await tx.rollback().catch(() => undefined);
    for (const s of opened.splice(0)) await s.close().catch(() => undefined);
    await h?.cleanup();
  });

  it('reports its kind', () => {
    expect(store.kind).toBe(backend.name);
  });

  it('record primitives: insert once (a second insert of the id is refused), read, update bumps the version', async () => {
    const tx = track(await store.beginIntake(fileInfo()));
    const w = { id: 'r1', kind: 'order' as const, merchant: 'acme', channel: 'shop', status: 'open', hash: 'h1', body: '{"a":1}', recordNo: 1 };
    expect(await tx.getRecord('r1')).toBeUndefined();
    expect(await tx.insertRecord(w)).toBe(true);
    expect(await tx.insertRecord({ ...w, hash: 'other' })).toBe(false);
    expect(await tx.getRecord('r1')).toEqual({ kind: 'order', merchant: 'acme', status: 'open', hash: 'h1', version: 1 });
    await tx.updateRecord({ id: 'r1', kind: 'order', status: 'cancelled', hash: 'h2', body: '{"a":2}', recordNo: 3 });
    expect(await tx.recordBody('r1')).toEqual({ a: 2 });
    expect(await tx.getRecord('r1')).toEqual({ kind: 'order', merchant: 'acme', status: 'cancelled', hash: 'h2', version: 2 });
    await tx.addDuplicate('r1', true);
    await tx.commit({ status: 'imported', records: 1, duplicates: 1, invalid: 0 });
    const s = await store.summary();
    expect(s.recentDuplicates.map((d) => [d.recordId, d.changed])).toEqual([['r1', true]]);
    expect(s.channels.find((c) => c.channel === 'shop')?.duplicateRecords).toBe(1);
  });

  it('enqueue: one row per (destination, recordId, action), carrying the body and the intake file', async () => {
    const tx = track(await store.beginIntake(fileInfo()));
    const row = { destination: 'somewhere', recordId: 'r1', merchant: 'acme', action: 'order' as const, body: '{"n":1}' };
    await tx.enqueue(row);
    await tx.enqueue({ ...row, body: '{"n":2}' }); // ignored: owed already
    await tx.enqueue({ ...row, action: 'cancel' });
    await tx.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    const due = await store.dueDeliveries('somewhere', 10);
    expect(due.map((r) => [r.recordId, r.action, r.body, r.fileId, r.merchant])).toEqual([['r1', 'order', { n: 1 }, tx.fileId, 'acme'], ['r1', 'cancel', { n: 1 }, tx.fileId, 'acme']]);
  });

  it('rollback discards the records, the outbox rows and the file row', async () => {
    const info = fileInfo();
    const tx = track(await store.beginIntake(info));
    expect(await route(tx, order('4001'))).toBe('new');
    await tx.rollback();
    await tx.rollback(); // a second rollback is harmless
    expect(await store.getFile(tx.fileId)).toBeUndefined();
    expect(await store.findImportedFile(info.merchant, info.channel, info.sha256)).toBeUndefined();
    const s = await store.summary();
    expect(s.outbox).toEqual({ pending: 0, failed: 0, delivered: 0 });
    expect(s.channels).toEqual([]);
    // The record is gone too: the same order is new again (and the store is usable after a rollback).
    expect((await importFile(store, [order('4001')], info)).outcomes).toEqual(['new']);
    expect((await outboxCounts(store)).pending).toBe(1);
  });

  it('a seen key added inside an intake exists exactly when its commit does', async () => {
    const rolled = track(await store.beginIntake(fileInfo()));
    await rolled.addSeen('unsettled:acme:dropbox', 'rolled-back');
    await rolled.rollback();
    expect(await store.hasSeen('unsettled:acme:dropbox', 'rolled-back')).toBe(false);
    const committed = track(await store.beginIntake(fileInfo()));
    await committed.addSeen('unsettled:acme:dropbox', 'committed');
    expect(await route(committed, order('4101'))).toBe('new');
    await committed.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    expect(await store.hasSeen('unsettled:acme:dropbox', 'committed')).toBe(true);
  });

  it('findImportedFile finds imported and partial files only, per merchant and channel', async () => {
    const imported = fileInfo({ sha256: 'a'.repeat(64) });
    const { fileId } = await importFile(store, [order('5001')], imported);
    const q = fileInfo({ sha256: 'b'.repeat(64) });
    const qId = await store.recordQuarantinedFile(q, 'line 3: bad date', '/q/orders.csv', 2);

    expect((await store.findImportedFile('acme', 'shop', 'a'.repeat(64)))?.id).toBe(fileId);
    expect(await store.findImportedFile('acme', 'shop', 'b'.repeat(64))).toBeUndefined();
    expect(await store.findImportedFile('acme', 'other', 'a'.repeat(64))).toBeUndefined();
    expect(await store.findImportedFile('other', 'shop', 'a'.repeat(64))).toBeUndefined();

    const dupId = await store.recordDuplicateFile(fileInfo({ sha256: 'a'.repeat(64), name: 'again.csv' }), fileId);
    expect(dupId).not.toBe(fileId);
    expect((await store.getFile(dupId))?.status).toBe('duplicate');
    expect((await store.findImportedFile('acme', 'shop', 'a'.repeat(64)))?.id).toBe(fileId);

    const listed = await store.listQuarantined();
    expect(listed.map((f) => [f.id, f.status, f.error, f.quarantinePath, f.invalid])).toEqual([[qId, 'quarantined', 'line 3: bad date', '/q/orders.csv', 2]]);
    await store.markRetried(qId, dupId);
    expect(await store.getFile(qId)).toMatchObject({ status: 'retried', retriedAs: dupId });
    expect(await store.listQuarantined()).toEqual([]);
    // The console's journey links the two both ways; the recent files come newest first, by merchant, paged.
    expect((await store.findFiles({ retriedAs: dupId })).map((f) => f.id)).toEqual([qId]);
    expect(await store.findFiles({ retriedAs: fileId })).toEqual([]);
    const otherId = await store.recordQuarantinedFile(fileInfo({ merchant: 'other' }), 'bad', '/q/other.csv', 1);
    const all = [otherId, dupId, fileId, qId].sort((a, b) => b - a);
    expect((await store.recentFiles({ limit: 10 })).map((f) => f.id)).toEqual(all);
    expect((await store.recentFiles({ merchant: 'other', limit: 10 })).map((f) => f.id)).toEqual([otherId]);
    expect((await store.recentFiles({ merchant: 'acme', limit: 2 })).map((f) => f.id)).toEqual(all.filter((id) => id !== otherId).slice(0, 2));
    expect((await store.recentFiles({ merchant: 'acme', beforeId: all.filter((id) => id !== otherId)[1], limit: 10 })).map((f) => f.id)).toEqual(all.filter((id) => id !== otherId).slice(2));
  });

  it('a partial file counts as imported, is listed while its quarantined copy exists, and keeps its status when retried', async () => {
    const info = fileInfo({ sha256: 'c'.repeat(64) });
    const tx = track(await store.beginIntake(info));
    await route(tx, order('6001'));
    await tx.commit({ status: 'partial', records: 2, duplicates: 0, invalid: 1, error: '1 invalid record' });
    expect((await store.findImportedFile('acme', 'shop', 'c'.repeat(64)))?.status).toBe('partial');
    expect(await store.listQuarantined()).toEqual([]);
    await store.setQuarantinePath(tx.fileId, '/q/partial.csv');
    expect((await store.listQuarantined()).map((f) => [f.id, f.quarantinePath, f.invalid, f.error])).toEqual([[tx.fileId, '/q/partial.csv', 1, '1 invalid record']]);
    await store.markRetried(tx.fileId);
    expect(await store.getFile(tx.fileId)).toMatchObject({ status: 'partial', quarantinePath: null });
    expect(await store.listQuarantined()).toEqual([]);
  });

  it('dismissFile takes a file out of the quarantine with a note (a partial one keeps its status); summary lists it as dismissed', async () => {
    const qId = await store.recordQuarantinedFile(fileInfo(), 'line 2: bad quantity', '/q/bad.csv', 1);
    const tx = track(await store.beginIntake(fileInfo()));
    await route(tx, order('7001'));
    await tx.commit({ status: 'partial', records: 1, duplicates: 0, invalid: 1, error: '1 invalid record' });
    await store.setQuarantinePath(tx.fileId, '/q/partial.csv');
    const imported = (await importFile(store, [order('7002')])).fileId;

    expect(await store.dismissFile(qId, 'a test order, not real')).toBe(true);
    expect(await store.getFile(qId)).toMatchObject({ status: 'dismissed', quarantinePath: null, note: 'a test order, not real', dismissedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(await store.dismissFile(tx.fileId, 'the invalid line was sent again fixed')).toBe(true);
    expect(await store.getFile(tx.fileId)).toMatchObject({ status: 'partial', quarantinePath: null, note: 'the invalid line was sent again fixed' });
    // Not (or no longer) in the quarantine: nothing changes.
    expect(await store.dismissFile(qId, 'again')).toBe(false);
    expect(await store.dismissFile(imported, 'not quarantined')).toBe(false);
    expect(await store.getFile(imported)).toMatchObject({ status: 'imported', note: null, dismissedAt: null });
    expect(await store.listQuarantined()).toEqual([]);

    const summary = await store.summary();
    expect(summary.quarantined).toEqual([]);
    expect(summary.dismissed.map((f) => [f.id, f.note]).sort()).toEqual([[qId, 'a test order, not real'], [tx.fileId, 'the invalid line was sent again fixed']].sort());
    expect(summary.channels.find((c) => c.channel === 'shop')?.files).toMatchObject({ dismissed: 1, partial: 1, imported: 1, quarantined: 0 });
  });

  it('activitySince counts files received and new orders per channel since a time, and undelivered rows per merchant and destination', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    await importFile(store, [order('8001'), order('8002')]);
    await importFile(store, [order('8001')]); // a duplicate record: no new order
    await store.recordQuarantinedFile(fileInfo({ channel: 'other' }), 'bad', '/q/x.csv', 1);
    const [first] = (await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())) as [OutboxRow];
    await store.markDeliveryFailed(first.id, 'refused', null);

    const a = await store.activitySince(before);
    expect([...a.channels].sort((x, y) => x.channel.localeCompare(y.channel))).toEqual([
      { merchant: 'acme', channel: 'other', files: 1, orders: 0 },
      { merchant: 'acme', channel: 'shop', files: 2, orders: 2 },
    ]);
    expect(a.outbox).toEqual([{ merchant: 'acme', destination: WAREHOUSE_ORDERS, pending: 1, failed: 1 }]);
    const later = await store.activitySince(new Date(Date.now() + 60_000).toISOString());
    expect(later.channels).toEqual([]);
    expect(later.outbox).toEqual(a.outbox);
  });

  it('a send is marked before it goes: read back, a row whose outcome was never recorded shows when it began (a crash mid-send)', async () => {
    await importFile(store, [order('x'), order('y')]);
    const t0 = new Date();
    const [x, y] = (await store.dueDeliveries(WAREHOUSE_ORDERS, 10, t0)) as [OutboxRow, OutboxRow];
    expect([x.sendingSince, y.sendingSince]).toEqual([null, null]);
    await store.markDeliverySending(x.id);
    await store.markDeliverySending(y.id);
    await store.markDeliveryFailed(y.id, 'timeout', new Date(t0.getTime() + 60_000));
    // The process sending x dies here; the next one reads the outbox.
    const again = await (await open()).dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    expect(again.map((r) => [r.recordId, r.attempts, typeof r.sendingSince])).toEqual([['acme:shop:x', 0, 'string'], ['acme:shop:y', 1, 'object']]);
    expect(Date.parse(again[0]!.sendingSince!)).toBeGreaterThanOrEqual(t0.getTime() - 1_000);
    // y is sent again and marked; its outcome clears the mark.
    await store.markDeliverySending(y.id);
    expect((await store.summary()).failedDeliveries.find((r) => r.id === y.id)!.sendingSince).not.toBeNull();
    await store.markDeliveryFailed(y.id, 'timeout', new Date(t0.getTime() + 120_000));
    expect((await store.summary()).failedDeliveries.find((r) => r.id === y.id)).toMatchObject({ attempts: 2, sendingSince: null });
    await store.markDelivered([x.id], 'acme-shop-x.json');
    expect(await outboxCounts(store)).toEqual({ pending: 1, failed: 0, delivered: 1 });
  });

  it('markDeliveredEach marks the rows of a page delivered in one call, each under its own name', async () => {
    await importFile(store, [order('p'), order('q'), order('r')]);
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    await store.markDeliveredEach([]);
    expect(await outboxCounts(store)).toEqual({ pending: 3, failed: 0, delivered: 0 });
    await store.markDeliveredEach(due.slice(0, 2).map((r) => ({ id: r.id, fileName: `acme-shop-${r.recordId}.json` })));
    expect(await outboxCounts(store)).toEqual({ pending: 1, failed: 0, delivered: 2 });
  });

  it('delivery lifecycle: delivered, retry later, failed until requeued', async () => {
    await importFile(store, [order('x'), order('y'), order('z')]);
    const t0 = new Date();
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, t0);
    expect(due.map((r) => r.recordId)).toEqual(['acme:shop:x', 'acme:shop:y', 'acme:shop:z']);
    const [x, y, z] = due as [typeof due[0], typeof due[0], typeof due[0]];

    await store.markDelivered([x.id], 'acme-shop-x.json');
    await store.markDeliveryFailed(y.id, 'warehouse share offline', at(60_000));
    await store.markDeliveryFailed(z.id, 'mapping cannot render', null);

    expect(await store.dueDeliveries(WAREHOUSE_ORDERS, 10, at(30_000))).toEqual([]);
    const retried = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, at(61_000));
    expect(retried.map((r) => [r.recordId, r.attempts, r.lastError, r.status])).toEqual([['acme:shop:y', 1, 'warehouse share offline', 'pending']]);

    let s = await store.summary();
    expect(s.outbox).toEqual({ pending: 1, failed: 1, delivered: 1 });
    expect(s.failedDeliveries.map((r) => [r.recordId, r.status, r.attempts])).toEqual([
      ['acme:shop:y', 'pending', 1],
      ['acme:shop:z', 'failed', 1],
    ]);

    // Only failed rows are requeued: x is delivered and stays so.
    expect(await store.requeueFailedDeliveries([z.id, x.id])).toBe(1);
    expect(await store.requeueFailedDeliveries('all')).toBe(0);
    const again = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    expect(again.map((r) => r.recordId)).toEqual(['acme:shop:y', 'acme:shop:z']);
    await store.markDelivered(again.map((r) => r.id), 'batch.json');
    expect(await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).toEqual([]);
    s = await store.summary();
    expect(s.outbox).toEqual({ pending: 0, failed: 0, delivered: 3 });
    expect(s.failedDeliveries).toEqual([]);
  });

  it("requeue 'all' puts every failed delivery back", async () => {
    await importFile(store, [order('a'), order('b')]);
    const due = await store.dueDeliveries(WAREHOUSE_ORDERS, 10);
    for (const r of due) await store.markDeliveryFailed(r.id, 'permission denied', null);
    expect((await outboxCounts(store)).failed).toBe(2);
    expect(await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).toEqual([]);
    expect(await store.requeueFailedDeliveries('all')).toBe(2);
    expect((await store.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).map((r) => [r.recordId, r.attempts])).toEqual([['acme:shop:a', 1], ['acme:shop:b', 1]]);
  });

  it('dueDeliveries honours the limit (oldest first) and the destination', async () => {
    await importFile(store, [order('1'), order('2'), order('3')]);
    expect(await store.dueDeliveries('merchant.stock', 10, FAR())).toEqual([]);
    expect((await store.dueDeliveries(WAREHOUSE_ORDERS, 2)).map((r) => r.recordId)).toEqual(['acme:shop:1', 'acme:shop:2']);
  });

  it('outbox rows carry the intake file that queued them', async () => {
    const { fileId } = await importFile(store, [order('f1')]);
    const [row] = await store.dueDeliveries(WAREHOUSE_ORDERS, 10);
    expect(row?.fileId).toBe(fileId);
  });

  it('batch per file: oldest due file first, its pending rows page by page, then the next file', async () => {
    expect(await store.nextBatchFile(WAREHOUSE_ORDERS)).toBeUndefined();
    const f1 = await importFile(store, [order('b1'), order('b2'), order('b3'), stock('S', 1)]);
    const f2 = await importFile(store, [order('b4'), order('b1', 'cancelled')]);
    await importFile(store, [order('b1')]); // only a duplicate: queues nothing, so it is no batch

    expect(await store.nextBatchFile('merchant.stock')).toBeUndefined();
    const first = await store.nextBatchFile(WAREHOUSE_ORDERS);
    expect(first).toBe(f1.fileId);
    const page1 = await store.batchPage(WAREHOUSE_ORDERS, first!, 0, 2);
    expect(page1.map((r) => r.recordId)).toEqual(['acme:shop:b1', 'acme:shop:b2']);
    const page2 = await store.batchPage(WAREHOUSE_ORDERS, first!, page1[1]!.id, 2);
    expect(page2.map((r) => r.recordId)).toEqual(['acme:shop:b3']);
    expect(await store.batchPage(WAREHOUSE_ORDERS, first!, page2[0]!.id, 2)).toEqual([]);
    expect(await store.batchPage('merchant.stock', first!, 0, 10)).toEqual([]);
    await store.markDelivered([...page1, ...page2].map((r) => r.id), 'acme-shop-1.ndjson');
    expect(await store.batchPage(WAREHOUSE_ORDERS, first!, 0, 10)).toEqual([]); // delivered rows are no longer pending

    const second = await store.nextBatchFile(WAREHOUSE_ORDERS);
    expect(second).toBe(f2.fileId);
    const rows = await store.batchPage(WAREHOUSE_ORDERS, second!, 0, 10);
    expect(rows.map((r) => [r.recordId, r.action])).toEqual([['acme:shop:b4', 'order'], ['acme:shop:b1', 'cancel']]);
    // The batch fails as a whole and is retried later: not due before then.
    const t0 = new Date();
    for (const r of rows) await store.markDeliveryFailed(r.id, 'share offline', new Date(t0.getTime() + 60_000));
    expect(await store.nextBatchFile(WAREHOUSE_ORDERS, new Date(t0.getTime() + 30_000))).toBeUndefined();
    expect(await store.nextBatchFile(WAREHOUSE_ORDERS, new Date(t0.getTime() + 61_000))).toBe(f2.fileId);
  });

  it('cursors and seen keys', async () => {
    expect(await store.getCursor('shopify:acme')).toBeUndefined();
    await store.setCursor('shopify:acme', 'abc');
    await store.setCursor('shopify:acme', 'def');
    await store.setCursor('woo:acme', '2024-01-01');
    expect(await store.getCursor('shopify:acme')).toBe('def');
    expect(await store.getCursor('woo:acme')).toBe('2024-01-01');

    expect(await store.hasSeen('sftp:acme', 'orders-1.csv')).toBe(false);
    await store.addSeen('sftp:acme', 'orders-1.csv');
    await store.addSeen('sftp:acme', 'orders-1.csv');
    expect(await store.hasSeen('sftp:acme', 'orders-1.csv')).toBe(true);
    expect(await store.hasSeen('sftp:other', 'orders-1.csv')).toBe(false);
    expect(await store.hasSeen('sftp:acme', 'orders-2.csv')).toBe(false);
    await store.removeSeen('sftp:acme', 'orders-1.csv');
    await store.removeSeen('sftp:acme', 'never-there');
    expect(await store.hasSeen('sftp:acme', 'orders-1.csv')).toBe(false);
  });

  it('file notices: each reported once, replaced per listing, events kept, listed by summary after a restart', async () => {
    const skipped = (name: string) => ({ key: `skipped:${name}`, kind: 'skipped' as const, file: name, message: `no pattern matches ${name}` });
    expect(await store.syncNotices('acme', 'in', ['skipped', 'refused'], [skipped('a.txt'), skipped('b.txt')])).toEqual([skipped('a.txt'), skipped('b.txt')]);
    // The same listing again: nothing new to log.
    expect(await store.syncNotices('acme', 'in', ['skipped', 'refused'], [skipped('a.txt'), skipped('b.txt')])).toEqual([]);
    const changed = { key: 'changed:x.csv', kind: 'changed-after-import' as const, file: 'x.csv', message: 'changed: aaa -> bbb' };
    expect(await store.addNotice('acme', 'in', changed)).toBe(true);
    expect(await store.addNotice('acme', 'in', changed)).toBe(false);
    // Another channel is not touched by this channel's sync.
    await store.syncNotices('acme', 'other', ['skipped'], [skipped('a.txt')]);
    // b.txt went away; c.txt came: only c.txt is new; the event notice stays.
    expect(await store.syncNotices('acme', 'in', ['skipped', 'refused'], [skipped('a.txt'), skipped('c.txt')])).toEqual([skipped('c.txt')]);
    await store.close();
    store = await open();
    const sum = await store.summary();
    const mine = sum.notices.filter((n) => n.channel === 'in').map((n) => n.key).sort();
    expect(mine).toEqual(['changed:x.csv', 'skipped:a.txt', 'skipped:c.txt']);
    expect(sum.notices.find((n) => n.channel === 'other')).toMatchObject({ merchant: 'acme', kind: 'skipped', file: 'a.txt' });
    expect(sum.notices[0]!.at).toMatch(/^\d{4}-/);
    expect(sum.channels.find((c) => c.channel === 'in')?.notices).toBe(3);
    expect(await store.syncNotices('acme', 'in', ['skipped', 'refused'], [])).toEqual([]);
    expect((await store.summary()).notices.filter((n) => n.channel === 'in').map((n) => n.key)).toEqual(['changed:x.csv']);
  });

  it('removeNotice removes one notice by key; importedRecords names a file\'s records by external id, bounded', async () => {
    const stuck = { key: 'cleanup-failed:x.csv', kind: 'cleanup-failed' as const, file: 'x.csv', message: 'archive fails' };
    expect(await store.addNotice('acme', 'in', stuck)).toBe(true);
    expect(await store.removeNotice('acme', 'other', stuck.key)).toBe(false);
    expect(await store.removeNotice('acme', 'in', stuck.key)).toBe(true);
    expect(await store.removeNotice('acme', 'in', stuck.key)).toBe(false);
    expect((await store.summary()).notices).toEqual([]);
    const info = fileInfo({ sha256: 'e'.repeat(64) });
    const { fileId } = await importFile(store, [order('A-1'), order('A-2'), order('A-3')], info);
    expect(await store.importedRecords('acme', 'shop', 'e'.repeat(64), 2)).toEqual({ fileId, ids: ['A-1', 'A-2'], more: 1 });
    expect(await store.importedRecords('acme', 'shop', '0'.repeat(64), 2)).toBeUndefined();
  });

  it('summary: per-channel polls, file counts, records, duplicates, quarantine', async () => {
    await store.recordPoll('acme', 'shop', { ok: false, error: 'ECONNREFUSED' });
    await store.recordPoll('acme', 'shop', { ok: true, inFlight: 2 });
    await store.recordPoll('beta', 'sftp', { ok: false, error: 'auth failed' });
    const a = await importFile(store, [order('1'), order('2'), order('1')], fileInfo({ sha256: 'd'.repeat(64) }));
    await importFile(store, [order('3')]);
    await store.recordDuplicateFile(fileInfo({ sha256: 'd'.repeat(64) }), a.fileId);
    await store.recordQuarantinedFile(fileInfo({ merchant: 'beta', channel: 'sftp' }), 'not CSV', null, 0);

    const s = await store.summary();
    expect(s.channels.map((c) => `${c.merchant}/${c.channel}`)).toEqual(['acme/shop', 'beta/sftp']);
    const [acme, beta] = s.channels as [typeof s.channels[0], typeof s.channels[0]];
    expect(acme.files).toEqual({ imported: 2, partial: 0, duplicate: 1, quarantined: 0, retried: 0, dismissed: 0 });
    expect(acme.records).toBe(4); // 3 + 1 records read from the imported files
    expect(acme.duplicateRecords).toBe(1);
    expect(acme.inFlight).toBe(2);
    expect(acme.lastOkAt).not.toBeNull();
    expect(acme.lastPollAt).toBe(acme.lastOkAt);
    expect(acme.lastError).toBe('ECONNREFUSED'); // kept for the operator; lastOkAt tells it is over
    expect(beta).toMatchObject({ lastError: 'auth failed', lastOkAt: null, inFlight: 0, records: 0 });
    expect(beta.files.quarantined).toBe(1);
    expect(s.quarantined.map((f) => f.error)).toEqual(['not CSV']);
    expect(s.outbox).toEqual({ pending: 3, failed: 0, delivered: 0 });
    expect(s.recentDuplicates).toHaveLength(1);
  });

  it('a restart (close, reopen the same database) keeps everything and re-imports nothing', async () => {
    const info = fileInfo({ sha256: 'e'.repeat(64) });
    await importFile(store, [order('r1'), order('r2', 'cancelled')], info);
    await store.setCursor('k', 'v');
    await store.addSeen('s', 'k');
    await store.recordPoll('acme', 'shop', { ok: true });
    const [first] = await store.dueDeliveries(WAREHOUSE_ORDERS, 10);
    await store.markDeliveryFailed(first!.id, 'offline', null);
    const before = await store.summary();
    await store.close();

    const reopened = await open();
    expect(await reopened.summary()).toEqual(before);
    expect((await reopened.findImportedFile('acme', 'shop', 'e'.repeat(64)))?.name).toBe(info.name);
    expect(await reopened.getCursor('k')).toBe('v');
    expect(await reopened.hasSeen('s', 'k')).toBe(true);
    expect((await importFile(reopened, [order('r1'), order('r2', 'cancelled'), order('r3')])).outcomes).toEqual(['duplicate', 'duplicate', 'new']);
    expect(await reopened.requeueFailedDeliveries('all')).toBe(1);
    expect((await reopened.dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).map((r) => r.recordId)).toEqual(['acme:shop:r1', 'acme:shop:r3']);
  });

  it('a second intake waits for the open one (one intake per store at a time)', async () => {
    const tx1 = track(await store.beginIntake(fileInfo()));
    await route(tx1, order('w1'));
    let secondOpen = false;
    const p2 = store.beginIntake(fileInfo()).then((tx) => {
      track(tx);
      secondOpen = true;
      return tx;
    });
    await new Promise((r) => setImmediate(r));
    expect(secondOpen).toBe(false);
    await tx1.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    const tx2 = await p2;
    expect(await route(tx2, order('w1'))).toBe('duplicate');
    await tx2.commit({ status: 'imported', records: 1, duplicates: 1, invalid: 0 });
  });

  it('a finished intake refuses a second commit', async () => {
    const tx = track(await store.beginIntake(fileInfo()));
    await tx.commit({ status: 'imported', records: 0, duplicates: 0, invalid: 0 });
    await expect(tx.commit({ status: 'imported', records: 0, duplicates: 0, invalid: 0 })).rejects.toThrow(/already finished/);
    await tx.rollback(); // harmless after a commit
    expect((await store.getFile(tx.fileId))?.status).toBe('imported');
  });
});

// ---- PostgreSQL: several instances, connection trouble ------------------------------------------

describe('PostgresStore: several instances on one database', () => {
  let schema: PgTestSchema;
  const stores: PostgresStore[] = [];
  const open: IntakeTx[] = [];
  /** Registers an intake so that a failing test still rolls it back (close() waits for open intakes). */
  const track = (tx: IntakeTx) => (open.push(tx), tx);
  const connect = async (options?: Parameters<typeof PostgresStore.connect>[1]) => {
    const s = await PostgresStore.connect(schema.url, options);
    stores.push(s);
    return s;
  };

  beforeEach(async () => {
    schema = await createPgSchema();
  });
  afterEach(async () => {
    for (const tx of open.splice(0)) await tx.rollback().catch(() => undefined);
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
    await schema?.drop();
  });

  it('creates the schema once when several instances start at the same time', async () => {
    const all = await Promise.all([connect(), connect(), connect(), connect()]);
    expect(all).toHaveLength(4);
    const tables = await schema.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema.schema]);
    expect(tables.map((t) => t.table_name)).toEqual(['channel_runs', 'cursors', 'duplicates', 'export_baseline', 'export_items', 'export_runs', 'files', 'leases', 'notices', 'outbox', 'push_stock', 'push_targets', 'records', 'seen', 'stock']);
  });

  it('two instances importing the same order: the second waits for the first and sees a duplicate', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const txA = track(await a.beginIntake(fileInfo()));
    const txB = track(await b.beginIntake(fileInfo()));
    expect(await route(txA, order('c1'))).toBe('new');
    const pB = route(txB, order('c1'));
    await waitForLockWait(schema.schema); // B is blocked on A's uncommitted row
    await txA.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    expect(await pB).toBe('duplicate');
    await txB.commit({ status: 'imported', records: 1, duplicates: 1, invalid: 0 });
    const rows = await schema.query<{ action: string }>('SELECT action FROM outbox');
    expect(rows).toEqual([{ action: 'order' }]);
  });

  it('when the first instance rolls back, the waiting one gets the order as new', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const txA = track(await a.beginIntake(fileInfo()));
    const txB = track(await b.beginIntake(fileInfo()));
    expect(await route(txA, order('c2'))).toBe('new');
    const pB = route(txB, order('c2'));
    await waitForLockWait(schema.schema);
    await txA.rollback();
    expect(await pB).toBe('new');
    await txB.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    expect(await schema.query('SELECT record_id FROM outbox')).toEqual([{ record_id: 'acme:shop:c2' }]);
  });

  it('racing imports of the same 30 orders: each is new exactly once', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const orders = Array.from({ length: 30 }, (_, i) => order(`race${i}`));
    const [ra, rb] = await Promise.all([importFile(a, orders), importFile(b, orders)]);
    for (let i = 0; i < orders.length; i++) {
      expect([ra.outcomes[i], rb.outcomes[i]].sort()).toEqual(['duplicate', 'new']);
    }
    expect(Number((await schema.query<{ n: string }>('SELECT count(*) AS n FROM outbox'))[0]!.n)).toBe(30);
  });

  it('two instances cancelling the same open order: the second waits and sees a duplicate', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await importFile(a, [order('c4')]);
    const txA = track(await a.beginIntake(fileInfo()));
    const txB = track(await b.beginIntake(fileInfo()));
    expect(await route(txA, order('c4', 'cancelled'))).toBe('cancellation');
    const pB = route(txB, order('c4', 'cancelled'));
    await waitForLockWait(schema.schema);
    await txA.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    expect(await pB).toBe('duplicate');
    await txB.commit({ status: 'imported', records: 1, duplicates: 1, invalid: 0 });
    expect((await schema.query<{ action: string }>('SELECT action FROM outbox ORDER BY id')).map((r) => r.action)).toEqual(['order', 'cancel']);
  });

  it('racing cancellations of the same open order: one cancellation, one duplicate', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await importFile(a, [order('c3')]);
    const [ra, rb] = await Promise.all([importFile(a, [order('c3', 'cancelled')]), importFile(b, [order('c3', 'cancelled')])]);
    expect([ra.outcomes[0], rb.outcomes[0]].sort()).toEqual(['cancellation', 'duplicate']);
    expect((await schema.query<{ action: string }>('SELECT action FROM outbox ORDER BY id')).map((r) => r.action)).toEqual(['order', 'cancel']);
  });

  it('a deadlock between two instances fails one intake as retryable; after a rollback the retry succeeds', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const txA = track(await a.beginIntake(fileInfo()));
    const txB = track(await b.beginIntake(fileInfo()));
    expect(await route(txA, order('d1'))).toBe('new');
    expect(await route(txB, order('d2'))).toBe('new');
    const results = await Promise.allSettled([route(txA, order('d2')), route(txB, order('d1'))]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    const err = rejected[0]!.reason as WharfError;
    expect(err).toBeInstanceOf(WharfError);
    expect(err.code).toBe('LEDGER_FAILED');
    expect(err.retryable).toBe(true);
    const loser = results[0]!.status === 'rejected' ? txA : txB;
    const winner = loser === txA ? txB : txA;
    // The loser's transaction is aborted: it cannot commit, only roll back.
    await expect(loser.commit({ status: 'imported', records: 2, duplicates: 0, invalid: 0 })).rejects.toMatchObject({ code: 'LEDGER_FAILED' });
    await loser.rollback();
    await winner.commit({ status: 'imported', records: 2, duplicates: 0, invalid: 0 });
    // The loser's file is processed again: everything is already there.
    const retry = await importFile(loser === txA ? a : b, [order('d1'), order('d2')]);
    expect(retry.outcomes).toEqual(['duplicate', 'duplicate']);
    expect(Number((await schema.query<{ n: string }>('SELECT count(*) AS n FROM outbox'))[0]!.n)).toBe(2);
    expect(await schema.query(`SELECT id FROM files WHERE id = $1`, [loser.fileId])).toEqual([]);
  });

  it('dueDeliveries claims rows: two instances never get the same delivery; a dead claim expires', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await importFile(a, Array.from({ length: 20 }, (_, i) => order(`q${i}`)));
    const t0 = new Date();
    const [da, db] = await Promise.all([a.dueDeliveries(WAREHOUSE_ORDERS, 12, t0), b.dueDeliveries(WAREHOUSE_ORDERS, 12, t0)]);
    const ids = [...da, ...db].map((r) => r.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect(da.map((r) => r.id)).toEqual([...da.map((r) => r.id)].sort((x, y) => x - y));
    // Delivered rows are done; the instance that held the others "dies" and its claim runs out.
    await a.markDelivered(da.map((r) => r.id), 'f');
    expect(await b.dueDeliveries(WAREHOUSE_ORDERS, 100, new Date(t0.getTime() + 60_000))).toEqual([]);
    const later = await b.dueDeliveries(WAREHOUSE_ORDERS, 100, new Date(t0.getTime() + 6 * 60_000));
    expect(later.map((r) => r.id).sort((x, y) => x - y)).toEqual(db.map((r) => r.id));
  });

  it('nextBatchFile claims a whole batch: two instances take different files; a dead claim expires', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const f1 = await importFile(a, [order('n1'), order('n2')]);
    const f2 = await importFile(a, [order('n3')]);
    const t0 = new Date();
    const got = await Promise.all([a.nextBatchFile(WAREHOUSE_ORDERS, t0), b.nextBatchFile(WAREHOUSE_ORDERS, t0)]);
    expect([...got].sort()).toEqual([f1.fileId, f2.fileId].sort());
    expect(await a.nextBatchFile(WAREHOUSE_ORDERS, new Date(t0.getTime() + 60_000))).toBeUndefined();
    // The claimed rows can still be read page by page by their claimant.
    expect((await a.batchPage(WAREHOUSE_ORDERS, f1.fileId, 0, 10)).map((r) => r.recordId)).toEqual(['acme:shop:n1', 'acme:shop:n2']);
    expect(await b.nextBatchFile(WAREHOUSE_ORDERS, new Date(t0.getTime() + 6 * 60_000))).toBe(f1.fileId);
  });

  it('a failure reported for a row another instance delivered leaves it delivered', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await importFile(a, [order('g1')]);
    const [row] = await a.dueDeliveries(WAREHOUSE_ORDERS, 10);
    await b.markDelivered([row!.id], 'acme-shop-g1.json');
    await a.markDeliveryFailed(row!.id, 'conflict', null);
    expect(await a.requeueFailedDeliveries('all')).toBe(0);
    expect((await a.summary()).outbox).toEqual({ pending: 0, failed: 0, delivered: 1 });
  });

  it('with claimMs 0 dueDeliveries is a plain read, like SQLite', async () => {
    const s = await connect({ claimMs: 0 });
    await importFile(s, [order('p1')]);
    expect(await s.dueDeliveries(WAREHOUSE_ORDERS, 10)).toHaveLength(1);
    expect(await s.dueDeliveries(WAREHOUSE_ORDERS, 10)).toHaveLength(1);
  });

  it('other calls go on while an intake holds its own connection', async () => {
    const s = await connect();
    const tx = track(await s.beginIntake(fileInfo()));
    await route(tx, order('h1'));
    await s.setCursor('k', 'v'); // would wait forever if it queued behind the intake
    expect(await s.getCursor('k')).toBe('v');
    expect((await s.summary()).outbox.pending).toBe(0); // uncommitted work is invisible
    await tx.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    expect((await s.summary()).outbox.pending).toBe(1);
  });

  it('a connection killed mid-intake fails as retryable, and the store recovers with a fresh connection', async () => {
    const s = await connect({ max: 1 });
    const tx = track(await s.beginIntake(fileInfo()));
    await route(tx, order('k1'));
    const killed = await schema.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`, [schema.schema]);
    expect(killed).toEqual([{ ok: true }]);
    const err = await route(tx, order('k2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).retryable).toBe(true);
    await tx.rollback();
    // With a pool of one, this only works if the dead connection was discarded rather than reused.
    expect((await importFile(s, [order('k1')])).outcomes).toEqual(['new']);
  });

  it('an unreachable server is a retryable LEDGER_FAILED that never shows the password', async () => {
    const url = 'postgres://wharf:s3cr3t-pw@127.0.0.1:1/test?sslmode=disable';
    const err = await PostgresStore.connect(url, { connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    const e = err as WharfError;
    expect(e.code).toBe('LEDGER_FAILED');
    expect(e.retryable).toBe(true);
    expect(e.details.hint).toMatch(/running and reachable/);
    expect(e.details.where).toBe('postgres://127.0.0.1:1/test');
    expect(`${e.message} ${JSON.stringify(e.details)} ${e.stack}`).not.toContain('s3cr3t');
  });

  it('a missing database is a LEDGER_FAILED that is not retried, with a hint', async () => {
    const u = new URL(PG_TEST_URL);
    u.pathname = '/wharf_no_such_db';
    const err = (await PostgresStore.connect(u.toString()).catch((e: unknown) => e)) as WharfError;
    expect(err).toBeInstanceOf(WharfError);
    expect(err.code).toBe('LEDGER_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.details.hint).toMatch(/create the database/);
  });

  it('a closed store refuses new intakes', async () => {
    const s = await connect();
    await s.close();
    await expect(s.beginIntake(fileInfo())).rejects.toMatchObject({ code: 'LEDGER_FAILED' });
    await expect(s.getCursor('k')).rejects.toMatchObject({ code: 'LEDGER_FAILED' });
  });
});

// ---- an older ledger ---------------------------------------------------------------------------

const OLD_RECORDS = `CREATE TABLE records (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, merchant TEXT NOT NULL, channel TEXT NOT NULL, status TEXT,
  version INTEGER NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL, file_id BIGINT NOT NULL, record_no INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`;

describe('an older ledger (records without parent_id) is upgraded on open', () => {
  const check = async (store: Store) => {
    try {
      const tx = await store.beginIntake(fileInfo());
      expect(await tx.getRecord('old')).toMatchObject({ status: 'open', version: 1 });
      expect(await tx.insertRecord({ id: 'child', kind: 'shipment', merchant: 'acme', channel: 'c', status: null, hash: 'h', body: '{"n":1}', recordNo: 1, parentId: 'old' })).toBe(true);
      expect(await tx.childBodies('old', 'shipment')).toEqual([{ n: 1 }]);
      await tx.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    } finally {
      await store.close();
    }
  };
  const oldRow = `INSERT INTO records VALUES ('old','order','acme','shop','open',1,'h','{}',1,1,'t','t')`;

  it('SQLite', async () => {
    const Database = (await import('better-sqlite3')).default;
    const { SqliteStore } = await import('../../src/ledger/sqlite.js');
    const { promises: fs } = await import('node:fs');
    const dir = await fs.mkdtemp(`${(await import('node:os')).tmpdir()}/wharf-old-`);
    try {
      const file = `${dir}/ledger.db`;
      const db = new Database(file);
      db.exec(OLD_RECORDS);
      db.exec(oldRow);
      db.close();
      await check(new SqliteStore(file));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL', async () => {
    const schema = await createPgSchema();
    try {
      await schema.query(OLD_RECORDS);
      await schema.query(oldRow);
      await check(await PostgresStore.connect(schema.url));
    } finally {
      await schema.drop();
    }
  });
});

// ---- keyed tables WITHOUT ROWID ------------------------------------------------------------------

describe('an older ledger\'s keyed tables (rowid tables) are rebuilt WITHOUT ROWID on open, keeping their rows', () => {
  /** Makes a ledger file holding `table` as an old rowid table, then opens it twice with SqliteStore and runs `check`. */
  async function rebuilt(table: string, create: string, rows: string, check: (store: import('../../src/ledger/sqlite.js').SqliteStore) => Promise<void>): Promise<void> {
    const Database = (await import('better-sqlite3')).default;
    const { SqliteStore } = await import('../../src/ledger/sqlite.js');
    const { promises: fs } = await import('node:fs');
    const dir = await fs.mkdtemp(`${(await import('node:os')).tmpdir()}/wharf-keyed-`);
    const tableSql = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) as { sql: string }).sql;
      } finally {
        db.close();
      }
    };
    try {
      const file = `${dir}/ledger.db`;
      const old = new Database(file);
      old.exec(create);
      old.exec(rows);
      old.close();
      expect(tableSql(file)).not.toMatch(/WITHOUT ROWID/);
      for (let open = 1; open <= 2; open++) {
        const store = new SqliteStore(file);
        try {
          await check(store);
        } finally {
          await store.close();
        }
        expect(tableSql(file)).toMatch(/WITHOUT ROWID$/);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  it('SQLite: stock keeps every level of every merchant', async () => {
    await rebuilt('stock', `CREATE TABLE stock (
        merchant TEXT NOT NULL, sku TEXT NOT NULL, location TEXT NOT NULL, quantity INTEGER NOT NULL, ean TEXT,
        as_of TEXT NOT NULL, file_id BIGINT NOT NULL, seen_file_id BIGINT NOT NULL, seen_record_no INTEGER NOT NULL,
        updated_at TEXT NOT NULL, PRIMARY KEY (merchant, sku, location))`,
    `INSERT INTO stock VALUES ('acme','B','',2,NULL,'2026-11-01T00:00:00Z',1,1,2,'t'), ('acme','A','AMS',1,'871','2026-11-01T00:00:00Z',1,1,1,'t'),
        ('other','A','',9,NULL,'2026-11-01T00:00:00Z',2,2,1,'t')`,
    async (store) => {
      expect(await store.stockPage('acme', undefined, 10)).toMatchObject([
        { merchant: 'acme', sku: 'A', location: 'AMS', quantity: 1, ean: '871' },
        { merchant: 'acme', sku: 'B', location: '', quantity: 2 },
      ]);
      expect(await store.stockPage('other', undefined, 10)).toMatchObject([{ merchant: 'other', sku: 'A', quantity: 9 }]);
    });
  });

  it('SQLite: export_items keeps a claimed run\'s rows', async () => {
    await rebuilt('export_items', `CREATE TABLE export_items (
        run_id BIGINT NOT NULL, merchant TEXT NOT NULL, sku TEXT NOT NULL, location TEXT NOT NULL, quantity INTEGER NOT NULL,
        ean TEXT, as_of TEXT NOT NULL, PRIMARY KEY (run_id, sku, location))`,
    `INSERT INTO export_items VALUES (7,'acme','B','',2,NULL,'t2'), (7,'acme','A','AMS',1,'871','t1'), (8,'acme','A','',5,NULL,'t3')`,
    async (store) => {
      expect(await store.exportItemsPage(7, undefined, 10)).toEqual([
        { merchant: 'acme', sku: 'A', location: 'AMS', quantity: 1, ean: '871', asOf: 't1' },
        { merchant: 'acme', sku: 'B', location: '', quantity: 2, ean: null, asOf: 't2' },
      ]);
      expect(await store.exportItemsPage(8, undefined, 10)).toHaveLength(1);
    });
  });
});

// ---- product lookup indexes --------------------------------------------------------------------

describe('the product lookups of intake (unknownSku: report, EAN checks) use an index, also in an older ledger', () => {
  const productRows = Array.from({ length: 50 }, (_, i) => `('p${i}','product','acme','shop',NULL,1,'h','{"sku":"S${i}","ean":"E${i}"}',1,1,'t','t')`).join(',');

  it('SQLite', async () => {
    const Database = (await import('better-sqlite3')).default;
    const { SqliteStore, PRODUCT_LOOKUPS } = await import('../../src/ledger/sqlite.js');
    const { promises: fs } = await import('node:fs');
    const dir = await fs.mkdtemp(`${(await import('node:os')).tmpdir()}/wharf-idx-`);
    try {
      const file = `${dir}/ledger.db`;
      const old = new Database(file);
      old.exec(OLD_RECORDS);
      old.exec(`INSERT INTO records VALUES ${productRows}`);
      old.close();
      await new SqliteStore(file).close();
      const db = new Database(file, { readonly: true });
      try {
        const plan = (sql: string, ...params: string[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
        expect(plan(PRODUCT_LOOKUPS.exists, 'acme', 'S7')).toMatch(/USING INDEX records_product_sku/);
        expect(plan(PRODUCT_LOOKUPS.skuForEan, 'acme', 'E7', 'S1')).toMatch(/USING INDEX records_product_ean/);
      } finally {
        db.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL', async () => {
    const { default: pg } = await import('pg');
    const { PRODUCT_LOOKUPS } = await import('../../src/ledger/postgres.js');
    const schema = await createPgSchema();
    try {
      await schema.query(OLD_RECORDS);
      await schema.query(`INSERT INTO records VALUES ${productRows}`);
      await (await PostgresStore.connect(schema.url)).close();
      const c = new pg.Client({ connectionString: schema.url });
      await c.connect();
      try {
        // A table this small is read whole; forbidding that shows whether an index can serve the query.
        await c.query('SET enable_seqscan = off');
        const plan = async (sql: string, params: string[]) => (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(await plan(PRODUCT_LOOKUPS.exists, ['acme', 'S7'])).toMatch(/Index (Only )?Scan using records_product_sku/);
        expect(await plan(PRODUCT_LOOKUPS.skuForEan, ['acme', 'E7', 'S1'])).toMatch(/Index (Only )?Scan using records_product_ean/);
      } finally {
        await c.end();
      }
    } finally {
      await schema.drop();
    }
  });
});
