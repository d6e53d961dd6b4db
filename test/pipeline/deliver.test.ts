/**
 * Warehouse order delivery (OutboxDelivery) on a real SQLite ledger and real folders: the files of a
 * page are written, their folder fsynced once (FileDestination.flush), and only then are the rows
 * marked delivered; a flush that fails marks none of them delivered.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderDestination } from '../../src/destinations/folder/destination.js';
import type { Store } from '../../src/ledger/store.js';
import { silentLogger } from '../../src/log.js';
import { OutboxDelivery } from '../../src/pipeline/deliver.js';
import { WAREHOUSE_ORDERS } from '../../src/pipeline/routing.js';
import type { FileDestination } from '../../src/pipeline/ports.js';
import { backends, importFile, order, type Harness } from '../helpers/ledgers.js';

/** A real folder destination that records its calls and can be told to fail its flush. */
class WatchedFolder extends FolderDestination {
  readonly calls: string[] = [];
  failFlush = false;
  override async writeDeferred(name: string, data: Buffer) {
    this.calls.push(`write ${name}`);
    return super.writeDeferred(name, data);
  }
  override async flush() {
    this.calls.push('flush');
    if (this.failFlush) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    return super.flush();
  }
}

describe('OutboxDelivery: one folder fsync per page, marks after it', () => {
  let h: Harness;
  let store: Store;
  let dir: string;
  beforeEach(async () => {
    h = await backends[0]!.create();
    store = await h.open();
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-deliver-'));
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await h.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const delivery = (dest: FileDestination) =>
    new OutboxDelivery(store, { destinationFor: () => dest, mappingsDir: path.resolve('mappings'), maxBackoffMs: 60_000 }, silentLogger());

  it('writes the page, flushes once, then marks every row delivered', async () => {
    await importFile(store, [order('A1'), order('A2'), order('A3')]);
    const dest = new WatchedFolder(dir);
    const marked: string[] = [];
    const mark = store.markDeliveredEach.bind(store);
    store.markDeliveredEach = async (items) => {
      for (const x of items) marked.push(`${dest.calls.filter((c) => c === 'flush').length} flush(es) before marking ${x.fileName}`);
      return mark(items);
    };
    expect(await delivery(dest).deliverDue()).toEqual({ delivered: 3, unchanged: 0, failed: 0 });
    expect(dest.calls.filter((c) => c === 'flush')).toHaveLength(1);
    expect(dest.calls.at(-1)).toBe('flush');
    expect(marked).toHaveLength(3);
    for (const m of marked) expect(m).toMatch(/^1 flush\(es\) before marking/);
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toHaveLength(3);
    expect(await store.pendingCount(WAREHOUSE_ORDERS)).toBe(0);
  });

  it('writes several files at once, but an order before its cancellation, each visible only when complete', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `P${i}`);
    // Every third order comes again cancelled right after it, before any delivery: its order file and
    // its cancellation are queued next to each other, so a naive parallel write would start both at once.
    await importFile(store, ids.flatMap((id, i) => (i % 3 === 0 ? [order(id), order(id, 'cancelled')] : [order(id)])));
    const events: string[] = [];
    let inFlight = 0;
    let most = 0;
    class Timed extends WatchedFolder {
      override async writeDeferred(name: string, data: Buffer) {
        events.push(`start ${name}`);
        most = Math.max(most, ++inFlight);
        try {
          return await super.writeDeferred(name, data);
        } finally {
          inFlight--;
          events.push(`end ${name}`);
        }
      }
    }
    const dest = new Timed(dir);
    expect(await delivery(dest).deliverDue()).toEqual({ delivered: 54, unchanged: 0, failed: 0 });
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(dest.parallelWrites);
    for (const id of ids.filter((_, i) => i % 3 === 0)) {
      const orderDone = events.indexOf(`end acme-shop-${id}.json`);
      const cancelStarted = events.indexOf(`start acme-shop-${id}.cancel.json`);
      expect(orderDone).toBeGreaterThanOrEqual(0);
      expect(cancelStarted).toBeGreaterThan(orderDone);
    }
    const files = readdirSync(dir);
    expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
    expect(files).toHaveLength(54);
    expect(JSON.parse(readFileSync(path.join(dir, 'acme-shop-P3.cancel.json'), 'utf8'))).toMatchObject({ externalId: 'P3', status: 'cancelled' });
    expect(JSON.parse(readFileSync(path.join(dir, 'acme-shop-P3.json'), 'utf8'))).toMatchObject({ externalId: 'P3', status: 'open' });
    expect(await store.pendingCount(WAREHOUSE_ORDERS)).toBe(0);
  });

  it('batch: file writes each body as the ledger holds it, one compact JSON line per order', async () => {
    const odd = { note: 'quote " backslash \\ tab \t é 𝄞 \u2028', total: 1e21, small: 0.1 + 0.2, neg: -0 };
    const { fileId } = await importFile(store, [order('N1', 'open', odd), order('N2'), order('N3', 'open', { lines: [{ sku: 'S', quantity: 3 }] })]);
    const batch = new OutboxDelivery(store, { destinationFor: () => new FolderDestination(dir), batch: 'file', mappingsDir: path.resolve('mappings'), maxBackoffMs: 60_000 }, silentLogger());
    expect(await batch.deliverDue()).toEqual({ delivered: 3, unchanged: 0, failed: 0 });
    const lines = readFileSync(path.join(dir, `acme-shop-${fileId}.ndjson`), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const bodies = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(bodies.map((b) => b.externalId)).toEqual(['N1', 'N2', 'N3']);
    // Byte for byte what JSON.stringify of the parsed body gives (the earlier way of writing the line).
    expect(lines).toEqual(bodies.map((b) => JSON.stringify(b)));
    expect(bodies[0]).toMatchObject({ note: odd.note, total: 1e21, small: 0.30000000000000004, neg: 0 });
  });

  it('a flush that fails: no row is marked delivered; they stay owed and come again', async () => {
    await importFile(store, [order('B1'), order('B2')]);
    const dest = new WatchedFolder(dir);
    dest.failFlush = true;
    expect(await delivery(dest).deliverDue()).toEqual({ delivered: 0, unchanged: 0, failed: 2 });
    expect(await store.pendingCount(WAREHOUSE_ORDERS)).toBe(2);
    const later = await store.dueDeliveries(WAREHOUSE_ORDERS, 10, new Date(Date.now() + 3_600_000));
    expect(later.map((r) => r.lastError)).toEqual([expect.stringContaining('EIO'), expect.stringContaining('EIO')]);
  });
});
