import { describe, expect, it } from 'vitest';
import { bundleStock, bundleStockLevels, collectBundles } from '../../src/exports/bundles.js';
import { inline } from '../mapping/helpers.js';
import { buildLookup } from '../../src/mapping/lookups.js';
import { problemsFor } from '../../src/mapping/problems.js';

const table = (values: Record<string, unknown>, name = 'bundles') => buildLookup(name, { values }, '/tmp/m.yaml', `lookups.${name}`, problemsFor('/tmp/m.yaml'));
const stock = (levels: Record<string, number>) => (sku: string) => levels[sku];

describe('bundle stock from components', () => {
  it('min over components of floor(component stock / quantity per bundle)', () => {
    const { bundles } = collectBundles({ lookups: [table({ 'GIFT-SET': [{ sku: 'TEA', quantity: 2 }, { sku: 'MUG', quantity: 1 }, { sku: 'SPOON', quantity: 3 }] })] });
    const def = bundles.get('GIFT-SET')!;
    expect(bundleStock(def, stock({ TEA: 9, MUG: 7, SPOON: 14 }))).toBe(4); // 4, 7, 4
    expect(bundleStock(def, stock({ TEA: 20, MUG: 3, SPOON: 30 }))).toBe(3); // 10, 3, 10
    expect(bundleStock(def, stock({ TEA: 1, MUG: 7, SPOON: 14 }))).toBe(0); // floor(1/2) = 0
  });

  it('a missing component counts as 0, negative stock as 0', () => {
    const { bundles } = collectBundles({ lookups: [table({ DUO: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }] })] });
    expect(bundleStock(bundles.get('DUO')!, stock({ A: 50 }))).toBe(0);
    expect(bundleStock(bundles.get('DUO')!, stock({ A: 50, B: -2 }))).toBe(0);
  });

  it('quantity defaults to 1 and a SKU listed twice adds up', () => {
    const { bundles } = collectBundles({ lookups: [table({ 'Twin-Pack': [{ sku: 'A' }, { sku: 'A' }] })] });
    expect(bundles.get('Twin-Pack')!.components).toEqual([{ sku: 'A', quantity: 2 }]); // key keeps its case
    expect(bundleStock(bundles.get('Twin-Pack')!, stock({ A: 7 }))).toBe(3);
  });

  it('product records with components define bundles and win over a lookup, with the conflict listed', () => {
    const set = collectBundles({
      lookups: [table({ BOX: [{ sku: 'A', quantity: 1 }], PAIR: [{ sku: 'B', quantity: 2 }] })],
      products: [
        { sku: 'BOX', components: [{ sku: 'A', quantity: 3 }] },
        { sku: 'PAIR', components: [{ sku: 'B', quantity: 2 }] },
        { sku: 'A' },
        { sku: 'TRIO', components: [{ sku: 'A', quantity: 1 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 1 }] },
      ],
    });
    expect(set.conflicts).toEqual(['bundle "BOX": product record differs from lookup bundles; using product record']);
    expect([...bundleStockLevels(set, stock({ A: 10, B: 5, C: 1 }))]).toEqual([
      { sku: 'BOX', quantity: 3 },
      { sku: 'PAIR', quantity: 2 },
      { sku: 'TRIO', quantity: 1 },
    ]);
  });

  it('reads the bundles lookup of a real input mapping', () => {
    const m = inline(`
kind: order
format: csv
lookups:
  sets: { values: { GIFT: [{ sku: TEA, quantity: 2 }, { sku: MUG }] } }
fields:
  externalId: ID
  createdAt: DATE
  shipTo.name: NAME
  shipTo.street: STREET
  shipTo.postalCode: ZIP
  shipTo.city: CITY
  shipTo.country: COUNTRY
  lines: { from: ".", bundles: sets, fields: { sku: SKU, quantity: QTY } }
`);
    expect(m.bundleTables!.map((t) => t.name)).toEqual(['sets']);
    const set = collectBundles({ lookups: m.bundleTables });
    expect([...bundleStockLevels(set, stock({ TEA: 5, MUG: 1 }))]).toEqual([{ sku: 'GIFT', quantity: 1 }]);
  });

  it('refuses a lookup value that is no component list', () => {
    expect(() => collectBundles({ lookups: [table({ X: 'Y' })] })).toThrow(/lookup "bundles" is used for bundles, but "X" is not a list of components/);
    expect(() => collectBundles({ products: [{ sku: 'P', components: [{ sku: 'A', quantity: 0 }] }] })).toThrow(/bundle "P" \(product record\) has a component that is not/);
  });
});
