import type { PushTarget } from '../types.js';
import type { WooConfig } from './config.js';

/**
 * The push ids of one raw record of `pullProducts`: a simple product → `{ productId }`; a variation
 * (pulled with `parent` added, see products.ts) → `{ productId: parent.id, variationId: id }`. The EAN
 * is WooCommerce's `global_unique_id` (GTIN/UPC/EAN/ISBN field, WooCommerce 9.2+) when set. A record
 * without a SKU or a numeric id gives no target.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#product-properties
 */
export function productTargets(record: unknown, _config: WooConfig): PushTarget[] {
  if (!record || typeof record !== 'object') return [];
  const r = record as { id?: unknown; sku?: unknown; global_unique_id?: unknown; parent?: { id?: unknown } };
  const sku = typeof r.sku === 'string' ? r.sku.trim() : '';
  const id = Number(r.id);
  if (!sku || !Number.isSafeInteger(id) || id <= 0) return [];
  const ean = typeof r.global_unique_id === 'string' && r.global_unique_id.trim() ? r.global_unique_id.trim() : null;
  const parent = r.parent && typeof r.parent === 'object' ? Number(r.parent.id) : NaN;
  if (Number.isSafeInteger(parent) && parent > 0) return [{ sku, ean, ids: { productId: parent, variationId: id } }];
  return [{ sku, ean, ids: { productId: id } }];
}
