import { describe, expect, it } from 'vitest';
import { inline, readAll } from './helpers.js';
import { RecordMapper } from '../../src/mapping/runtime.js';
import { compileScope, type CompileEnv } from '../../src/mapping/fields.js';
import { canonicalShape } from '../../src/mapping/canonical.js';
import { objectGetter } from '../../src/mapping/accessors.js';
import { problemsFor } from '../../src/mapping/problems.js';

/** A one-column stock CSV mapping with a custom quantity/asOf spec, to exercise conversions. */
function stock(quantity: string, extra = ''): ReturnType<typeof inline> {
  return inline(`
kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  sku: SKU
  quantity: ${quantity}
${extra}`);
}

async function one(mappingYaml: ReturnType<typeof inline>, csv: string) {
  const [r] = await readAll(mappingYaml, csv);
  return r!;
}

describe('integers', () => {
  const m = stock('Aantal');
  it.each([
    ['3', 3], ['0', 0], ['+4', 4], ['2.0', 2], [' 12 ', 12],
  ])('%j → %j', async (cell, want) => {
    expect((await one(m, `SKU;Aantal\nA;${cell}\n`)).value).toEqual({ sku: 'A', quantity: want });
  });
  it.each([
    ['2,5', '"2,5" is not a whole number'],
    ['2.5', '"2.5" is not a whole number'],
    ['twee', '"twee" is not a whole number'],
    ['99999999999999999999', '"99999999999999999999" is too large'],
  ])('%j is an error', async (cell, message) => {
    expect((await one(m, `SKU;Aantal\nA;${cell}\n`)).errors).toEqual([{ path: 'quantity', message }]);
  });
  it('quantity 0 maps (the canonical schema rejects it later)', async () => {
    expect((await one(m, 'SKU;Aantal\nA;0\n')).value!.quantity).toBe(0);
  });
  it('reads thousands separators and decimal commas when told', async () => {
    const t = stock(`{ path: Aantal, decimalSeparator: ',', thousandsSeparator: '.' }`);
    expect((await one(t, 'SKU;Aantal\nA;1.250\n')).value!.quantity).toBe(1250);
    expect((await one(t, 'SKU;Aantal\nA;3,00\n')).value!.quantity).toBe(3);
  });
});

describe('decimals (money as strings)', () => {
  const order = (price: string, csv: string) => inline(`
kind: order
format: csv
csv: { delimiter: ';' }
fields:
  externalId: Nr
  totals.total: ${price}
`);
  it('reads a decimal comma into a dot string, never a float', async () => {
    const r = await one(order(`{ path: Bedrag, decimalSeparator: ',' }`, ''), 'Nr;Bedrag\n1;29,35\n');
    expect(r.value).toEqual({ externalId: '1', totals: { total: '29.35' } });
  });
  it('says which separator it expected', async () => {
    const r = await one(order(`{ path: Bedrag, decimalSeparator: ',' }`, ''), 'Nr;Bedrag\n1;29.35\n');
    expect(r.errors).toEqual([{ path: 'totals.total', message: '"29.35" is not a decimal number (the mapping expects a decimal comma: 29,95)' }]);
  });
  it('money fields are decimals by default; a bad one is an error', async () => {
    const r = await one(order('Bedrag', ''), 'Nr;Bedrag\n1;€ 12\n');
    expect(r.errors).toEqual([{ path: 'totals.total', message: '"€ 12" is not a decimal number' }]);
    expect((await one(order('Bedrag', ''), 'Nr;Bedrag\n1;-3.50\n')).value!.totals).toEqual({ total: '-3.50' });
  });
});

