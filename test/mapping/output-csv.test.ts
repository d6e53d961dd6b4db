import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { guardFormula, looksLikeFormula, outputEncoding } from '../../src/formats/writers.js';
import { inline } from './helpers.js';

/** Collects the raw bytes a render writes. */
function bytes(): { stream: Writable; buffer: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  });
  return { stream, buffer: () => Buffer.concat(chunks) };
}

const stock = (sku: string, quantity: number, extra: Record<string, unknown> = {}) => ({ merchant: 'demo', sku, quantity, ...extra });

function stockCsv(csv: string, columns = 'SKU: sku\n  Qty: quantity\n  Where: warehouse'): ReturnType<typeof inline> {
  return inline(`kind: stock\ndirection: output\nformat: csv\ncsv: ${csv}\ncolumns:\n  ${columns}\n`);
}

describe('CSV output dialect: delimiter, quote, header, CRLF, BOM', () => {
  it('writes the configured delimiter and quote, CRLF and no header', async () => {
    const m = stockCsv("{ delimiter: '|', quote: \"'\", header: false, lineEnding: crlf, formulaGuard: false }");
    const out = bytes();
    const counts = await m.render([stock('A|1', 5, { warehouse: "it's" }), stock('B', 0)], out.stream);
    expect(out.buffer().toString('utf8')).toBe("'A|1'|5|'it''s'\r\nB|0|\r\n");
    expect(counts).toEqual({ records: 2, rows: 2 });
  });

  it('a BOM only for UTF-8', () => {
    expect(() => stockCsv('{ bom: true, encoding: windows-1252 }')).toThrow(/csv\.bom: a byte order mark is for UTF-8 files; this mapping writes windows-1252/);
  });
});

describe('CSV output in chunks of rows', () => {
  it('a file of more rows than one chunk holds every row once, in order, quoted per cell; a refused cell after a chunk still names its record', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => stock(`S${i}`, i, { warehouse: i % 3 === 0 ? 'A;B "x"' : 'AMS' }));
    const out = bytes();
    const counts = await stockCsv('{ delimiter: ";", formulaGuard: false }').render(records, out.stream);
    const expected = ['SKU;Qty;Where', ...records.map((r, i) => `S${i};${i};${i % 3 === 0 ? '"A;B ""x"""' : 'AMS'}`)].join('\n');
    expect(out.buffer().toString('utf8')).toBe(`${expected}\n`);
    expect(counts).toEqual({ records: 1000, rows: 1000 });
    const err = await stockCsv('{ encoding: iso-8859-1 }').render([...records.slice(0, 700), stock('B', 1, { warehouse: '€' })], bytes().stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).message).toMatch(/record 701/);
  });
});

