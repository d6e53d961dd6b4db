import type { StockBatchResult, StockUpdate } from '../types.js';
import type { WooContext } from './context.js';

/** WooCommerce's limit of create+update+delete items per batch request. https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-products */
export const WOO_BATCH_LIMIT = 100;

/**
 * Sets `stock_quantity` (with `manage_stock: true`) for one batch: simple products through
 * `POST /products/batch`, variations through `POST /products/{parent}/variations/batch`, each request
 * at most 100 items. Per-item errors of the batch answer (`{ id, error: { code, message } }`) become
 * `refused`. https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-product-variations
 */
export async function pushStock(ctx: WooContext, batch: StockUpdate[]): Promise<StockBatchResult> {
  void ctx; void batch;
  throw new Error('not implemented');
}