describe('dates', () => {
  const m = stock('Aantal', `  asOf: { path: Datum, pattern: 'dd-MM-yyyy HH:mm', timezone: Europe/Amsterdam }\n`);
  const asOf = async (cell: string) => {
    const r = await one(m, `SKU;Aantal;Datum\nA;1;${cell}\n`);
    return r.errors.length ? r.errors : r.value!.asOf;
  };
  it('gives the right offset on both sides of the DST changes', async () => {
    expect(await asOf('28-03-2026 12:00')).toBe('2026-03-28T12:00:00+01:00');
    expect(await asOf('29-03-2026 01:59')).toBe('2026-03-29T01:59:00+01:00');
    expect(await asOf('29-03-2026 03:00')).toBe('2026-03-29T03:00:00+02:00');
    expect(await asOf('25-10-2026 12:00')).toBe('2026-10-25T12:00:00+01:00');
    expect(await asOf('24-10-2026 23:00')).toBe('2026-10-24T23:00:00+02:00');
  });
  it('refuses a local time that does not exist (spring forward); an ambiguous one is winter time', async () => {
    expect(await asOf('29-03-2026 02:30')).toEqual([{ path: 'asOf', message: 'local time "29-03-2026 02:30" does not exist in Europe/Amsterdam (the clocks skip that hour when summer time starts); send the time with its UTC offset' }]);
    expect(await asOf('25-10-2026 02:30')).toBe('2026-10-25T02:30:00+01:00');
    expect(await asOf('25-10-2026 01:30')).toBe('2026-10-25T01:30:00+02:00');
  });
  it('explains dates that do not match the pattern or do not exist', async () => {
    expect(await asOf('2024-13-45')).toEqual([{ path: 'asOf', message: 'date "2024-13-45" does not match pattern dd-MM-yyyy HH:mm' }]);
    expect(await asOf('31-02-2026 10:00')).toEqual([{ path: 'asOf', message: expect.stringMatching(/^date "31-02-2026 10:00" is not a real date/) }]);
  });
  it('reads ISO 8601 without a pattern, keeping a given offset', async () => {
    const iso = stock('Aantal', `  asOf: { path: Datum, timezone: Europe/Amsterdam }\n`);
    const at = async (cell: string) => (await one(iso, `SKU;Aantal;Datum\nA;1;${cell}\n`)).value?.asOf;
    expect(await at('2026-07-01T10:00:00')).toBe('2026-07-01T10:00:00+02:00');
    expect(await at('2026-07-01T10:00:00Z')).toBe('2026-07-01T10:00:00Z');
    expect(await at('2026-07-01T10:00:00.250-05:00')).toBe('2026-07-01T10:00:00.250-05:00');
    expect(await at('2026-07-01 10:00:00')).toBe('2026-07-01T10:00:00+02:00');
    expect(await at('2026-03-29T02:30:00')).toBeUndefined();
    expect(await at('2026-10-25T02:30:00')).toBe('2026-10-25T02:30:00+01:00');
    expect((await one(iso, 'SKU;Aantal;Datum\nA;1;1-7-2026\n')).errors[0]!.message).toBe('date "1-7-2026" is not an ISO 8601 date; set a pattern in the mapping');
  });
});

describe('ISO date-times without an offset and no timezone in the mapping', () => {
  const iso = stock('Aantal', `  asOf: { path: Datum }\n`);
  const at = async (cell: string) => {
    const r = await one(iso, `SKU;Aantal;Datum\nA;1;${cell}\n`);
    return r.errors.length ? r.errors : r.value!.asOf;
  };
  it('are a record error naming the field, the value and the fix, never read as UTC', async () => {
    for (const cell of ['2026-11-29T10:00:00', '2026-11-29 10:00', '2026-11-29T10:00', '2026-11-29 10:00:00.250']) {
      expect(await at(cell), cell).toEqual([{ path: 'asOf', message: `date-time "${cell}" has no UTC offset and the mapping gives no timezone, so the moment it means is unknown; add timezone: Europe/Amsterdam (the zone the source writes its local times in, or UTC) to this field in the mapping, or send the time with its offset (2026-11-29T10:00:00+01:00 or …Z)` }]);
    }
  });
  it('a date without a time, Z or an offset still read', async () => {
    expect(await at('2026-11-29')).toBe('2026-11-29T00:00:00Z');
    expect(await at('2026-11-29T10:00:00Z')).toBe('2026-11-29T10:00:00Z');
    expect(await at('2026-11-29T10:00:00+01:00')).toBe('2026-11-29T10:00:00+01:00');
    expect(await at('2026-11-29 10:00:00+01:00')).toBe('2026-11-29T10:00:00+01:00');
    expect(await at('2026-11-29T10:00:00+00:00')).toBe('2026-11-29T10:00:00Z');
  });
});

