import type { RecordKind } from '../schemas.js';
import type { CheckedItem } from './checked.js';

/**
 * How a chunk of checked items crosses from the read worker to the pipeline: JSON text (JSON.stringify
 * and JSON.parse are several times cheaper than postMessage's structured clone of many small objects).
 * A valid stock item travels as a tuple `[recordNo, line, merchant, sku, ean, quantity, warehouse,
 * asOf]` (null for an absent field) instead of an object with its keys: a warehouse report is mostly
 * such items, and at 200,000 of them the keys were most of the text both threads handled. Every other
 * item (another kind, or a record with problems) travels as it is.
 */
type StockTuple = [recordNo: number, line: number | null, merchant: string, sku: string, ean: string | null, quantity: number, warehouse: string | null, asOf: string | null];

/** `items` as the text `decodeItems(kind, text)` turns back into equal items. */
export function encodeItems(kind: RecordKind, items: readonly CheckedItem[]): string {
  if (kind !== 'stock') return JSON.stringify(items);
  const out = new Array<StockTuple | CheckedItem>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const c = item.canonical;
    // The stock schema is closed (merchant, sku, ean, quantity, warehouse, asOf): a valid record has no other field.
    out[i] = c && item.problems.length === 0
      ? [item.recordNo, item.line ?? null, c.merchant as string, c.sku as string, (c.ean as string | undefined) ?? null, c.quantity as number, (c.warehouse as string | undefined) ?? null, (c.asOf as string | undefined) ?? null]
      : item;
  }
  return JSON.stringify(out);
}

/** The items `encodeItems(kind, …)` encoded; a stock record's fields come back in its schema's order. */
export function decodeItems(kind: RecordKind, text: string): CheckedItem[] {
  const parsed = JSON.parse(text) as (StockTuple | CheckedItem)[];
  if (kind !== 'stock') return parsed as CheckedItem[];
  const items = new Array<CheckedItem>(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i]!;
    if (!Array.isArray(p)) {
      items[i] = p;
      continue;
    }
    const canonical: Record<string, unknown> = { merchant: p[2], sku: p[3] };
    if (p[4] !== null) canonical.ean = p[4];
    canonical.quantity = p[5];
    if (p[6] !== null) canonical.warehouse = p[6];
    if (p[7] !== null) canonical.asOf = p[7];
    const item: CheckedItem = { recordNo: p[0], problems: [], canonical };
    if (p[1] !== null) item.line = p[1];
    items[i] = item;
  }
  return items;
}
