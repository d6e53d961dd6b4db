import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { expected, inline, inputMapping, outputMapping, readAll, ROOT, sink, withPipelineFields } from './helpers.js';
import type { OutputMapping } from '../../src/mapping/index.js';
import type { RecordKind } from '../../src/schemas.js';

async function render(m: Pick<OutputMapping, 'render'>, records: Record<string, unknown>[]): Promise<string> {
  const s = sink();
  await m.render(records, s.stream);
  return s.text();
}

describe('output mappings render exact bytes', () => {
  const cases: [mapping: string, records: string, kind: RecordKind, want: string][] = [
    ['warehouse-orders-csv', 'orders-semicolon.csv.records.json', 'order', 'orders-semicolon.csv.warehouse-orders-csv.csv'],
    ['merchant-stock-csv', 'stock.csv.records.json', 'stock', 'stock.csv.merchant-stock-csv.csv'],
    ['merchant-shipments-csv', 'shipments.csv.records.json', 'shipment', 'shipments.csv.merchant-shipments-csv.csv'],
  ];
  for (const [name, records, kind, want] of cases) {
    it(`${name} renders ${records}`, async () => {
      const m = await outputMapping(name);
      expect(m.extension).toBe('csv');
      const input = (await expected<Record<string, unknown>[]>(records)).map((v) => withPipelineFields(kind, v));
      const first = await render(m, input);
      expect(first).toBe(await readFile(`${ROOT}test/expected/${want}`, 'utf8'));
      expect(await render(m, input)).toBe(first); // deterministic
    });
  }

  it('warehouse order rows: CRLF, local dates, one row per line, quoting only where needed', async () => {
    const text = await readFile(`${ROOT}test/expected/orders-semicolon.csv.warehouse-orders-csv.csv`, 'utf8');
    const lines = text.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(1 + 2 + 3 + 3 + 1 + 3 + 1); // header + line rows (bundle expanded) + final ''
    expect(lines[1]).toBe('demo:x:WEB-10421;WEB-10421;2026-11-25 14:05;open;Jan de Vries;;Prinsengracht;263;;;1016 GV;Amsterdam;NL;jan.devries@example.nl;+31 6 12345678;POSTNL;Standaard;;1;TEA-EARLGREY-100;0871234567890;Earl Grey losse thee 100 g;2;6.95;');
    expect(lines[3]).toContain(';"Cadeauverpakking; kaartje: ""Gefeliciteerd!""";'.slice(0, -1));
  });

  it('the whole loop: CSV sample → canonical → warehouse CSV', async () => {
    const records = await readAll(await inputMapping('demo-orders-csv'), 'samples/orders-semicolon.csv');
    const text = await render(await outputMapping('warehouse-orders-csv'), records.map((r) => withPipelineFields('order', r.value!)));
    expect(text).toBe(await readFile(`${ROOT}test/expected/orders-semicolon.csv.warehouse-orders-csv.csv`, 'utf8'));
  });
});

const order = {
  id: 'demo:x:A&1',
  externalId: 'A&1',
  createdAt: '2026-07-01T08:00:00Z',
  shipTo: { name: 'Jansen & Zn <BV>', street: 'Markt', postalCode: '01069', city: 'Dresden', country: 'DE' },
  lines: [
    { lineId: '1', sku: 'A', ean: '0871234567890', quantity: 2, unitPrice: '6.95' },
    { lineId: '2', sku: 'B', quantity: 1 },
  ],
};

describe('XML, JSON and NDJSON output', () => {
  it('XML: root and record elements, attributes, repeated elements, escaping', async () => {
    const m = inline(`
kind: order
direction: output
format: xml
xml: { root: orders, record: order }
fields:
  '@_ref': externalId
  created: { path: createdAt, type: date, pattern: 'yyyy-MM-dd HH:mm', timezone: Europe/Amsterdam }
  address.name: shipTo.name
  address.zip: shipTo.postalCode
  address.phone: shipTo.phone
  lines.line:
    each: lines
    fields:
      '@_no': line.lineId
      sku: line.sku
      ean: line.ean
      qty: line.quantity
      price: { path: line.unitPrice, decimalSeparator: ',' }
`);
    expect(m.extension).toBe('xml');
    expect(await render(m, [order])).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<orders>
  <order ref="A&amp;1">
    <created>2026-07-01 10:00</created>
    <address>
      <name>Jansen &amp; Zn &lt;BV&gt;</name>
      <zip>01069</zip>
    </address>
    <lines>
      <line no="1">
        <sku>A</sku>
        <ean>0871234567890</ean>
        <qty>2</qty>
        <price>6,95</price>
      </line>
      <line no="2">
        <sku>B</sku>
        <qty>1</qty>
      </line>
    </lines>
  </order>
</orders>
`);
  });

  it('JSON without fields writes the canonical records, pretty, with a trailing newline', async () => {
    const m = inline('kind: order\ndirection: output\nformat: json\n');
    expect(await render(m, [order, order])).toBe(JSON.stringify([order, order], null, 2) + '\n');
    expect(await render(m, [])).toBe('[]\n');
  });

  it('JSON with a root key and fields', async () => {
    const m = inline(`
kind: order
direction: output
format: json
json: { root: orders }
fields:
  ref: externalId
  items: { each: lines, fields: { sku: line.sku, qty: { path: line.quantity } } }
`);
    const want = { orders: [{ ref: 'A&1', items: [{ sku: 'A', qty: '2' }, { sku: 'B', qty: '1' }] }] };
    expect(await render(m, [order])).toBe(JSON.stringify(want, null, 2) + '\n');
  });

  it('NDJSON: one compact record per line', async () => {
    const m = inline('kind: order\ndirection: output\nformat: ndjson\n');
    expect(await render(m, [order, order])).toBe(`${JSON.stringify(order)}\n${JSON.stringify(order)}\n`);
  });

  it('CSV: lookups, defaults, a BOM, and one row for a record whose list is empty', async () => {
    const m = inline(`
kind: shipment
direction: output
format: csv
csv: { bom: true }
each: lines
columns:
  order: orderId
  carrier: { path: carrier, lookup: { POSTNL: PostNL }, default: onbekend }
  sku: line.sku
  qty: { path: line.quantity, default: 0 }
`);
    const text = await render(m, [{ merchant: 'demo', orderId: 'demo:x:1', shippedAt: '2026-07-01T08:00:00Z', carrier: 'POSTNL' }]);
    expect(text).toBe('\uFEFForder,carrier,sku,qty\ndemo:x:1,PostNL,,0\n');
  });
});