describe('lookups', () => {
  const m = (missing: string) => inline(`
kind: order
format: csv
csv: { delimiter: ';' }
lookups:
  country: { file: lookups/countries.yaml }
fields:
  externalId: Nr
  shipTo.country: { path: Land, lookup: country${missing}, default: XX }
`);
  it('translates names ignoring case and spaces', async () => {
    const recs = await readAll(m(''), 'Nr;Land\n1;Nederland\n2; BELGIË \n3;Deutschland\n4;nl\n');
    expect(recs.map((r) => r.value!.shipTo)).toEqual([{ country: 'NL' }, { country: 'BE' }, { country: 'DE' }, { country: 'NL' }]);
  });
  it('lookupMissing: error (default) says which table to extend', async () => {
    expect((await one(m(''), 'Nr;Land\n1;Holland\n')).errors).toEqual([{ path: 'shipTo.country', message: 'unknown country "Holland"; add it to lookup "country"' }]);
  });
  it('lookupMissing: keep and default', async () => {
    expect((await one(m(', lookupMissing: keep'), 'Nr;Land\n1;Holland\n')).value!.shipTo).toEqual({ country: 'Holland' });
    expect((await one(m(', lookupMissing: default'), 'Nr;Land\n1;Holland\n')).value!.shipTo).toEqual({ country: 'XX' });
  });
  it('inline lookups work without a lookups: section', async () => {
    const s = inline(`
kind: order
format: csv
fields:
  externalId: Nr
  status: { path: Status, lookup: { geannuleerd: cancelled, nieuw: open } }
`);
    expect((await one(s, 'Nr,Status\n1,Geannuleerd\n')).value).toEqual({ externalId: '1', status: 'cancelled' });
  });
});

describe('absent values, required, key order', () => {
  const m = inline(`
kind: order
format: csv
fields:
  note: Opmerking
  shipTo.city: Plaats
  shipTo.name: { path: Naam, required: true }
  externalId: Nr
  billTo.name: Factuurnaam
  customer.email: Email
`);
  it('leaves empty and missing values out, and empty objects too', async () => {
    const r = await one(m, 'Nr,Naam,Plaats,Factuurnaam,Email,Opmerking\n1,Jan,  ,,,\n');
    expect(r.value).toEqual({ externalId: '1', shipTo: { name: 'Jan' } });
    expect(JSON.stringify(r.value)).not.toContain('""');
  });
  it('orders keys as the canonical schema does, not as the mapping lists them', async () => {
    const r = await one(m, 'Nr,Naam,Plaats,Factuurnaam,Email,Opmerking\n1,Jan,Gent,Piet,j@example.be,hi\n');
    expect(JSON.stringify(r.value)).toBe('{"externalId":"1","customer":{"email":"j@example.be"},"shipTo":{"name":"Jan","city":"Gent"},"billTo":{"name":"Piet"},"note":"hi"}');
  });
  it('a required value that is missing names the column', async () => {
    const r = await one(m, 'Nr,Naam,Plaats,Factuurnaam,Email,Opmerking\n1,,Gent,,,\n');
    // An invalid record still carries its external id, for the quarantine report.
    expect(r).toEqual({ recordNo: 1, line: 2, externalId: '1', errors: [{ path: 'shipTo.name', message: 'is required but missing (column "Naam" is empty)' }] });
  });
  it('a short row means the missing cells are absent', async () => {
    expect((await one(m, 'Nr,Naam,Plaats,Factuurnaam,Email,Opmerking\n7,Jan\n')).value).toEqual({ externalId: '7', shipTo: { name: 'Jan' } });
  });
});

describe('grouped rows and bundles', () => {
  const m = inline(`
kind: order
format: csv
groupBy: Nr
lookups:
  bundles: { values: { SET: [{ sku: A, quantity: 2 }, { sku: B }] } }
fields:
  externalId: Nr
  lines:
    from: rows
    bundles: bundles
    fields:
      lineId: Regel
      sku: SKU
      quantity: Aantal
      unitPrice: Prijs
`);
  it('groups consecutive rows into one record with one line per row', async () => {
    const recs = await readAll(m, 'Nr,Regel,SKU,Aantal,Prijs\n1,1,X,1,2.00\n1,2,Y,2,3.00\n2,1,Z,1,1.00\n');
    expect(recs.map((r) => [r.recordNo, r.line, r.value])).toEqual([
      [1, 2, { externalId: '1', lines: [{ lineId: '1', sku: 'X', quantity: 1, unitPrice: '2.00' }, { lineId: '2', sku: 'Y', quantity: 2, unitPrice: '3.00' }] }],
      [2, 4, { externalId: '2', lines: [{ lineId: '1', sku: 'Z', quantity: 1, unitPrice: '1.00' }] }],
    ]);
  });
  it('reports rows of one record that are not adjacent, instead of making two orders', async () => {
    const recs = await readAll(m, 'Nr,Regel,SKU,Aantal,Prijs\n1,1,X,1,2.00\n2,1,Z,1,1.00\n1,2,Y,2,3.00\n');
    expect(recs[2]).toEqual({
      recordNo: 3,
      line: 4,
      externalId: '1',
      errors: [{ path: '', message: 'the rows of "1" (Nr) are not adjacent: they also appear in the record starting at line 2; rows of one record must follow each other' }],
    });
  });
  it('expands a bundle into its components, multiplying quantities', async () => {
    const recs = await readAll(m, 'Nr,Regel,SKU,Aantal,Prijs\n1,1,X,1,2.00\n1,2,set,3,9.00\n');
    expect(recs[0]!.value!.lines).toEqual([
      { lineId: '1', sku: 'X', quantity: 1, unitPrice: '2.00' },
      { lineId: '2-1', sku: 'A', quantity: 6, bundle: { lineId: '2', sku: 'set', quantity: 3 } },
      { lineId: '2-2', sku: 'B', quantity: 3, bundle: { lineId: '2', sku: 'set', quantity: 3 } },
    ]);
  });
  it('uses line indexes in error paths', async () => {
    const recs = await readAll(m, 'Nr,Regel,SKU,Aantal,Prijs\n1,1,X,1,2.00\n1,2,Y,"2,5",3.00\n');
    expect(recs[0]!.errors).toEqual([{ path: 'lines[1].quantity', message: '"2,5" is not a whole number' }]);
  });
});

