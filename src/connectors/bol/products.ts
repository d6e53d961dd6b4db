import { TransportError } from '../../errors.js';
import type { ProductPage } from '../types.js';
import { bolDefaults } from './config.js';
import type { BolContext } from './context.js';

/** Offers per page: the most `page-size` allows (1–100). */
export const BOL_OFFERS_PAGE_SIZE = 100;

/** One page of `GET /retailer/offers` (OfferListResponse). */
interface OfferListResponse {
  offers?: Record<string, unknown>[];
  page?: { pageSize?: number | null; nextCursor?: string | null };
}

/**
 * The retailer's offers through the Offers API v11: `GET /retailer/offers?page-size=100` with
 * `Accept: application/vnd.retailer.v11+json`, then `&cursor=<page.nextCursor>` until bol gives no
 * next cursor. Each record is one OfferResponse as bol sends it: `offerId`, `ean`, `reference`,
 * `onHoldByRetailer`, `lastModifiedDateTime`, `stock { amount, correctedStock, managedByRetailer }`,
 * `condition`, `pricing.bundlePrices`, `fulfilment { method, … }`, `countryAvailabilities`, `product`.
 * One yielded page per bol page. v11 has no offer export (the v10 `POST /retailer/offers/export` +
 * process status + CSV was the only way to list offers before; bol's v11 spec replaces it with this
 * paged list).
 * https://api.bol.com/registry/api-definitions/offers/offers-v11.yaml (get-offers, OfferListResponse, V11Page)
 * https://api.bol.com/retailer/public/Retailer-API/v11/functional/offer-api/whats-new-in-this-api.html
 * @throws TransportError (retryable) when bol repeats a cursor (the pull would never end); bol's own
 *   refusals and transport trouble as the HTTP client reports them.
 */
export async function* pullProducts(ctx: BolContext): AsyncGenerator<ProductPage> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const query: Record<string, string> = { 'page-size': String(BOL_OFFERS_PAGE_SIZE) };
    if (cursor) query.cursor = cursor;
    const res = await ctx.http.request<OfferListResponse>({ path: '/retailer/offers', query, headers: { accept: bolDefaults.offersMediaType }, signal: ctx.signal });
    const offers = Array.isArray(res.body?.offers) ? res.body.offers : [];
    if (offers.length) yield { records: offers };
    const next = res.body?.page?.nextCursor;
    if (typeof next !== 'string' || next === '') return;
    if (seen.has(next)) throw new TransportError(`bol: GET /retailer/offers gave the cursor ${JSON.stringify(next.slice(0, 40))} twice; the offer list was not read to its end`, { hint: 'Wharf tries again on the next run' });
    seen.add(next);
    cursor = next;
  }
}
