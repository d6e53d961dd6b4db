import { WharfError } from '../../errors.js';
import type { StockBatchResult, StockUpdate } from '../types.js';
import { bolDefaults } from './config.js';
import type { BolContext } from './context.js';

/**
 * Updates per `pushStock` call. bol has no batch endpoint (one request per offer); a batch is the unit
 * of progress and of the concurrency pool, not a bol limit.
 */
export const BOL_STOCK_BATCH = 50;

/**
 * Highest stock amount Wharf sends. bol's v10 stock request documents amount 0–999
 * (UpdateOfferStockRequest); the v11 spec gives no maximum — unverified whether v11 accepts more, so
 * Wharf keeps bol's documented ceiling: a larger quantity is sent as 999 (and logged).
 */
export const BOL_MAX_STOCK = 999;

/**
 * Sets the stock of one batch of offers through the Offers API v11: `PATCH /retailer/offers/{offer-id}`
 * with `{ stock: { amount, managedByRetailer } }` (`Content-Type`/`Accept: application/vnd.retailer.v11+json`),
 * answered 204 — v11 processes offer updates synchronously, there is no process status to poll (the
 * deprecated v10 `PUT /retailer/offers/{offer-id}/stock` answered 202 with one). Up to `stockConcurrency`
 * offers at a time, each request through the channel's rate limiter and bol's per-endpoint budget
 * (`PATCH /retailer/offers/*`; 429 waits for Retry-After). Absolute amounts: sending again is harmless.
 * An offer bol refuses (400 with violations, 404 unknown offer) goes into `refused` with bol's message.
 * https://api.bol.com/retailer/public/Retailer-API/v11/functional/offer-api/whats-new-in-this-api.html
 * https://api.bol.com/registry/api-definitions/offers/offers-v11.yaml (update-offer, PatchOfferRequest.stock)
 * @throws WharfError AUTH_FAILED (not retryable) when bol says the credentials may not write offers (403);
 *   a retryable WharfError for transport trouble (the whole batch is sent again; amounts are absolute).
 */
export async function pushStock(ctx: BolContext, batch: StockUpdate[]): Promise<StockBatchResult> {
  const done: string[] = [];
  const refused: { sku: string; message: string }[] = [];
  const managedByRetailer = ctx.config.stockManagedByRetailer ?? bolDefaults.stockManagedByRetailer;
  const budget = new Budget(ctx);
  await eachLimited(batch, ctx.config.stockConcurrency ?? bolDefaults.stockConcurrency, async (u) => {
    const offerId = u.ids.offerId;
    if (typeof offerId !== 'string' || offerId === '') {
      refused.push({ sku: u.sku, message: 'bol: no offer id known for this SKU (run the product pull)' });
      return;
    }
    const amount = Math.max(0, Math.min(Math.floor(u.quantity), BOL_MAX_STOCK));
    if (amount !== u.quantity) ctx.http.logger.info({ sku: u.sku, quantity: u.quantity, sent: amount }, `bol: stock above ${BOL_MAX_STOCK} sent as ${BOL_MAX_STOCK} (bol's ceiling)`);
    await budget.acquire();
    let headers: Headers | undefined;
    try {
      const res = await ctx.http.request({
        method: 'PATCH', idempotent: true,
        path: `/retailer/offers/${encodeURIComponent(offerId)}`,
        json: { stock: { amount, managedByRetailer } },
        headers: { accept: bolDefaults.offersMediaType, 'content-type': bolDefaults.offersMediaType },
        signal: ctx.signal,
      });
      headers = res.headers;
      done.push(u.sku);
    } catch (err) {
      if (err instanceof WharfError && !err.retryable && err.code !== 'AUTH_FAILED') {
        refused.push({ sku: u.sku, message: err.code === 'NOT_FOUND' ? `bol: offer ${offerId} not found (deleted in bol?) — ${err.message}` : err.message });
        return;
      }
      throw err;
    } finally {
      budget.release(headers);
    }
  });
  return { done, refused };
}

/**
 * bol's budget for `PATCH /retailer/offers/*` as its last answer announced it (`x-ratelimit-remaining`,
 * `x-ratelimit-reset` seconds): with several requests in flight, a new one starts only while fewer are
 * in flight than the budget has left, else it waits for the reset — so concurrency does not overshoot
 * the budget into 429s (which bol monitors). The channel's EndpointLimits still pauses on a spent
 * budget or a 429; this adds the requests in flight, which it cannot see.
 * https://api.bol.com/retailer/public/Retailer-API/ratelimits.html
 */
class Budget {
  private remaining: number | undefined;
  private resetAt = 0;
  private inFlight = 0;

  constructor(private readonly ctx: BolContext) {}

  async acquire(): Promise<void> {
    for (;;) {
      const now = this.ctx.httpNow();
      if (this.remaining !== undefined && now >= this.resetAt) this.remaining = undefined;
      if (this.remaining === undefined || this.inFlight < this.remaining) break;
      await this.ctx.sleep(Math.max(1, this.resetAt - now));
    }
    this.inFlight++;
  }

  release(headers: Headers | undefined): void {
    this.inFlight--;
    const remaining = Number(headers?.get('x-ratelimit-remaining') ?? NaN);
    const reset = Number(headers?.get('x-ratelimit-reset') ?? NaN);
    if (!Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    const now = this.ctx.httpNow();
    // Answers may arrive out of order: within one budget window the lowest count is the true one.
    if (this.remaining !== undefined && now < this.resetAt) {
      this.remaining = Math.min(this.remaining, remaining);
      this.resetAt = Math.max(this.resetAt, now + reset * 1000);
    } else {
      this.remaining = remaining;
      this.resetAt = now + reset * 1000;
    }
  }
}

/**
 * Runs `fn` over `items`, at most `limit` at a time; the first error stops new work and is rethrown
 * once the running ones have settled.
 */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.err;
}
