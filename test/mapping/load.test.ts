import { mkdtempSync, mkdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { listMappingNames, loadMapping } from '../../src/mapping/index.js';
import { inline, MAPPINGS } from './helpers.js';

/** Scratch folders of this file, removed at the end. */
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'wharf-map-'));
  scratch.push(d);
  return d;
};

function problem(yaml: string): WharfError {
  try {
    inline(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('MAPPING_INVALID');
    return err as WharfError;
  }
  throw new Error('expected MAPPING_INVALID');
}

const F = 'mappings/inline-test.yaml';

describe('mapping file errors name the file and the field', () => {
  it.each([
    ['an unknown canonical field', 'kind: order\nformat: csv\nfields:\n  externalId: A\n  shipTo.zip: B\n', `${F}: fields.shipTo.zip: "zip" is not a field of "shipTo"`],
    ['a misspelt keyword (schema)', 'kind: order\nformat: csv\nfields:\n  externalId: { paht: A }\n', `${F}: fields.externalId.paht: is not a known field`],
    ['an unknown type', 'kind: order\nformat: csv\nfields:\n  externalId: { path: A, type: money }\n', `${F}: fields.externalId.type: must be one of "string", "integer", "decimal", "date", "boolean"`],
    ['a missing kind', 'format: csv\nfields:\n  externalId: A\n', `${F}: kind: is required but missing`],
    ['a moment-style date pattern', "kind: order\nformat: csv\nfields:\n  createdAt: { path: A, pattern: 'DD-MM-YYYY' }\n", `${F}: fields.createdAt.pattern: "DD-MM-YYYY" uses YYYY, which luxon does not know: years are yyyy`],
    ['a misspelt time zone', 'kind: order\nformat: csv\nfields:\n  createdAt: { path: A, timezone: Europe/Amsterdm }\n', `${F}: fields.createdAt.timezone: "Europe/Amsterdm" is not an IANA time zone`],
    ['a local-time pattern without a time zone', "kind: stock\nformat: csv\nfields:\n  sku: A\n  quantity: B\n  asOf: { path: C, pattern: 'yyyy-MM-dd HH:mm:ss' }\n", `${F}: fields.asOf.timezone: pattern 'yyyy-MM-dd HH:mm:ss' has no UTC offset, so the time zone its times are in must be given`],
    ['a JSONata syntax error', 'kind: order\nformat: json\nfields:\n  shipTo.name: { expr: "first & & last" }\n', `${F}: fields.shipTo.name.expr: JSONata syntax error at position 9: The symbol "&" cannot be used as a unary operator`],
    ['an unknown lookup', 'kind: order\nformat: csv\nfields:\n  shipTo.country: { path: A, lookup: land }\n', `${F}: fields.shipTo.country.lookup: no lookup named "land"`],
    ['a field the pipeline sets', 'kind: order\nformat: csv\nfields:\n  merchant: A\n', `${F}: fields.merchant: "merchant" is filled in by Wharf (from the config and the file), not by a mapping`],
    ['a list mapped as one value', 'kind: order\nformat: csv\nfields:\n  lines: A\n', `${F}: fields.lines: "lines" is a list; map it with from: (where its elements are) and fields: (what each element holds)`],
    ['a nested list in CSV', 'kind: order\nformat: csv\nfields:\n  lines: { from: items, fields: { sku: A } }\n', `${F}: fields.lines.from: a CSV record has no nested lists: use from: rows (the rows grouped by groupBy) or from: "."`],
    ['a lookup file outside mappings/', 'kind: order\nformat: csv\nlookups:\n  x: { file: ../../etc/passwd }\nfields:\n  externalId: A\n', `${F}: lookups.x.file: "../../etc/passwd" must be a path inside the mappings folder, e.g. lookups/countries.yaml`],
    ['a default of the wrong type', "kind: order\nformat: csv\nfields:\n  lines: { from: rows, fields: { sku: A, quantity: { path: B, default: 'een' } } }\n", `${F}: fields.lines.fields.quantity.default: "een" is not a whole number`],
    ['a pattern on a non-date', "kind: stock\nformat: csv\nfields:\n  sku: { path: A, pattern: 'dd-MM-yyyy' }\n", `${F}: fields.sku.pattern: only applies to type: date`],
    ['settings of another format', 'kind: stock\nformat: csv\nxml: { record: a.b }\nfields: { sku: A }\n', `${F}: xml: this mapping's format is csv; xml: settings do not apply`],
    ['bundles that are not component lists', 'kind: order\nformat: csv\nlookups: { b: { values: { X: Y } } }\nfields:\n  lines: { from: rows, bundles: b, fields: { sku: A } }\n', `${F}: fields.lines.bundles: lookup "b" is used for bundles, so each value must be a list like [{ sku: MUG-01, quantity: 2 }]`],
    ['an XML mapping without its record element', 'kind: stock\nformat: xml\nfields: { sku: A }\n', `${F}: xml.record: is required: the dotted path of the record element, e.g. orders.order`],
    ['a CSV output mapping without columns', 'kind: stock\ndirection: output\nformat: csv\n', `${F}: columns: a CSV output mapping needs columns: (column name → canonical field)`],
  ])('%s', (_what, yaml, message) => {
    const err = problem(yaml);
    expect(err.message).toBe(message);
    expect(err.details.where).toBe(F);
  });

  it('reports YAML syntax errors with their line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'kind: order\nformat: csv\nfields:\n  externalId: { path: A\n  note: B\n');
    const err = await loadMapping('bad', dir).then(() => undefined, (e: unknown) => e as WharfError);
    expect(err?.code).toBe('MAPPING_INVALID');
    expect(err?.message).toMatch(/bad\.yaml: .*line \d+/);
  });
});

describe('loadMapping', () => {
  it('compiles every mapping in mappings/', async () => {
    const names = listMappingNames(MAPPINGS);
    // Connectors add their own mappings; these are the core's, and every mapping present must compile.
    expect(names).toEqual(expect.arrayContaining([
      'demo-orders-csv', 'demo-orders-json', 'demo-orders-xml', 'merchant-shipments-csv', 'merchant-stock-csv',
      'warehouse-orders-csv', 'warehouse-shipments-csv', 'warehouse-stock-csv',
    ]));
    for (const n of names) {
      const m = await loadMapping(n, MAPPINGS);
      expect(m.name).toBe(n);
      expect(m.file).toBe(join(MAPPINGS, `${n}.yaml`));
    }
  });

  it('says which mappings exist when a name is not found', async () => {
    const err = await loadMapping('demo-orders-xls', MAPPINGS).then(() => undefined, (e: unknown) => e as WharfError);
    expect(err?.code).toBe('MAPPING_NOT_FOUND');
    expect(err?.message).toBe('mapping "demo-orders-xls" not found: mappings/demo-orders-xls.yaml does not exist');
    expect(err?.details.hint).toMatch(/demo-orders-csv, demo-orders-json/);
  });

  it('refuses names that are paths', async () => {
    await expect(loadMapping('../etc/passwd', MAPPINGS)).rejects.toMatchObject({ code: 'MAPPING_INVALID' });
  });

  it('caches per file and recompiles when the file changes', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'lookups'));
    const file = join(dir, 'm.yaml');
    writeFileSync(file, 'kind: stock\nformat: csv\nfields: { sku: A, quantity: B }\n');
    const a = await loadMapping('m', dir);
    expect(await loadMapping('m', dir)).toBe(a);
    writeFileSync(file, 'kind: stock\nformat: csv\nfields: { sku: A, quantity: C, ean: E }\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(await loadMapping('m', dir)).not.toBe(a);
  });
});
