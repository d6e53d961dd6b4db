/**
 * `wharf map --mapping <output mapping> FILE` through the real CLI: canonical records (JSON array,
 * one object, or NDJSON) rendered to stdout; invalid records named on stderr with nothing rendered.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, wharf } from '../helpers/e2e.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-map-out-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await fs.writeFile(p, text);
  return p;
}

const MAPPINGS = path.join(ROOT, 'mappings');

describe('wharf map with an output mapping', () => {
  it('renders a JSON array of stock records exactly as the export would', async () => {
    const records = await fs.readFile(path.join(ROOT, 'test/expected/stock.csv.records.json'), 'utf8');
    const withMerchant = (JSON.parse(records) as Record<string, unknown>[]).map((r) => ({ merchant: 'demo', ...r }));
    const r = await wharf(['map', await file('stock.json', JSON.stringify(withMerchant)), '--mapping', 'merchant-stock-csv', '--mappings', MAPPINGS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(await fs.readFile(path.join(ROOT, 'test/expected/stock.csv.merchant-stock-csv.csv'), 'utf8'));
    expect(r.stderr).toBe('');
  });

  it('renders one object and NDJSON', async () => {
    const one = await wharf(['map', await file('one.json', '{"merchant":"demo","sku":"A-1","quantity":-0}'), '--mapping', 'merchant-stock-csv', '--mappings', MAPPINGS]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe('SKU;EAN;Voorraad;Magazijn;Bijgewerkt\nA-1;;0;;\n');
    const nd = await wharf(['map', await file('s.ndjson', '{"merchant":"demo","sku":"A","quantity":3}\n\n{"merchant":"demo","sku":"=B","quantity":4,"warehouse":"W"}\n'), '--mapping', 'merchant-stock-csv', '--mappings', MAPPINGS]);
    expect(nd.code, nd.stderr).toBe(0);
    expect(nd.stdout).toBe("SKU;EAN;Voorraad;Magazijn;Bijgewerkt\nA;;3;;\n'=B;;4;W;\n");
  });

  it('invalid records: each named on stderr (record, line, field), nothing on stdout, exit 1', async () => {
    const r = await wharf(['map', await file('bad.ndjson', [
      '{"merchant":"demo","sku":"A","quantity":3}',
      '{"merchant":"demo","sku":"B","quantity":"many"}',
      '{"merchant":"demo","quantity":1}',
      '{not json',
    ].join('\n') + '\n'), '--mapping', 'merchant-stock-csv', '--mappings', MAPPINGS]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('bad.ndjson: record 2, line 2: quantity: "many" is not allowed: must be integer\n');
    expect(r.stderr).toContain('bad.ndjson: record 3, line 3: sku: is required but missing\n');
    expect(r.stderr).toMatch(/bad\.ndjson: record 4, line 4: .*JSON/);
    expect(r.stderr).toContain('3 of 4 record(s) are not valid stock records; nothing rendered');
  });

  it('a record of another kind is refused by the schema of the mapping kind', async () => {
    const r = await wharf(['map', await file('ship.json', '[{"merchant":"demo","sku":"A","quantity":1}]'), '--mapping', 'merchant-shipments-csv', '--mappings', MAPPINGS]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ship.json: record 1: orderId: is required but missing');
    expect(r.stderr).toContain('1 of 1 record(s) are not valid shipment records; nothing rendered');
  });

  it('validate still takes input mappings only (usage error, exit 2)', async () => {
    const r = await wharf(['validate', await file('x.json', '[]'), '--mapping', 'merchant-stock-csv', '--mappings', MAPPINGS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('merchant-stock-csv is an output mapping; validate takes input mappings');
  });
});
