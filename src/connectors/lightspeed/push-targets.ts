import type { PushTarget } from '../types.js';
import type { LightspeedConfig } from './config.js';

/** One variant as `GET /variants.json` lists it (only the fields the push reads). */
interface LsVariant {
  id?: unknown;
  sku?: unknown;
  articleCode?: unknown;
  ean?: unknown;
  product?: { resource?: { id?: unknown } };
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const positiveId = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * The push ids of one raw record of `pullProducts` (a Lightspeed variant, the sellable item):
 * `{ variantId, productId? }`. The SKU is the variant's `sku`, else its `articleCode` (the same rule as
 * mappings/lightspeed.product.yaml, so the warehouse SKU the catalogue holds is the one the push finds);
 * the EAN is `ean` when it is 8–14 digits. A variant without id or without either code is no target.
 * https://developers.lightspeedhq.com/ecom/endpoints/variant/ (fields id, sku, articleCode, ean,
 * product.resource.id).
 */
export function productTargets(record: unknown, _config: LightspeedConfig): PushTarget[] {
  if (!record || typeof record !== 'object') return [];
  const v = record as LsVariant;
  const variantId = positiveId(v.id);
  const sku = text(v.sku) || text(v.articleCode);
  if (variantId === undefined || sku === '') return [];
  const ean = text(v.ean);
  const productId = positiveId(v.product?.resource?.id);
  return [{ sku, ean: /^\d{8,14}$/.test(ean) ? ean : null, ids: productId === undefined ? { variantId } : { variantId, productId } }];
}
