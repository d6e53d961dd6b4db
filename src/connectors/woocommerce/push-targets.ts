import type { PushTarget } from '../types.js';
import type { WooConfig } from './config.js';

/**
 * The push ids of one raw record of `pullProducts`: a simple product → `{ productId }`; a variation
 * (pulled with `parent` added, see products.ts) → `{ productId: parent.id, variationId: id }`. The EAN
 * is WooCommerce's `global_unique_id` (GTIN/UPC/EAN/ISBN field, WooCommerce 9.2+) when set.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#product-properties
 */
export function productTargets(record: unknown, _config: WooConfig): PushTarget[] {
  void record;
  throw new Error('not implemented');
}
