/**
 * The read worker (src/pipeline/read-pool.ts) as the daemon runs it: the compiled dist/ code in a real
 * worker thread (the test runner's on-the-fly TypeScript reads files in-process instead). It gives the
 * same checked records as the in-process reader, in order; a file that cannot be read on ends in the
 * same kind of error after every record before it; a reader that stops early frees the worker.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedChunks, type CheckedItem } from '../../src/pipeline/checked.js';
import { loadMapping } from '../../src/mapping/index.js';
import type { InputMapping } from '../../src/mapping/types.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const MAPPINGS = path.join(REPO, 'mappings');
type Pool = typeof import('../../src/pipeline/read-pool.js');
type Errors = typeof import('../../src/errors.js');

const HEADER = 'ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP\n';
const row = (i: number, qty: string | number = i % 50) => `SKU-${String(i).padStart(5, '0')};;${qty};AMS;2026-11-27 06:00:00\n`;
const provenance = { merchant: 'acme', channel: 'wms', sourceType: 'folder', fileName: 'stock.csv', receivedAt: '2026-11-27T06:00:00.000Z' };

describe('read worker (dist/)', () => {
  let dir: string;
  let pool: Pool;
  let errors: Errors;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-read-worker-'));
    // The built code, as `wharf run` uses it (npm test builds first).
    pool = (await import(pathToFileURL(path.join(REPO, 'dist/pipeline/read-pool.js')).href)) as Pool;
    errors = (await import(pathToFileURL(path.join(REPO, 'dist/errors.js')).href)) as Errors;
    expect(pool.workerReadable()).toBe(true);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = (file: string) => pool.readInWorker({
    path: file, mapping: 'warehouse-stock-csv', kind: 'stock', mappingsDir: MAPPINGS,
    ctx: { merchant: 'acme', channel: 'wms', fileName: 'stock.csv' }, provenance, merchantOf: { from: 'fixed', merchant: 'acme' },
  });
  const inProcess = async (file: string): Promise<CheckedItem[]> => {
    const mapping = (await loadMapping('warehouse-stock-csv', MAPPINGS)) as InputMapping;
    const { createReadStream } = await import('node:fs');
    const out: CheckedItem[] = [];
    const records = mapping.readPages(createReadStream(file), { merchant: 'acme', channel: 'wms', fileName: 'stock.csv' });
    for await (const chunk of checkedChunks(records, mapping, { provenance, merchantOf: { from: 'fixed', merchant: 'acme' } })) out.push(...chunk);
    return out;
  };

  it('gives the in-process reader\'s records, in order, in chunks, invalid ones with their problems', async () => {
    const file = path.join(dir, 'stock.csv');
    writeFileSync(file, HEADER + Array.from({ length: 2_345 }, (_, i) => row(i, i === 1_500 ? 'many' : i % 50)).join(''));
    const chunks: CheckedItem[][] = [];
    for await (const chunk of read(file)) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    const items = chunks.flat();
    expect(items).toHaveLength(2_345);
    expect(items.map((r) => r.recordNo)).toEqual(Array.from({ length: 2_345 }, (_, i) => i + 1));
    expect(items[1_500]!.canonical).toBeUndefined();
    expect(items[1_500]!.line).toBe(1_502);
    expect(items[1_500]!.problems[0]!.path).toBe('quantity');
    expect(items[0]!.canonical).toEqual({ merchant: 'acme', sku: 'SKU-00000', quantity: 0, warehouse: 'AMS', asOf: '2026-11-27T06:00:00+01:00' });
    expect(items).toEqual(await inProcess(file));
  });

  it('a file cut off in a quote: every record before it, then the same ContentError with its line', async () => {
    const file = path.join(dir, 'cut.csv');
    writeFileSync(file, HEADER + Array.from({ length: 1_200 }, (_, i) => row(i)).join('') + 'SKU-X;"1234;5;AMS;2026-11-27 06:00:00\n');
    const items: CheckedItem[] = [];
    let thrown: unknown;
    try {
      for await (const chunk of read(file)) items.push(...chunk);
    } catch (err) {
      thrown = err;
    }
    expect(items).toHaveLength(1_200);
    expect(thrown).toBeInstanceOf(errors.ContentError);
    expect(thrown).toMatchObject({ code: 'PARSE_FAILED', details: { line: 1_202 } });
    expect((thrown as Error).message).toContain('never closed');
  });

  it('a missing file is a system error with its code (not a content error: the file is offered again)', async () => {
    let thrown: unknown;
    try {
      for await (const _ of read(path.join(dir, 'gone.csv'))) void _;
    } catch (err) {
      thrown = err;
    }
    expect(thrown).not.toBeInstanceOf(errors.WharfError);
    expect((thrown as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('a started worker holds no process open: a process that only warmed it exits by itself', () => {
    const script = path.join(dir, 'warm.mjs');
    writeFileSync(script, `import { warmReadWorker } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'dist/pipeline/read-pool.js')).href)};\nwarmReadWorker();\n`);
    const r = spawnSync(process.execPath, [script], { timeout: 20_000 });
    expect(r.signal, 'the process had to be killed: the idle worker kept it alive').toBeNull();
    expect(r.status).toBe(0);
  });

  it('a reader that stops early cancels its read; the next read still works', async () => {
    const file = path.join(dir, 'big.csv');
    writeFileSync(file, HEADER + Array.from({ length: 20_000 }, (_, i) => row(i)).join(''));
    let first = 0;
    for await (const chunk of read(file)) {
      first += chunk.length;
      break;
    }
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(20_000);
    let all = 0;
    for await (const chunk of read(file)) all += chunk.length;
    expect(all).toBe(20_000);
  });
});
