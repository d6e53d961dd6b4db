import { WharfError } from '../../errors.js';
import type { StockBatchResult, StockUpdate } from '../types.js';
import { lsRequest, type LightspeedContext } from './context.js';

/**
 * Stock updates per `pushStock` call. Lightspeed takes one variant per request (`PUT /variants/{id}.json`),
 * so this is only the unit of progress and bookkeeping, not a platform limit: 50 requests are about
 * 50 s at the channel's default pace (1 request/s, the 300-per-5-minutes window).
 */
export const LIGHTSPEED_STOCK_BATCH = 50;

interface LsVariantAnswer {
  variant?: { id?: number; stockLevel?: number; stockTracking?: string };
}

/**
 * Sets the absolute stock of each variant of the batch, one `PUT /variants/{variantId}.json` with
 * `{ "variant": { "stockLevel": <quantity> } }` each, in order, through the channel's rate limiter (and
 * the pauses the `X-RateLimit-*` headers ask for), so a push of thousands of SKUs is paced, never refused.
 * https://developers.lightspeedhq.com/ecom/endpoints/variant/#put-update-a-variant — `stockLevel` and
 * `stockTracking` (`disabled` | `enabled` | `indicator`) are the variant's fields as the API returns
 * them; that `stockLevel` alone may be PUT is unverified against a live shop (DESIGN.md). The
 * official client's `PUT variants/bulk` is not used: its body format is not documented.
 *
 * Wharf never changes `stockTracking` (the merchant's choice); a variant whose answer says
 * `stockTracking: "disabled"` is reported in `refused` (the level is stored but the shop does not use it).
 * Per-variant refusals (404 variant deleted, 400/422 invalid value) go into `refused` with Lightspeed's
 * message. Throws: a non-retryable AUTH_FAILED WharfError when the key may not write products (the
 * whole batch), a retryable TransportError for timeouts, resets, 429 and 5xx.
 */
export async function pushStock(ctx: LightspeedContext, batch: StockUpdate[]): Promise<StockBatchResult> {
  const out: StockBatchResult = { done: [], refused: [] };
  for (const u of batch) {
    const variantId = u.ids.variantId;
    if (variantId === undefined || variantId === '') {
      out.refused.push({ sku: u.sku, message: 'no Lightspeed variant id is known for this SKU (pull the products again)' });
      continue;
    }
    try {
      const res = await lsRequest<LsVariantAnswer>(ctx, {
        method: 'PUT', idempotent: true,
        path: `/variants/${encodeURIComponent(String(variantId))}.json`,
        json: { variant: { stockLevel: u.quantity } },
      });
      if (res.body?.variant?.stockTracking === 'disabled') {
        out.refused.push({ sku: u.sku, message: `Lightspeed stored stockLevel ${u.quantity} for variant ${variantId}, but stock tracking is off for it (stockTracking: disabled), so the shop ignores it; turn stock tracking on for this product in the Lightspeed back office` });
      } else {
        out.done.push(u.sku);
      }
    } catch (err) {
      if (err instanceof WharfError && !err.retryable && err.code !== 'AUTH_FAILED') {
        out.refused.push({ sku: u.sku, message: err.message });
        continue;
      }
      throw err;
    }
  }
  return out;
}
