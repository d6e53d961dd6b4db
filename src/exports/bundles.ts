import { WharfError } from '../errors.js';
import type { BundleComponent, LookupTable } from '../mapping/lookups.js';

/** One bundle: a SKU sold as a set of other SKUs, each `quantity` times per bundle. */
export interface BundleDefinition {
  sku: string;
  /** Components with distinct SKUs (a SKU listed twice is merged, quantities added), quantity >= 1. */
  components: BundleComponent[];
  /** Where the definition came from, for messages: `lookup <name>` or `product record` (of channel …). */
  source: string;
}

/** A canonical product record as far as bundles go (schemas/product.schema.json). */
export interface ProductWithComponents {
  sku: string;
  components?: { sku: string; quantity: number }[];
  /** For messages (default `product record`), e.g. `product record of channel shop`. */
  source?: string;
}

/** The result of collecting one merchant's bundle definitions. */
export interface BundleSet {
  /** Bundle SKU → definition. */
  bundles: Map<string, BundleDefinition>;
  /** Bundle SKUs defined differently by two sources (the later one, a product record, won), one line each. */
  conflicts: string[];
}

function normalise(sku: string, parts: readonly { sku: string; quantity?: number }[], source: string): BundleDefinition {
  const bySku = new Map<string, number>();
  for (const c of parts) {
    const q = c.quantity ?? 1;
    if (typeof c.sku !== 'string' || c.sku === '' || !Number.isInteger(q) || q < 1) {
      throw new WharfError('CONFIG_INVALID', `bundle ${JSON.stringify(sku)} (${source}) has a component that is not { sku, quantity >= 1 }`, {
        where: source,
        hint: 'list components like [{ sku: MUG-01, quantity: 2 }]',
      });
    }
    bySku.set(c.sku, (bySku.get(c.sku) ?? 0) + q);
  }
  return { sku, components: [...bySku].map(([s, quantity]) => ({ sku: s, quantity })), source };
}

function same(a: BundleDefinition, b: BundleDefinition): boolean {
  const key = (d: BundleDefinition) => d.components.map((c) => `${c.sku}\u0000${c.quantity}`).sort().join('\u0001');
  return key(a) === key(b);
}

/**
 * One merchant's bundle definitions from (a) lookup tables that input mappings use as `bundles`
 * (values `[{ sku, quantity }]`, quantity default 1; see src/mapping/lookups.ts) and (b) canonical
 * product records with `components`. A product record without components is no bundle. When both
 * define a SKU, the product record (the shop's current catalogue) wins and the difference, if any,
 * is listed in `conflicts`. Lookup keys keep the case they were written in.
 * Throws CONFIG_INVALID for a component without sku or with a quantity below 1.
 */
export function collectBundles(sources: { lookups?: Iterable<LookupTable>; products?: Iterable<ProductWithComponents> }): BundleSet {
  const bundles = new Map<string, BundleDefinition>();
  const conflicts: string[] = [];
  const put = (def: BundleDefinition) => {
    const before = bundles.get(def.sku);
    if (before && !same(before, def)) conflicts.push(`bundle ${JSON.stringify(def.sku)}: ${def.source} differs from ${before.source}; using ${def.source}`);
    bundles.set(def.sku, def);
  };
  for (const table of sources.lookups ?? []) {
    for (const [sku, value] of table.entries()) {
      if (!Array.isArray(value)) {
        throw new WharfError('CONFIG_INVALID', `lookup "${table.name}" is used for bundles, but ${JSON.stringify(sku)} is not a list of components`, {
          where: `lookup ${table.name}`,
          hint: 'each value must be a list like [{ sku: MUG-01, quantity: 2 }]',
        });
      }
      put(normalise(sku, value as BundleComponent[], `lookup ${table.name}`));
    }
  }
  for (const p of sources.products ?? []) {
    if (p.components && p.components.length > 0) put(normalise(p.sku, p.components, p.source ?? 'product record'));
  }
  return { bundles, conflicts };
}

/**
 * Stock of one bundle from its components' stock: for each component floor(stock / quantity per
 * bundle), and the minimum over the components. A component with no stock level (`stockOf` returns
 * undefined) counts as 0, so the bundle shows 0 rather than a number the warehouse cannot pack.
 * Components are read as physical stock (a component that is itself a bundle is not expanded).
 * Negative stock counts as 0.
 */
export function bundleStock(bundle: BundleDefinition, stockOf: (sku: string) => number | undefined): number {
  let min = Infinity;
  for (const c of bundle.components) {
    const have = Math.max(0, stockOf(c.sku) ?? 0);
    min = Math.min(min, Math.floor(have / c.quantity));
  }
  return min === Infinity ? 0 : min;
}

/** One computed bundle stock level (sku, quantity) at one location. */
export interface BundleStockLevel {
  sku: string;
  quantity: number;
}

/**
 * The stock levels of every bundle of a merchant (in SKU order), for one stock location: call it
 * once per warehouse with that location's `stockOf`. A computed level replaces any stock the
 * warehouse reports for the bundle SKU itself (a bundle is packed from its components); exports and
 * pushes get these levels with their claimed content (src/exports/stock-levels.ts).
 */
export function* bundleStockLevels(set: BundleSet, stockOf: (sku: string) => number | undefined): Generator<BundleStockLevel> {
  for (const sku of [...set.bundles.keys()].sort()) yield { sku, quantity: bundleStock(set.bundles.get(sku)!, stockOf) };
}
