import { WharfError } from '../../errors.js';
import type { StockBatchResult, StockUpdate } from '../types.js';
import { wooAuthQuery } from './auth.js';
import type { WooContext } from './context.js';

/**
 * WooCommerce's limit of create+update+delete items per batch request (more is refused with 413
 * `woocommerce_rest_request_entity_too_large`, "Unable to accept more than 100 items for this request.").
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-products
 */
export const WOO_BATCH_LIMIT = 100;

interface BatchItem {
  id?: number;
  error?: { code?: string; message?: string };
}

/**
 * Sets `stock_quantity` (with `manage_stock: true`) for one batch of at most 100 updates: simple
 * products through `POST /products/batch`, variations through `POST /products/{parent}/variations/batch`
 * (one request per parent, never more than 100 items each). Stock quantities are absolute, so a
 * request retried after a lost answer sets the same values again. Per-item errors of the batch answer
 * (`{ id, error: { code, message } }`, e.g. `woocommerce_rest_product_invalid_id`) become `refused`;
 * an item the answer does not mention is refused too (never assumed done). Throws what the HTTP
 * helper throws: TransportError (retryable) for network trouble, 429 and 5xx; a non-retryable
 * AUTH_FAILED for a read-only key.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-product-variations
 */
export async function pushStock(ctx: WooContext, batch: StockUpdate[]): Promise<StockBatchResult> {
  if (batch.length > WOO_BATCH_LIMIT) throw new WharfError('USAGE', `woocommerce: a stock batch holds at most ${WOO_BATCH_LIMIT} updates, got ${batch.length}`);
  const groups = new Map<string, { path: string; items: { id: number; sku: string; quantity: number }[] }>();
  for (const u of batch) {
    const productId = Number(u.ids.productId);
    const variationId = u.ids.variationId === undefined ? undefined : Number(u.ids.variationId);
    const path = variationId === undefined ? '/products/batch' : `/products/${encodeURIComponent(String(productId))}/variations/batch`;
    const g = groups.get(path) ?? { path, items: [] };
    g.items.push({ id: variationId ?? productId, sku: u.sku, quantity: u.quantity });
    groups.set(path, g);
  }
  const result: StockBatchResult = { done: [], refused: [] };
  for (const g of groups.values()) {
    const res = await ctx.http.request<{ update?: BatchItem[] }>({
      method: 'POST', idempotent: true,
      path: g.path,
      query: wooAuthQuery(ctx.config),
      json: { update: g.items.map((i) => ({ id: i.id, manage_stock: true, stock_quantity: i.quantity })) },
      signal: ctx.signal,
    });
    const answered = new Map<number, BatchItem>();
    for (const item of Array.isArray(res.body?.update) ? res.body.update : []) if (item && typeof item.id === 'number') answered.set(item.id, item);
    for (const i of g.items) {
      const a = answered.get(i.id);
      if (!a) result.refused.push({ sku: i.sku, message: `WooCommerce's batch answer does not mention item ${i.id}` });
      else if (a.error) result.refused.push({ sku: i.sku, message: `${a.error.message ?? 'refused'}${a.error.code ? ` (${a.error.code})` : ''}` });
      else result.done.push(i.sku);
    }
  }
  return result;
}
