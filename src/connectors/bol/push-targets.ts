import type { PushTarget } from '../types.js';
import type { BolConfig } from './config.js';

/**
 * The push ids of one raw record of `pullProducts`: one offer → `{ offerId }`. The record is an Offers
 * API v11 offer (`offerId`, `ean`, `reference`, `fulfilment.method`), as the pull reads them; a row of
 * the v10 offer export CSV (`offerId`, `ean`, `referenceCode`, `fulfilmentType`, …), which Wharf pulled
 * before, is still understood. The SKU is the retailer's offer reference,
 * else the EAN — the same rule as mappings/bol.product.yaml and bol.order.yaml. Offers fulfilled by bol
 * (FBB) are no targets: their stock is bol's, and the v11 spec says the pushed stock "should not be
 * the FBB stock".
 * https://api.bol.com/retailer/public/Retailer-API/demo/v10-OFFERS.html (export columns)
 * https://api.bol.com/registry/api-definitions/offers/offers-v11.yaml (OfferResponse)
 */
export function productTargets(record: unknown, _config: BolConfig): PushTarget[] {
  if (!record || typeof record !== 'object') return [];
  const r = record as Record<string, unknown>;
  const offerId = text(r.offerId);
  if (!offerId) return [];
  const method = text(r.fulfilmentType) ?? text((r.fulfilment as Record<string, unknown> | undefined)?.method);
  if (method?.toUpperCase() === 'FBB') return [];
  const ean = text(r.ean) ?? null;
  const sku = text(r.referenceCode) ?? text(r.reference) ?? ean;
  if (!sku) return [];
  return [{ sku, ean, ids: { offerId } }];
}

function text(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}
