import type { StockLevel } from '../ledger/store.js';

/** A ledger stock level as a canonical stock record (schemas/stock.schema.json). */
export function stockRecord(l: StockLevel): Record<string, unknown> {
  // Assigned one by one, in the schema's order (merchant, sku, ean, quantity, warehouse, asOf): the
  // conditional spreads this replaced took V8's slow object-spread path once per exported level.
  const r: Record<string, unknown> = { merchant: l.merchant, sku: l.sku };
  if (l.ean) r.ean = l.ean;
  r.quantity = l.quantity;
  if (l.location !== '') r.warehouse = l.location;
  // '' for a computed bundle level none of whose components has a level at that location.
  if (l.asOf !== '') r.asOf = l.asOf;
  return r;
}

/**
 * A page of stock levels as columns (one array per field, same length), as it crosses to the render
 * worker: postMessage clones a few arrays of strings several times cheaper than many small objects
 * (measured: 200,000 levels ~50 ms as columns against ~140 ms as objects, both threads together).
 */
export interface StockColumns {
  merchant: string[];
  sku: string[];
  location: string[];
  quantity: number[];
  ean: (string | null)[];
  asOf: string[];
}

/** `levels` as columns (see StockColumns). */
export function toColumns(levels: readonly StockLevel[]): StockColumns {
  const n = levels.length;
  const c: StockColumns = { merchant: new Array(n), sku: new Array(n), location: new Array(n), quantity: new Array(n), ean: new Array(n), asOf: new Array(n) };
  for (let i = 0; i < n; i++) {
    const l = levels[i]!;
    c.merchant[i] = l.merchant;
    c.sku[i] = l.sku;
    c.location[i] = l.location;
    c.quantity[i] = l.quantity;
    c.ean[i] = l.ean;
    c.asOf[i] = l.asOf;
  }
  return c;
}

/** The i-th level of `c` (0-based) as a canonical stock record, the same as `stockRecord` of it. */
export function columnRecord(c: StockColumns, i: number): Record<string, unknown> {
  return stockRecord({ merchant: c.merchant[i]!, sku: c.sku[i]!, location: c.location[i]!, quantity: c.quantity[i]!, ean: c.ean[i] ?? null, asOf: c.asOf[i]! });
}

/**
 * Which stock records still need the schema check when rendered: the computed bundle levels (SKUs in
 * `computedSkus`; their SKUs come from lookup tables and product records, never checked as stock),
 * and any level without an asOf (only a computed level has none). A reported level was checked as a
 * stock record by the intake before it was stored (src/pipeline/records.ts), and the claim copies it
 * unchanged.
 */
export function computedLevel(computedSkus: readonly string[]): (record: Record<string, unknown>) => boolean {
  const bundleSkus = new Set(computedSkus);
  return (record) => bundleSkus.has(record.sku as string) || record.asOf === undefined;
}
