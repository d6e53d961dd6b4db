/**
 * Routing's record errors and counts through real intake: a folder source, the real warehouse report
 * mappings, a SQLite ledger (the batched stock report also PostgreSQL). A stock or shipment record that contradicts the ledger lands in the file's
 * quarantine report like a mapping error; the log line says what happened to the levels and shipments.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SqliteStore } from '../../src/ledger/sqlite.js';
import { PostgresStore } from '../../src/ledger/postgres.js';
import type { Store } from '../../src/ledger/store.js';
import { STOCK_BATCH } from '../../src/pipeline/routing.js';
import { createPgSchema } from '../helpers/pg.js';
import { processBatch } from '../../src/pipeline/intake.js';
import { batchOfFile } from '../../src/sources/batch.js';
import type { ReadyFile } from '../../src/pipeline/ports.js';
import type { ErrorReport } from '../../src/pipeline/report.js';
import { DEFAULT_ROUTING } from '../../src/pipeline/routing.js';
import { FolderSource } from '../../src/sources/folder/source.js';
import { MAPPINGS, singleOrderCsv } from '../helpers/e2e.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function pollOne(source: FolderSource): Promise<ReadyFile> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const [f] = await source.poll();
    if (f) return f;
    if (Date.now() > deadline) throw new Error('the file was never offered');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Drops `text` as `name` into a fresh folder channel of merchant demo and runs it through intake. */
async function intake(store: Store, root: string, channel: string, mapping: string, name: string, text: string) {
  const inbox = path.join(root, channel);
  await fs.mkdir(inbox, { recursive: true });
  const source = new FolderSource({ merchant: 'demo', channel, logger: silentLogger(), watch: false, config: { type: 'folder', path: inbox, files: [{ pattern: '*.csv', mapping }], minAge: 0 } });
  await source.open();
  try {
    await fs.writeFile(path.join(inbox, name), text);
    const policy = { onInvalid: 'acceptValid' as const, maxFileSize: 1e9, routing: { ...DEFAULT_ROUTING, shipmentExports: new Set(['demo']) } };
    const result = await processBatch(batchOfFile(await pollOne(source), source), policy, { store, mappingsDir: MAPPINGS, logger: silentLogger() });
    const reportFile = path.join(inbox, 'quarantine', `${name}.errors.json`);
    const report = result.quarantinedAt ? (JSON.parse(await fs.readFile(reportFile, 'utf8')) as ErrorReport) : undefined;
    return { result, report };
  } finally {
    await source.close();
  }
}