describe('CSV output encodings (iconv-lite)', () => {
  it('utf-8 is the default', async () => {
    const out = bytes();
    await stockCsv('{ delimiter: ";" }').render([stock('THÉ-€', 1)], out.stream);
    expect(out.buffer()).toEqual(Buffer.from('SKU;Qty;Where\nTHÉ-€;1;\n', 'utf8'));
  });

  it('windows-1252 writes é as E9 and € as 80', async () => {
    const out = bytes();
    await stockCsv('{ encoding: windows-1252 }').render([stock('THÉ-€', 1)], out.stream);
    const b = out.buffer();
    expect(b.subarray(b.indexOf('TH'), b.indexOf('TH') + 6)).toEqual(Buffer.from([0x54, 0x48, 0xc9, 0x2d, 0x80, 0x2c]));
    expect(b.length).toBe('SKU,Qty,Where\nTHÉ-€,1,\n'.length);
  });

  it('iso-8859-1 writes é as E9 but refuses €, naming record, column and value (never a "?")', async () => {
    const m = stockCsv('{ encoding: iso-8859-1 }');
    const ok = bytes();
    await m.render([stock('CAFÉ', 2)], ok.stream);
    expect(ok.buffer()).toEqual(Buffer.from([...Buffer.from('SKU,Qty,Where\nCAF'), 0xc9, ...Buffer.from(',2,\n')]));
    const bad = bytes();
    const err = await m.render([stock('A', 1), stock('B', 1, { warehouse: 'Lager €uro' })], bad.stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('RECORD_INVALID');
    expect((err as WharfError).message).toBe('record 2, column "Where": "Lager €uro" has "€" (U+20AC), which iso-8859-1 cannot represent');
    expect((err as WharfError).details).toMatchObject({ record: 2, field: 'Where' });
    expect(bad.buffer().includes(Buffer.from('?'))).toBe(false);
  });

  it('windows-1252 refuses a character outside it (emoji, Polish ł)', async () => {
    const err = await stockCsv('{ encoding: cp1252 }').render([stock('Łódź', 1)], bytes().stream).catch((e: unknown) => e);
    expect((err as Error).message).toBe('record 1, column "SKU": "Łódź" has "Ł" (U+0141), which windows-1252 cannot represent');
  });

  it('a column name the encoding cannot represent is a mapping error', () => {
    expect(() => stockCsv('{ encoding: latin1 }', 'Menge€: quantity')).toThrow(/columns\.Menge€: the column name has "€" \(U\+20AC\), which iso-8859-1 cannot represent/);
  });

  it('only utf-8, windows-1252 and iso-8859-1 are written; XML/JSON output stays UTF-8', () => {
    expect(() => stockCsv('{ encoding: utf-16le }')).toThrow(/csv\.encoding: output files can be written in utf-8, utf8, windows-1252, cp1252, iso-8859-1, latin1; not utf-16le/);
    expect(() => inline('kind: stock\ndirection: output\nformat: ndjson\nndjson: { encoding: latin1 }\n')).toThrow(/ndjson\.encoding: ndjson output is always written in UTF-8/);
  });

  it('the encoder finds the first unrepresentable character and passes ASCII quickly', () => {
    const enc = outputEncoding('windows-1252');
    expect(enc.unrepresentable('plain ascii')).toBeUndefined();
    expect(enc.unrepresentable('Crème brûlée €5 “quoted”')).toBeUndefined();
    expect(enc.unrepresentable('ok ✓ and ☃')).toBe('✓');
    expect(outputEncoding('utf-8').unrepresentable('☃')).toBeUndefined();
  });
});

describe('CSV injection guard (formulaGuard, default on)', () => {
  it('neutralises text starting with = + - @ tab CR; leaves numbers and other text alone', async () => {
    const m = inline(`
kind: shipment
direction: output
format: csv
each: lines
columns:
  order: orderId
  carrier: carrier
  tracking: trackingNumber
  sku: line.sku
  qty: line.quantity
  note: { value: '-' }
`);
    const out = bytes();
    await m.render([{
      merchant: 'demo', orderId: 'demo:x:=1+1', shippedAt: '2026-07-01T08:00:00Z', carrier: '@SUM(A1)', trackingNumber: '+31 6 1',
      lines: [{ sku: '=HYPERLINK("http://evil")', quantity: 2 }, { sku: '-5', quantity: 1 }, { sku: '\tTAB', quantity: 1 }, { sku: '\rCR', quantity: 1 }, { sku: 'a=b', quantity: 1 }],
    }], out.stream);
    expect(out.buffer().toString('utf8')).toBe([
      'order,carrier,tracking,sku,qty,note',
      `demo:x:=1+1,'@SUM(A1),'+31 6 1,"'=HYPERLINK(""http://evil"")",2,-`,
      "demo:x:=1+1,'@SUM(A1),'+31 6 1,'-5,1,-",
      "demo:x:=1+1,'@SUM(A1),'+31 6 1,'\tTAB,1,-",
      "demo:x:=1+1,'@SUM(A1),'+31 6 1,'\rCR,1,-",
      "demo:x:=1+1,'@SUM(A1),'+31 6 1,a=b,1,-",
      '',
    ].join('\n'));
  });

  it('numbers stay numbers: a JSON number, or a decimal string in a column of type integer/decimal', async () => {
    const m = inline(`
kind: order
direction: output
format: csv
each: lines
columns:
  qty: line.quantity
  price: { path: line.unitPrice, type: decimal }
  priceText: line.unitPrice
  computed: { expr: "0 - $line.quantity" }
  fake: { path: line.sku, type: decimal }
`);
    const out = bytes();
    await m.render([{ id: 'd:c:1', lines: [{ sku: '-1+2', quantity: -3, unitPrice: '-5.00' }] }], out.stream);
    expect(out.buffer().toString('utf8')).toBe("qty,price,priceText,computed,fake\n-3,-5.00,'-5.00,3,'-1+2\n");
  });

  it('formulaGuard: false writes cells exactly', async () => {
    const out = bytes();
    await stockCsv('{ formulaGuard: false }').render([stock('=cmd', 1, { warehouse: '-A' })], out.stream);
    expect(out.buffer().toString('utf8')).toBe('SKU,Qty,Where\n=cmd,1,-A\n');
  });

  it('formulaGuard belongs to output mappings', () => {
    expect(() => inline('kind: stock\nformat: csv\ncsv: { formulaGuard: true }\nfields: { sku: SKU, quantity: QTY }\n')).toThrow(/csv\.formulaGuard: only applies to output mappings/);
  });

  it('guardFormula / looksLikeFormula', () => {
    for (const t of ['=1', '+1', '-1', '@a', '\t1', '\r1']) {
      expect(looksLikeFormula(t)).toBe(true);
      expect(guardFormula(t)).toBe(`'${t}`);
    }
    for (const t of ['', 'a', '1', "'=1", ' =1']) expect(guardFormula(t)).toBe(t);
  });
});

describe('XML output is streamed one record element at a time', () => {
  it('gives the same bytes as building the whole document, for 0, 1 and 3 records', async () => {
    const { buildXml } = await import('../../src/formats/writers.js');
    const m = inline(`
kind: stock
direction: output
format: xml
xml: { root: stock, record: item }
fields: { '@_sku': sku, qty: quantity, where: warehouse }
`);
    const recs = [stock('A&B', 1, { warehouse: '<W>' }), stock('C', 0), stock('D', 7, { warehouse: 'X' })];
    for (const n of [0, 1, 3]) {
      const out = bytes();
      const counts = await m.render(recs.slice(0, n), out.stream);
      const shaped = recs.slice(0, n).map((r) => ({ '@_sku': r.sku, qty: String(r.quantity), ...(r.warehouse ? { where: r.warehouse } : {}) }));
      expect(out.buffer().toString('utf8')).toBe(buildXml(shaped, { root: 'stock', record: 'item' }));
      expect(counts).toEqual({ records: n, rows: n });
    }
  });
});

describe('render input: records one by one (sync or async) or in pages, the same bytes', () => {
  it('an array, an async generator and RecordPages of 1,000 records render identically, records numbered across pages', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => stock(`S${i}`, i, i % 7 === 0 ? { warehouse: 'AMS' } : {}));
    const m = stockCsv('{ delimiter: ";" }');
    const fromArray = bytes();
    expect(await m.render(records, fromArray.stream)).toEqual({ records: 1000, rows: 1000 });
    async function* one(): AsyncGenerator<Record<string, unknown>> {
      for (const r of records) yield r;
    }
    const fromAsync = bytes();
    await m.render(one(), fromAsync.stream);
    async function* pages(): AsyncGenerator<Record<string, unknown>[]> {
      for (let i = 0; i < records.length; i += 300) yield records.slice(i, i + 300);
    }
    const fromPages = bytes();
    expect(await m.render({ pages: pages() }, fromPages.stream)).toEqual({ records: 1000, rows: 1000 });
    expect(fromAsync.buffer().equals(fromArray.buffer())).toBe(true);
    expect(fromPages.buffer().equals(fromArray.buffer())).toBe(true);
    // A refused cell in the third page names its record number counted over all pages.
    const bad = records.map((r, i) => (i === 777 ? { ...r, warehouse: 'Lager €' } : r));
    async function* badPages(): AsyncGenerator<Record<string, unknown>[]> {
      for (let i = 0; i < bad.length; i += 300) yield bad.slice(i, i + 300);
    }
    const err = await stockCsv('{ encoding: iso-8859-1 }').render({ pages: badPages() }, bytes().stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as Error).message).toMatch(/^record 778, column "Where"/);
  });
});
