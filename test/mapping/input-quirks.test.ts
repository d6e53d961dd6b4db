/**
 * Ambiguous input is refused with an error that says why, never guessed at (docs/input-quirks.md):
 * digit grouping in numbers, duplicate column names, rows with too many cells, line endings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { inline, inputMapping, readAll, ROOT } from './helpers.js';

function stock(quantity: string): ReturnType<typeof inline> {
  return inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: ${quantity}
`);
}

function order(total: string): ReturnType<typeof inline> {
  return inline(`
kind: order
format: csv
csv: { delimiter: ';' }
fields:
  externalId: Nr
  totals.total: ${total}
`);
}

async function one(m: ReturnType<typeof inline>, csv: string) {
  const [r] = await readAll(m, csv);
  return r!;
}

describe('thousands separators', () => {
  const dutch = `{ path: Bedrag, decimalSeparator: ',', thousandsSeparator: '.' }`;

  it('are read only between groups of exactly three digits', async () => {
    for (const [cell, want] of [['1.234,50', '1234.50'], ['1.234.567,5', '1234567.5'], ['12,5', '12.5'], ['1234,50', '1234.50'], ['-1.000', '-1000']]) {
      expect((await one(order(dutch), `Nr;Bedrag\n1;${cell}\n`)).value!.totals, cell).toEqual({ total: want });
    }
  });

  it('6.25 with thousandsSeparator "." is an error, not 625', async () => {
    const r = await one(order(dutch), 'Nr;Bedrag\n1;6.25\n');
    expect(r.value).toBeUndefined();
    expect(r.errors[0]!.message).toBe(`"6.25" is not a decimal number (the mapping expects thousands separator '.' between groups of three digits and decimal separator ',': 1.234,50)`);
    for (const cell of ['1.23,5', '12.3456', '1..234', '.234']) {
      expect((await one(order(dutch), `Nr;Bedrag\n1;${cell}\n`)).value, cell).toBeUndefined();
    }
  });

  it('apply to integers the same way', async () => {
    const m = stock(`{ path: Aantal, decimalSeparator: ',', thousandsSeparator: '.' }`);
    expect((await one(m, 'SKU;Aantal\nA;1.250\n')).value!.quantity).toBe(1250);
    expect((await one(m, 'SKU;Aantal\nA;6.25\n')).errors[0]!.message).toMatch(/^"6.25" is not a whole number/);
  });

  it('the same character as the decimal separator is refused when the mapping loads', () => {
    expect(() => stock(`{ path: Aantal, thousandsSeparator: '.' }`)).toThrow(WharfError);
    expect(() => stock(`{ path: Aantal, thousandsSeparator: '.' }`)).toThrow(/'\.' is also the decimal separator \(the default\)/);
  });
});

describe('digit grouping without a declared separator', () => {
  it('a quantity 1.000 is an error that says it looks like digit grouping (not silently 1)', async () => {
    const r = await one(stock('Aantal'), 'SKU;Aantal\nA;1.000\n');
    expect(r.value).toBeUndefined();
    expect(r.errors).toEqual([{ path: 'quantity', message: `"1.000" looks like digit grouping (a thousand?) in a whole-number field; set thousandsSeparator: '.' and decimalSeparator: ',' in the mapping if the file groups digits, or write it without decimals` }]);
    expect((await one(stock(`{ path: Aantal, decimalSeparator: ',' }`), 'SKU;Aantal\nA;2,000\n')).errors[0]!.message).toMatch(/looks like digit grouping/);
  });

  it('whole numbers with decimals of zero still read', async () => {
    expect((await one(stock('Aantal'), 'SKU;Aantal\nA;2.0\n')).value!.quantity).toBe(2);
    expect((await one(stock('Aantal'), 'SKU;Aantal\nA;2.00\n')).value!.quantity).toBe(2);
  });

  it('1,234.50 in a decimal field says how to declare the grouping', async () => {
    const r = await one(order('Bedrag'), 'Nr;Bedrag\n1;1,234.50\n');
    expect(r.errors[0]!.message).toBe(`"1,234.50" is not a decimal number (it looks like digit grouping: if the file writes thousands as 1,000, set thousandsSeparator: ',' in the mapping)`);
  });
});

describe('duplicate column names', () => {
  const m = () => inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: Aantal
`);

  it('a mapping that reads an ambiguous column is an error naming both positions', async () => {
    const err = await readAll(m(), 'SKU;Aantal;Omschrijving;Aantal\nA;1;x;5\n').then(() => undefined, (e: unknown) => e as WharfError);
    expect(err?.code).toBe('PARSE_FAILED');
    expect(err?.message).toBe('the CSV header has column "Aantal" 2 times (columns 2 and 4), and mapping inline-test reads it: which one is meant is not clear');
    expect(err?.details.hint).toBe('write "Aantal#1" or "Aantal#2" in the mapping to pick one column by its place among the columns of that name');
  });

  it('also when the names differ only in case or spaces', async () => {
    const err = await readAll(m(), 'SKU;aantal;AANTAL \nA;1;5\n').then(() => undefined, (e: unknown) => e as WharfError);
    expect(err?.message).toMatch(/has column "Aantal" 2 times \(columns 2 and 3\)/);
  });

  it('the mapping can pick one explicitly as Name#n; unread duplicates are fine', async () => {
    const pick = inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: Aantal#2
`);
    expect((await readAll(pick, 'SKU;Aantal;Aantal\nA;1;5\n'))[0]!.value).toEqual({ sku: 'A', quantity: 5 });
    const other = inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: Aantal
`);
    expect((await readAll(other, 'SKU;Aantal;X;X\nA;1;a;b\n'))[0]!.value).toEqual({ sku: 'A', quantity: 1 });
  });

  it('an expression reading an ambiguous column fails the record with the positions', async () => {
    const expr = inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: { expr: "$number(Aantal) * 2" }
`);
    const [r] = await readAll(expr, 'SKU;Aantal;Aantal\nA;1;5\n');
    expect(r!.value).toBeUndefined();
    expect(r!.errors[0]!.message).toMatch(/column "Aantal" appears 2 times in the header \(columns 2 and 3\)/);
    const picked = inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: { expr: "$number(\`Aantal#2\`) * 2" }
`);
    expect((await readAll(picked, 'SKU;Aantal;Aantal\nA;1;5\n'))[0]!.value).toEqual({ sku: 'A', quantity: 10 });
  });
});

describe('an order file with mixed line endings (demo mapping)', () => {
  const sample = readFileSync(`${ROOT}samples/orders-semicolon.csv`, 'utf8').replace(/^\uFEFF/, '');
  const lines = sample.trimEnd().split(/\r?\n/);

  it('a CRLF file with one bare-LF row: every order is read, none glued into a note', async () => {
    const text = lines.map((l, i) => `${l}${i === 2 ? '\n' : '\r\n'}`).join('');
    const crlf = lines.map((l) => `${l}\r\n`).join('');
    const m = await inputMapping('demo-orders-csv');
    const mixed = await readAll(m, text);
    const clean = await readAll(m, crlf);
    expect(mixed.map((r) => r.errors)).toEqual(clean.map(() => []));
    expect(mixed.map((r) => r.value)).toEqual(clean.map((r) => r.value));
    expect(mixed.map((r) => r.line)).toEqual(clean.map((r) => r.line));
    expect(mixed.filter((r) => /WEB-/.test(String(r.value?.note ?? '')))).toEqual([]);
  });

  it('a CRLF header with LF rows reads as the LF file does', async () => {
    const text = `${lines[0]}\r\n${lines.slice(1).join('\n')}\n`;
    const m = await inputMapping('demo-orders-csv');
    expect((await readAll(m, text)).map((r) => r.value)).toEqual((await readAll(m, `${lines.join('\n')}\n`)).map((r) => r.value));
  });

  it('a row with extra cells is an error of its own record, with the order it belongs to', async () => {
    const bad = lines.map((l, i) => (i === 3 ? `${l};EXTRA;WEB-99999` : l)).join('\n');
    const recs = await readAll(await inputMapping('demo-orders-csv'), `${bad}\n`);
    const invalid = recs.filter((r) => r.errors.length);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.externalId).toBe('WEB-10422');
    expect(invalid[0]!.errors[0]!.message).toMatch(/^line 4 has 28 cells but the header has 26 columns \(extra: "EXTRA", "WEB-99999"\)/);
  });
});

describe('relaxQuotes', () => {
  it('is an input option of CSV mappings: 12" pizza reads as written', async () => {
    const m = inline(`
kind: stock
format: csv
csv: { delimiter: ';', relaxQuotes: true }
fields:
  sku: SKU
  quantity: Aantal
`);
    expect((await readAll(m, 'SKU;Aantal\nPIZZA-12" MARGHERITA;3\n'))[0]!.value).toEqual({ sku: 'PIZZA-12" MARGHERITA', quantity: 3 });
  });
});