describe('intake with routing record errors', () => {
  it('stock: a SKU listed twice and a negative quantity are record errors in the report; the rest is imported and counted', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-routing-'));
    dirs.push(root);
    const store = new SqliteStore(path.join(root, 'ledger.sqlite'));
    try {
      const csv = ['ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP', 'A;;5;AMS;2026-11-27 06:00:00', 'B;;-3;AMS;2026-11-27 06:00:00', 'A;;6;AMS;2026-11-27 06:00:00', 'C;;1;AMS;2026-11-27 06:00:00', ''].join('\n');
      const { result, report } = await intake(store, root, 'reports', 'warehouse-stock-csv', 'stock.csv', csv);
      expect(result).toMatchObject({ status: 'partial', invalid: 2 });
      expect(report!.errors.map((e) => [e.record, e.field, e.message])).toEqual([
        [2, 'quantity', '-3 is too small: must be at least 0'],
        [3, 'sku', 'SKU "A" at location "AMS" is listed twice in this report (records 1 and 3); keep one line per SKU and location'],
      ]);
      expect((await store.stockPage('demo', undefined, 10)).map((l) => [l.sku, l.quantity])).toEqual([['A', 5], ['C', 1]]);
      const again = await intake(store, root, 'reports', 'warehouse-stock-csv', 'stock-2.csv', ['ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP', 'A;;5;AMS;2026-11-27 07:00:00', 'C;;9;AMS;2026-11-27 05:00:00', ''].join('\n'));
      expect(again.result.counts).toBe('0 stock levels updated, 1 unchanged, 1 older than the ledger (kept)');
    } finally {
      await store.close();
    }
  });

  it('shipments: an unknown order is a record error naming the shipment and order; a known one is counted and owed to the export', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-routing-'));
    dirs.push(root);
    const store = new SqliteStore(path.join(root, 'ledger.sqlite'));
    try {
      await intake(store, root, 'dropbox', 'demo-orders-csv', 'orders.csv', singleOrderCsv('WEB-1'));
      const [order] = await store.dueDeliveries('warehouse.orders', 10);
      const sku = String((order!.body.lines as { sku: string }[])[0]!.sku);
      const head = 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY';
      const csv = [head, `${order!.recordId};SHP-1;2026-11-26 16:42:10;PostNL;3S1;;${sku};1`, `demo:dropbox:NOPE;SHP-2;2026-11-26 16:42:10;PostNL;3S2;;${sku};1`, ''].join('\n');
      const { result, report } = await intake(store, root, 'reports', 'warehouse-shipments-csv', 'shipments.csv', csv);
      expect(result).toMatchObject({ status: 'partial', invalid: 1, stored: 1 });
      expect(report!.errors.map((e) => [e.record, e.field, e.message])).toEqual([
        [2, 'orderId', 'shipment "SHP-2" refers to order "demo:dropbox:NOPE" which Wharf never received for merchant demo; check the order id (orderId) in the warehouse report'],
      ]);
      expect((await store.dueDeliveries('export:demo:shipments', 10)).map((r) => r.body.shipmentId)).toEqual(['SHP-1']);
      const again = await intake(store, root, 'reports', 'warehouse-shipments-csv', 'shipments-2.csv', `${csv.split('\n').slice(0, 2).join('\n')}\n`);
      expect(again.result.counts).toBe('0 shipments, 1 duplicate');
    } finally {
      await store.close();
    }
  });
});

describe.each([
  { name: 'SQLite', open: async (root: string) => ({ store: new SqliteStore(path.join(root, 'ledger.sqlite')) as Store, drop: async () => {} }) },
  {
    name: 'PostgreSQL',
    open: async () => {
      const schema = await createPgSchema();
      return { store: (await PostgresStore.connect(schema.url)) as Store, drop: () => schema.drop() };
    },
  },
])('intake of a stock report larger than one batch: $name', ({ open }) => {
  it('errors of mapping and of routing (listed twice, across batches) are reported in record order; every valid level is written once', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-routing-'));
    dirs.push(root);
    const { store, drop } = await open(root);
    try {
      const n = 2 * STOCK_BATCH + 400;
      const rows = Array.from({ length: n }, (_, k) => `S${String(k + 1).padStart(5, '0')};;${(k + 1) % 9};AMS;2026-11-27 06:00:00`);
      rows[STOCK_BATCH + 199] = 'S00005;;1;AMS;2026-11-27 06:00:00'; // record 1200 lists S00005 (record 5) again, in another batch
      rows[499] = 'S00500;;-1;AMS;2026-11-27 06:00:00'; // a mapping error while record 11's error is still queued
      rows[n - 1] = `S${String(n).padStart(5, '0')};;-2;AMS;2026-11-27 06:00:00`; // and one at the end
      rows[10] = 'S00005;;3;AMS;2026-11-27 06:00:00'; // record 11 lists S00005 again in the same batch
      const { result, report } = await intake(store, root, 'reports', 'warehouse-stock-csv', 'stock.csv', `${['ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP', ...rows].join('\n')}\n`);
      expect(result).toMatchObject({ status: 'partial', invalid: 4, records: n });
      expect(report!.errors.map((e) => [e.record, e.line, e.field])).toEqual([[11, 12, 'sku'], [500, 501, 'quantity'], [1200, 1201, 'sku'], [n, n + 1, 'quantity']]);
      expect(report!.errors[2]!.message).toBe('SKU "S00005" at location "AMS" is listed twice in this report (records 5 and 1200); keep one line per SKU and location');
      const levels = await store.stockPage('demo', undefined, n);
      expect(levels).toHaveLength(n - 4); // S00011 and S01200 are not in the file (their lines list S00005), S00500 and the last are invalid
      expect(levels.find((l) => l.sku === 'S00005')?.quantity).toBe(5);
    } finally {
      await store.close();
      await drop();
    }
  });
});
