import { describe, expect, it } from 'vitest';
import { checkRecord, expected, inputMapping, readAll, userErrors, withPipelineFields, type ExpectedError } from './helpers.js';

const GOOD: [file: string, mapping: string][] = [
  ['samples/orders-semicolon.csv', 'demo-orders-csv'],
  ['samples/orders-cancel.csv', 'demo-orders-csv'],
  ['samples/orders.xml', 'demo-orders-xml'],
  ['samples/orders.json', 'demo-orders-json'],
  ['samples/warehouse/stock.csv', 'warehouse-stock-csv'],
  ['samples/warehouse/shipments.csv', 'warehouse-shipments-csv'],
];

const BROKEN: [file: string, mapping: string][] = [
  ['samples/broken/orders-broken.csv', 'demo-orders-csv'],
  ['samples/broken/orders-broken.xml', 'demo-orders-xml'],
  ['samples/broken/orders-broken.json', 'demo-orders-json'],
];

describe('good samples map to their expected records', () => {
  for (const [file, name] of GOOD) {
    it(`${file} with ${name}`, async () => {
      const mapping = await inputMapping(name);
      const records = await readAll(mapping, file);
      expect(records.flatMap((r) => r.errors)).toEqual([]);
      const want = await expected<unknown[]>(`${file.split('/').pop()}.records.json`);
      expect(records.map((r) => r.value)).toEqual(want);
      // Byte-for-byte key order too: the canonical output must be deterministic.
      expect(JSON.stringify(records.map((r) => r.value))).toBe(JSON.stringify(want));
      expect(records.map((r) => r.recordNo)).toEqual(want.map((_, i) => i + 1));
      for (const r of records) {
        expect(Object.keys(r.value!)).not.toContain('id');
        expect(Object.keys(r.value!)).not.toContain('source');
        expect(checkRecord(mapping.kind, withPipelineFields(mapping.kind, r.value!))).toEqual([]);
      }
    });
  }

  it('reports the line where each grouped CSV record starts', async () => {
    const records = await readAll(await inputMapping('demo-orders-csv'), 'samples/orders-semicolon.csv');
    expect(records.map((r) => r.line)).toEqual([2, 4, 5, 8, 9]);
  });

  it('reports the line of each XML record element', async () => {
    const records = await readAll(await inputMapping('demo-orders-xml'), 'samples/orders.xml');
    expect(records.map((r) => r.line)).toEqual([4, 40, 68]);
  });

  it('the cancel file re-sends an order of orders-semicolon.csv as cancelled', async () => {
    const mapping = await inputMapping('demo-orders-csv');
    const [original] = (await readAll(mapping, 'samples/orders-semicolon.csv')).filter((r) => r.value?.externalId === 'WEB-10422');
    const [cancel] = await readAll(mapping, 'samples/orders-cancel.csv');
    expect(original!.value!.status).toBe('open');
    expect(cancel!.value!.status).toBe('cancelled');
    expect(cancel!.value!.externalId).toBe(original!.value!.externalId);
  });
});

describe('broken samples report their exact errors', () => {
  for (const [file, name] of BROKEN) {
    it(`${file} with ${name}`, async () => {
      const got = await userErrors(await inputMapping(name), file);
      expect(got).toEqual(await expected<ExpectedError[]>(`${file.split('/').pop()}.errors.json`));
    });
  }

  it('the valid orders of a broken CSV still map', async () => {
    const records = await readAll(await inputMapping('demo-orders-csv'), 'samples/broken/orders-broken.csv');
    expect(records.filter((r) => r.errors.length === 0).map((r) => r.value!.externalId)).toEqual(['WEB-20002', 'WEB-20006', 'WEB-20007', 'WEB-20008']);
  });
});