describe('JSONata expressions', () => {
  const m = inline(`
kind: order
format: json
json: { record: orders }
fields:
  externalId: { expr: "$merchant & '-' & id" }
  note: { expr: "$fileName" }
  shipTo.name: { expr: "$join([first, last][$ != ''], ' ')" }
  lines:
    from: items
    fields:
      sku: sku
      lineId: { expr: "$record.id & '/' & $string(n)" }
      quantity: { expr: "q * 2" }
  totals.total: { expr: "$sum(items.(q * price))" }
`);
  it('bind $merchant, $fileName and $record, and are typed like paths', async () => {
    const [r] = await readAll(m, JSON.stringify({ orders: [{ id: 7, first: 'An', last: '', items: [{ sku: 'A', n: 1, q: 2, price: 1.5 }, { sku: 'B', n: 2, q: 1, price: 4 }] }] }));
    expect(r!.value).toEqual({
      externalId: 'demo-7',
      shipTo: { name: 'An' },
      lines: [{ lineId: '7/1', sku: 'A', quantity: 4 }, { lineId: '7/2', sku: 'B', quantity: 2 }],
      totals: { total: '7' },
      note: 'test-file',
    });
  });
  it('a failing expression is an error of that field', async () => {
    const [r] = await readAll(m, JSON.stringify({ orders: [{ id: 7, items: [{ sku: 'A', n: 1, q: 'x', price: 1 }] }] }));
    expect(r!.errors.map((e) => e.path)).toEqual(['lines[0].quantity', 'totals.total']);
    expect(r!.errors[0]!.message).toMatch(/^expression failed: /);
  });
  it('JSONata over CSV sees the row as { column: value } and $rows when grouped', async () => {
    const c = inline(`
kind: order
format: csv
groupBy: Nr
fields:
  externalId: Nr
  note: { expr: "$join($rows.SKU, '+') & ' (' & $string($count($rows)) & ')'" }
  shipTo.name: { expr: "Voornaam & ' ' & Achternaam" }
`);
    const [r] = await readAll(c, 'Nr,Voornaam,Achternaam,SKU\n1,Jan,Jansen,A\n1,Jan,Jansen,B\n');
    expect(r!.value).toEqual({ externalId: '1', shipTo: { name: 'Jan Jansen' }, note: 'A+B (2)' });
  });
});

describe('the fast path', () => {
  it('maps without a Promise when the mapping has no expressions', () => {
    const problem = problemsFor('/tmp/x.yaml');
    const env: CompileEnv = { problem, lookups: new Map(), file: '/tmp/x.yaml', describeSource: (p) => p, checkFrom: () => {}, reserved: [], sources: new Set() };
    const scope = compileScope({ sku: 'a.b', quantity: 'q', ean: 'e' }, canonicalShape('stock'), 'fields', env, ['merchant']);
    const mapper = new RecordMapper(scope, { getter: objectGetter, exprInput: (s) => s });
    expect(mapper.hasExpr).toBe(false);
    const src = { a: { b: 'SKU-1' }, q: '5', e: '0012345678905' };
    const result = mapper.mapSync({ first: src, rows: [src] });
    expect(result).not.toBeInstanceOf(Promise);
    expect(result.value).toEqual({ sku: 'SKU-1', ean: '0012345678905', quantity: 5 });
  });
});
