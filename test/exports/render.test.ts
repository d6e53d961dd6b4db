import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { renderExport } from '../../src/exports/render.js';
import { outputMapping } from '../mapping/helpers.js';

describe('renderExport', () => {
  it('streams 200k stock rows with back-pressure: only a few rows are ever in flight', async () => {
    const mapping = await outputMapping('merchant-stock-csv');
    let produced = 0;
    let written = 0; // newline count seen by the sink
    let maxAhead = 0;
    function* rows() {
      for (let i = 0; i < 200_000; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - written);
        yield { merchant: 'demo', sku: `SKU-${i}`, quantity: i % 50, warehouse: 'AMS-01' };
      }
    }
    let bytes = 0;
    let last = '';
    const sink = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        for (const b of chunk) if (b === 10) written++;
        last = chunk.toString('utf8');
        setImmediate(cb); // a slow disk: the renderer must wait for it
      },
    });
    const result = await renderExport(mapping, rows(), sink);
    await new Promise<void>((resolve) => sink.end(resolve)); // the caller ends its file
    expect(result).toEqual({ records: 200_000, rows: 200_000, bytes });
    expect(written).toBe(200_001); // header + rows
    expect(last.endsWith('SKU-199999;;49;AMS-01;\n')).toBe(true);
    expect(maxAhead).toBeLessThan(2000); // bounded by the stream buffers, not by 200k
  }, 60_000);

  it('refuses a record that fails its schema, naming record number and field', async () => {
    const mapping = await outputMapping('merchant-stock-csv');
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const err = await renderExport(mapping, [{ merchant: 'demo', sku: 'A', quantity: 1 }, { merchant: 'demo', sku: 'B', quantity: -1 }], sink).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('RECORD_INVALID');
    expect((err as WharfError).details).toMatchObject({ record: 2, field: 'quantity' });
    expect((err as WharfError).message).toMatch(/^record 2 is not a valid stock: quantity: /);
  });

  it('needsCheck: a record it exempts (held checked in the ledger) is not checked again; every other record still is', async () => {
    const mapping = await outputMapping('merchant-stock-csv');
    const chunks: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c.toString('utf8')); cb(); } });
    // SKU 'LEDGER' stands for a stored level: exempt, so even a value the schema would refuse passes
    // (the ledger only holds levels the intake checked; this shows the check is really skipped).
    const needsCheck = (r: Record<string, unknown>) => r.sku !== 'LEDGER';
    await renderExport(mapping, [{ merchant: 'demo', sku: 'LEDGER', quantity: 1, extra: 'x' }], sink, { needsCheck });
    expect(chunks.join('')).toContain('LEDGER;;1;');
    const err = await renderExport(mapping, [{ merchant: 'demo', sku: 'LEDGER', quantity: 1 }, { merchant: 'demo', sku: 'x'.repeat(101), quantity: 1 }], sink, { needsCheck }).catch((e: unknown) => e);
    expect((err as WharfError).code).toBe('RECORD_INVALID');
    expect((err as WharfError).details).toMatchObject({ record: 2, field: 'sku' });
  });

  it('an empty export still renders the header and reports 0 records', async () => {
    const chunks: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c.toString()); cb(); } });
    const result = await renderExport(await outputMapping('merchant-shipments-csv'), [], sink);
    expect(result.records).toBe(0);
    expect(chunks.join('')).toBe('Bestelnummer;Zending;Verzonden;Vervoerder;Trackingcode;TrackingURL;SKU;Aantal\n');
  });
});
