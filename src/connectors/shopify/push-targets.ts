import type { PushTarget } from '../types.js';
import type { ShopifyConfig } from './config.js';

interface VariantRecord {
  id?: unknown;
  sku?: unknown;
  barcode?: unknown;
  inventoryItem?: { id?: unknown } | null;
}

/**
 * The push ids of one product variant of the product pull (products.ts): the variant's SKU, its
 * barcode as EAN, and `{ inventoryItemId, variantId }` (GraphQL ids). Stock is set on the inventory
 * item at the channel's `locationId`. A variant without SKU or without inventory item is no target.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/objects/ProductVariant (sku, barcode, inventoryItem)
 */
export function productTargets(record: unknown, _config: ShopifyConfig): PushTarget[] {
  if (typeof record !== 'object' || record === null) return [];
  const v = record as VariantRecord;
  const sku = typeof v.sku === 'string' ? v.sku.trim() : '';
  const item = v.inventoryItem?.id;
  if (!sku || typeof item !== 'string' || !item) return [];
  const barcode = typeof v.barcode === 'string' && v.barcode.trim() ? v.barcode.trim() : null;
  const ids: PushTarget['ids'] = { inventoryItemId: item };
  if (typeof v.id === 'string') ids.variantId = v.id;
  return [{ sku, ean: barcode, ids }];
}
