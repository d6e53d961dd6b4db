/**
 * The pipeline's entry is a batch with ack/nack (issue 8): an API page goes in from memory (nothing
 * staged on disk; quarantined with its report only when it has invalid records), and its quarantined
 * copy comes back through `wharf retry`'s file batch, whose ack archives it. Real SQLite, real files.
 */
import { createReadStream, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/ledger/sqlite.js';
import { processBatch, type IntakePolicy } from '../../src/pipeline/intake.js';
import { sha256File } from '../../src/pipeline/hash.js';
import { pageBatch } from '../../src/sources/page.js';
import { fileBatch } from '../../src/sources/batch.js';
import { quarantinedCopyEnds } from '../../src/sources/quarantine.js';
import { MAPPINGS, SAMPLES } from '../helpers/e2e.js';

const logger = pino({ level: 'silent' });
const acceptValid: IntakePolicy = { onInvalid: 'acceptValid', maxFileSize: 1e6 };
const rejectFile: IntakePolicy = { onInvalid: 'rejectFile', maxFileSize: 1e6 };

let root: string;
let mappingsDir: string;
let store: SqliteStore;
let orders: Record<string, unknown>[];

/** Every file below `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-batches-'));
  // A page mapping like the connectors' ({"records": [...]}): the demo JSON mapping read at `records`,
  // and a "fixed" one that takes the external id from `number` when `id` is missing.
  mappingsDir = path.join(root, 'mappings');
  await fs.cp(path.join(MAPPINGS, 'lookups'), path.join(mappingsDir, 'lookups'), { recursive: true });
  const demo = readFileSync(path.join(MAPPINGS, 'demo-orders-json.yaml'), 'utf8').replace('record: orders', 'record: records');
  await fs.writeFile(path.join(mappingsDir, 'page-orders.yaml'), demo);
  await fs.writeFile(path.join(mappingsDir, 'page-orders-fixed.yaml'), demo.replace('externalId: { path: id, required: true }', 'externalId: { expr: "id ? $string(id) : number", required: true }'));
  store = new SqliteStore(path.join(root, 'ledger.sqlite'));
  orders = (JSON.parse(readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8')) as { orders: Record<string, unknown>[] }).orders;
});

afterEach(async () => {
  await store.close();
  await fs.rm(root, { recursive: true, force: true });
});

function page(records: unknown[], n = 1) {
  return pageBatch({
    merchant: 'acme', channel: 'shop', name: `orders-test-p${n}.json`, origin: `test orders page ${n}`,
    sourceType: 'testshop', mapping: 'page-orders', records, quarantineDir: path.join(root, 'quarantine'),
  });
}

describe('an API page as a batch', () => {
  it('a clean page is imported from memory: nothing is written to disk; the same page again is a duplicate by its in-memory hash', async () => {
    const before = await filesUnder(root);
    const first = await processBatch(page(orders), acceptValid, { store, mappingsDir, logger });
    expect(first).toMatchObject({ status: 'imported', records: 3, newRecords: 2, stored: 1 }) // the third sample order is cancelled before it was sent;
    expect((await filesUnder(root)).filter((f) => !f.startsWith('ledger.sqlite'))).toEqual(before.filter((f) => !f.startsWith('ledger.sqlite')));
    const again = await processBatch(page(orders, 2), acceptValid, { store, mappingsDir, logger });
    expect(again).toMatchObject({ status: 'duplicate' });
    expect(await filesUnder(path.join(root, 'quarantine'))).toEqual([]);
  });

  it('a page with an invalid record is quarantined as its canonical JSON with a report; retry reads that copy as a file and its ack archives it', async () => {
    const bad = orders.map((o, i) => (i === 1 ? { ...o, id: undefined } : o));
    const result = await processBatch(page(bad), rejectFile, { store, mappingsDir, logger });
    expect(result).toMatchObject({ status: 'quarantined', records: 3, invalid: 1, newRecords: 0 });
    const q = path.join(root, 'quarantine');
    expect(await filesUnder(q)).toEqual(['orders-test-p1.json', 'orders-test-p1.json.errors.json']);
    const copy = path.join(q, 'orders-test-p1.json');
    // The copy is the page's canonical JSON, and its hash is the one the ledger knows the page by.
    expect(readFileSync(copy, 'utf8')).toBe(JSON.stringify({ records: bad }));
    const report = JSON.parse(readFileSync(`${copy}.errors.json`, 'utf8')) as { fileId: number; outcome: string; errors: { record: number; field: string }[] };
    expect(report).toMatchObject({ fileId: result.fileId, outcome: 'rejected', errors: [{ record: 2, field: 'externalId' }] });

    // `wharf retry` after fixing the mapping: the quarantined copy is a file batch; imported means archived.
    const st = await fs.stat(copy);
    const archiveDir = path.join(root, 'archive');
    const ends = quarantinedCopyEnds(copy, 'orders-test-p1.json', archiveDir);
    const retried = await processBatch(fileBatch({
      merchant: 'acme', channel: 'shop', name: 'orders-test-p1.json', origin: copy, size: st.size, mtimeMs: st.mtimeMs,
      mapping: 'page-orders-fixed', localPath: copy, open: () => createReadStream(copy),
    }, 'testshop', ends), rejectFile, { store, mappingsDir, logger });
    expect(retried).toMatchObject({ status: 'imported', records: 3, newRecords: 2, stored: 1 }) // the third sample order is cancelled before it was sent;
    expect(await filesUnder(q)).toEqual([]);
    expect(ends.archivedAs()).toMatch(/archive\/\d{4}-\d{2}-\d{2}\/orders-test-p1\.json$/);
    expect(await sha256File(ends.archivedAs()!)).toBe(await page(bad).sha256());
  });

  it('a ledger failure nacks the page and is rethrown; nothing goes to quarantine', async () => {
    await store.close();
    await expect(processBatch(page(orders), acceptValid, { store, mappingsDir, logger })).rejects.toThrow();
    expect(await filesUnder(path.join(root, 'quarantine'))).toEqual([]);
    store = new SqliteStore(path.join(root, 'ledger.sqlite'));
  });
});
