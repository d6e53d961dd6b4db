/**
 * A stock export rendered on the read worker (src/exports/render-remote.ts) as `wharf` runs it: the
 * compiled dist/ code in a real worker thread (the test runner's on-the-fly TypeScript renders
 * in-process). It writes the bytes the in-process renderer writes, waits for a slow file, and a record
 * the schema refuses ends in the same ContentError after the pages before it.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderExport } from '../../src/exports/render.js';
import { computedLevel, stockRecord } from '../../src/exports/stock-record.js';
import type { StockLevel } from '../../src/ledger/store.js';
import { outputMapping } from '../mapping/helpers.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const MAPPINGS = path.join(REPO, 'mappings');
type Remote = typeof import('../../src/exports/render-remote.js');
type Errors = typeof import('../../src/errors.js');

/** 5,500 levels in pages of 1,000: with and without EAN, warehouse, asOf; the last page short. */
function pages(bad?: number): StockLevel[][] {
  const levels: StockLevel[] = Array.from({ length: 5_500 }, (_, i) => ({
    merchant: 'acme', sku: `SKU-${String(i).padStart(5, '0')}`, location: i % 3 === 0 ? '' : 'AMS', quantity: i === bad ? -1 : i % 50,
    ean: i % 2 ? `8710000${String(i).padStart(6, '0')}` : null, asOf: i % 7 === 0 ? '' : '2026-11-29T10:00:00.000Z',
  }));
  const out: StockLevel[][] = [];
  for (let i = 0; i < levels.length; i += 1000) out.push(levels.slice(i, i + 1000));
  return out;
}

async function* slowly<T>(items: T[]): AsyncGenerator<T> {
  for (const it of items) {
    await new Promise((resolve) => setImmediate(resolve));
    yield it;
  }
}

/** A file that takes its time: every chunk waits a turn (back-pressure at 4 KiB). */
function slowSink(): { sink: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const sink = new Writable({ highWaterMark: 4096, write: (c: Buffer, _e, cb) => { chunks.push(c); setImmediate(cb); } });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('stock export rendered on the worker (dist/)', () => {
  let remote: Remote;
  let errors: Errors;
  beforeAll(async () => {
    remote = (await import(pathToFileURL(path.join(REPO, 'dist/exports/render-remote.js')).href)) as Remote;
    errors = (await import(pathToFileURL(path.join(REPO, 'dist/errors.js')).href)) as Errors;
  });

  it('writes the bytes the in-process renderer writes, with its counts', async () => {
    const computedSkus = ['SKU-00007'];
    const inProcess = slowSink();
    const mapping = await outputMapping('merchant-stock-csv');
    const expected = await renderExport(mapping, pages().flat().map(stockRecord), inProcess.sink, { needsCheck: computedLevel(computedSkus) });
    const worker = slowSink();
    const result = await remote.renderStockInWorker({ mapping: 'merchant-stock-csv', mappingsDir: MAPPINGS, computedSkus }, slowly(pages()), worker.sink);
    await new Promise<void>((resolve) => worker.sink.end(resolve));
    expect(result).toEqual(expected);
    expect(result.records).toBe(5_500);
    expect(worker.text()).toBe(inProcess.text());
  });

  it('a computed level the schema refuses: the same ContentError, naming the record', async () => {
    const bad = 4_321;
    const sku = `SKU-0${bad}`;
    const mapping = await outputMapping('merchant-stock-csv');
    const local = await renderExport(mapping, pages(bad).flat().map(stockRecord), new Writable({ write: (_c, _e, cb) => cb() }), { needsCheck: computedLevel([sku]) }).catch((e: unknown) => e);
    const err = await remote.renderStockInWorker({ mapping: 'merchant-stock-csv', mappingsDir: MAPPINGS, computedSkus: [sku] }, slowly(pages(bad)), new Writable({ write: (_c, _e, cb) => cb() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ContentError);
    expect((err as Error).message).toBe((local as Error).message);
    expect((err as InstanceType<Errors['ContentError']>).details).toMatchObject({ record: bad + 1, field: 'quantity' });
  });

  it('a reported level is not checked again (the intake checked it), as in-process', async () => {
    const { sink, text } = slowSink();
    await remote.renderStockInWorker({ mapping: 'merchant-stock-csv', mappingsDir: MAPPINGS, computedSkus: [] }, slowly([pages(10)[0]!]), sink);
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(text()).toContain('SKU-00010;;-1;AMS;');
  });
});
