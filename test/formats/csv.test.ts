import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContentError } from '../../src/errors.js';
import { readCsv, type CsvReadOptions, type CsvRow } from '../../src/formats/csv.js';
import { inline, readAll } from '../mapping/helpers.js';

async function rows(input: Buffer | string | Buffer[], options: CsvReadOptions = {}): Promise<{ header?: string[]; rows: CsvRow[] }> {
  let header: string[] | undefined;
  const out: CsvRow[] = [];
  const chunks = Array.isArray(input) ? input : [typeof input === 'string' ? Buffer.from(input) : input];
  for await (const r of readCsv(Readable.from(chunks), options, (h) => (header = h))) out.push(r);
  return { header, rows: out };
}

async function failure(p: Promise<unknown>): Promise<ContentError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ContentError);
  return err as ContentError;
}

describe('CSV reader', () => {
  it('strips a UTF-8 BOM so the first column name is clean', async () => {
    const { header } = await rows(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Bestelnummer;SKU\nA1;X\n')]), { delimiter: ';' });
    expect(header).toEqual(['Bestelnummer', 'SKU']);
  });

  it('decodes windows-1252 and latin1', async () => {
    // "Café;Müller" with é = 0xE9, ü = 0xFC, and € = 0x80 (windows-1252 only)
    const bytes = Buffer.from([...Buffer.from('a;b\nCaf'), 0xe9, 0x3b, 0x4d, 0xfc, ...Buffer.from('ller '), 0x80, 0x0a]);
    expect((await rows(bytes, { delimiter: ';', encoding: 'windows-1252' })).rows[0]!.cells).toEqual(['Café', 'Müller €']);
    expect((await rows(bytes, { delimiter: ';', encoding: 'latin1' })).rows[0]!.cells[0]).toBe('Café');
  });

  it('refuses invalid UTF-8 naming the line and byte offset', async () => {
    const bytes = Buffer.from([...Buffer.from('a;b\nok;1\nCaf'), 0xe9, ...Buffer.from(';2\n')]);
    const err = await failure(rows(bytes, { delimiter: ';' }));
    expect(err.code).toBe('ENCODING_INVALID');
    expect(err.message).toBe('invalid UTF-8 at line 3, byte offset 12 (byte 0xE9)');
    expect(err.details.line).toBe(3);
    expect(err.details.hint).toMatch(/windows-1252/);
  });

  it('finds invalid UTF-8 split across chunks, and a sequence cut off at the end', async () => {
    const euro = Buffer.from('€'); // e2 82 ac
    const ok = await rows([Buffer.from('a\nx'), euro.subarray(0, 1), Buffer.concat([euro.subarray(1), Buffer.from('\n')])]);
    expect(ok.rows[0]!.cells).toEqual(['x€']);
    const split = await failure(rows([Buffer.from('a\nx'), euro.subarray(0, 2), Buffer.from('y\n')]));
    expect(split.message).toBe('invalid UTF-8 at line 2, byte offset 3 (byte 0xE2)');
    const cut = await failure(rows([Buffer.from('a\nx\ny'), euro.subarray(0, 2)]));
    expect(cut.message).toMatch(/^invalid UTF-8 at line 3, byte offset 5/);
  });

  it('refuses a UTF-8 BOM when the mapping says windows-1252', async () => {
    const err = await failure(rows(Buffer.from('\uFEFFa;b\n1;2\n'), { delimiter: ';', encoding: 'windows-1252' }));
    expect(err.code).toBe('ENCODING_INVALID');
  });

  it('gives each row the line it starts on, also after quoted line breaks and blank lines', async () => {
    const { rows: r } = await rows('a,b\n1,"two\nlines"\n\n3,x\n,\n4,y\n');
    expect(r.map((x) => [x.line, x.cells[0]])).toEqual([[2, '1'], [5, '3'], [7, '4']]);
    expect(r[0]!.cells[1]).toBe('two\nlines');
  });

  it('handles quote, escape, skipLines and headerless files with named columns', async () => {
    const { header, rows: r } = await rows("export 2026-11-27\n'A\\'s';0012\n", { delimiter: ';', quote: "'", escape: '\\', header: false, columns: ['name', 'code'], skipLines: 1 });
    expect(header).toEqual(['name', 'code']);
    expect(r).toEqual([{ line: 2, cells: ["A's", '0012'] }]);
  });

  it('keeps cells as strings: leading zeros survive', async () => {
    const { rows: r } = await rows('ean;postcode\n0871234567890;01069\n', { delimiter: ';' });
    expect(r[0]!.cells).toEqual(['0871234567890', '01069']);
  });

  it('an empty file and a header-only file are FILE_EMPTY', async () => {
    expect((await failure(rows(''))).code).toBe('FILE_EMPTY');
    expect((await failure(rows('\uFEFF'))).code).toBe('FILE_EMPTY');
    const headerOnly = await failure(rows('a;b\n', { delimiter: ';' }));
    expect(headerOnly.code).toBe('FILE_EMPTY');
    expect(headerOnly.message).toBe('the file has a header row but no records');
  });

  it('reports broken quoting with its line', async () => {
    const err = await failure(rows('a,b\n1,2\n3,"x"y\n'));
    expect(err.code).toBe('PARSE_FAILED');
    expect(err.details.line).toBe(3);
    expect(err.message).toMatch(/^not valid CSV at line 3: /);
  });
});

describe('CSV header checks (through a mapping)', () => {
  const mapping = () => inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: ARTICLE
  quantity: AVAILABLE
  ean: EAN
`);

  it('names the missing columns and the columns found', async () => {
    const err = await failure(readAll(mapping(), 'ARTICLE;QTY;EAN\nA;1;0012345678905\n'));
    expect(err.message).toBe('the CSV header lacks column "AVAILABLE" used by mapping inline-test; found: "ARTICLE", "QTY", "EAN"');
    expect(err.details.line).toBe(1);
  });

  it('suggests the delimiter when the header is one single column', async () => {
    const err = await failure(readAll(mapping(), 'ARTICLE,AVAILABLE,EAN\nA,1,0012345678905\n'));
    expect(err.message).toMatch(/lacks columns "ARTICLE", "AVAILABLE" used/); // EAN is optional: only the columns that must be there are named
    expect(err.details.hint).toBe("the header is one single column: did you mean delimiter ','? (the mapping says ';')");
  });

  it('matches column names ignoring case and spaces', async () => {
    const records = await readAll(mapping(), ' article ;Available;ean\nA;1;0012345678905\n');
    expect(records[0]!.value).toEqual({ sku: 'A', ean: '0012345678905', quantity: 1 });
  });
});

describe('CSV streaming', () => {
  it('reads a generated 200,000-line file through a stream with flat memory', async () => {
    const total = 200_000;
    const header = 'ARTICLE;AVAILABLE;EAN\n';
    let produced = 0;
    // Produce the file lazily, 1,000 lines per chunk: it never exists in memory as a whole.
    const source = Readable.from((function* () {
      yield Buffer.from(header);
      while (produced < total) {
        let s = '';
        for (let i = 0; i < 1000; i++, produced++) s += `SKU-${produced};${produced % 500};0${String(871234500000 + produced)}\n`;
        yield Buffer.from(s);
      }
    })());
    const m = inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: ARTICLE
  quantity: AVAILABLE
  ean: EAN
`);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    let last: unknown;
    for await (const r of m.read(source, { merchant: 'demo', channel: 'x', fileName: 'big.csv' })) {
      count++;
      if (count % 20_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      last = r;
    }
    expect(count).toBe(total);
    expect(last).toEqual({ recordNo: total, line: total + 1, value: { sku: `SKU-${total - 1}`, ean: `0${871234500000 + total - 1}`, quantity: (total - 1) % 500 }, errors: [] });
    // The file is ~9 MB of text and 200k records; holding it would cost far more than this bound.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
