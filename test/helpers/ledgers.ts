/**
 * Both ledgers for suites that must behave the same on each (test/ledger, test/pipeline/routing):
 * SQLite in a temp dir, PostgreSQL in a fresh schema per test (see ./pg.ts); plus the record and
 * file builders those suites share.
 */
import { promises as fs } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { PostgresStore } from '../../src/ledger/postgres.js';
import { SqliteStore } from '../../src/ledger/sqlite.js';
import type { FileInfo, Store, StoredRecord } from '../../src/ledger/store.js';
import { route, type RecordOutcome } from '../../src/pipeline/routing.js';
import { createPgSchema } from './pg.js';

export interface Harness {
  /** Opens a store on this test's database (again: a restart, or a second instance). */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  create(): Promise<Harness>;
}

export const backends: Backend[] = [
  {
    name: 'sqlite',
    async create() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-ledger-'));
      const file = path.join(dir, 'var', 'ledger.db');
      return {
        open: async () => new SqliteStore(file),
        cleanup: () => fs.rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async create() {
      const schema = await createPgSchema();
      return { open: () => PostgresStore.connect(schema.url), cleanup: () => schema.drop() };
    },
  },
];

/**
 * A fresh ledger of `backend` for each test of the calling describe block: created and opened before
 * each test, closed and removed after it. Read `ledger.store` inside a test (the store of that test);
 * `ledger.harness.open()` opens the same database again (a restart, a second instance).
 */
export function ledgerPerTest(backend: Backend): { readonly store: Store; readonly harness: Harness } {
  let harness: Harness | undefined;
  let store: Store | undefined;
  beforeEach(async () => {
    harness = await backend.create();
    store = await harness.open();
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    await harness?.cleanup();
    store = undefined;
    harness = undefined;
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`ledgerPerTest: no ${what} outside a test`);
    return v;
  };
  return {
    get store() {
      return ready(store, 'store');
    },
    get harness() {
      return ready(harness, 'harness');
    },
  };
}

// ---- builders -------------------------------------------------------------------------------------

let fileNo = 0;
export function fileInfo(over: Partial<FileInfo> = {}): FileInfo {
  fileNo++;
  return {
    merchant: 'acme', channel: 'shop', name: `orders-${fileNo}.csv`, origin: 'folder:/in', size: 1234,
    sha256: `${fileNo}`.padStart(64, 'f'), mapping: 'acme-orders', traceId: `trace${fileNo}`, ...over,
  };
}

export function order(externalId: string, status: 'open' | 'cancelled' = 'open', extra: Record<string, unknown> = {}): StoredRecord {
  const id = `acme:shop:${externalId}`;
  return {
    kind: 'order', id, merchant: 'acme', channel: 'shop', recordNo: 1,
    body: {
      id, merchant: 'acme', channel: 'shop', externalId, status, createdAt: '2024-05-01T10:00:00+02:00',
      shipTo: { name: 'Ann', street: 'Main', postalCode: '01234', city: 'Town', country: 'NL' },
      lines: [{ sku: 'SKU-1', quantity: 1 }],
      source: { type: 'folder', name: `orders-${fileNo}.csv`, record: 1, receivedAt: new Date().toISOString() },
      ...extra,
    },
  };
}

export function stock(sku: string, quantity: number): StoredRecord {
  return { kind: 'stock', id: `acme:stock:${sku}`, merchant: 'acme', channel: 'wms', recordNo: 1, body: { merchant: 'acme', sku, quantity } };
}

/** One file through an intake transaction, committed. */
export async function importFile(store: Store, records: StoredRecord[], info = fileInfo()): Promise<{ fileId: number; outcomes: RecordOutcome[] }> {
  const tx = await store.beginIntake(info);
  const outcomes: RecordOutcome[] = [];
  try {
    for (const r of records) outcomes.push(await route(tx, r));
    await tx.commit({ status: 'imported', records: records.length, duplicates: outcomes.filter((o) => o === 'duplicate').length, invalid: 0 });
  } catch (err) {
    await tx.rollback();
    throw err;
  }
  return { fileId: tx.fileId, outcomes };
}

