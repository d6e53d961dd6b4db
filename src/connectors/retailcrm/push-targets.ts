import type { PushTarget } from '../types.js';
import type { RetailcrmConfig } from './config.js';

/** An offer as `pullProducts` yields it: RetailCRM's offer with its `product` (without the offer list) added. */
interface OfferRecord {
  id?: unknown;
  externalId?: unknown;
  xmlId?: unknown;
  article?: unknown;
  barcode?: unknown;
  product?: { article?: unknown } | null;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * The push ids of one offer record of `pullProducts`: `{ offerId }` (RetailCRM's own offer id, which
 * `POST /store/inventories/upload` accepts as `id` without a `site`), plus `externalId` when the offer
 * has one (for the operator's eyes in `wharf status`; the push sends `id`). The SKU follows the default
 * product mapping (mappings/retailcrm.product.yaml): the offer's `article`, else the product's, else
 * the offer's `externalId`; the EAN is the offer's `barcode` when it is 8–14 digits. An offer without a
 * numeric id or without any SKU is no target. The store code is not per offer: it is the channel's
 * `storeCode`, read when pushing.
 * https://github.com/retailcrm/api-client-php/blob/master/src/Model/Entity/Store/Offer.php
 */
export function productTargets(record: unknown, _config: RetailcrmConfig): PushTarget[] {
  if (!record || typeof record !== 'object') return [];
  const r = record as OfferRecord;
  const offerId = typeof r.id === 'number' && Number.isInteger(r.id) && r.id > 0 ? r.id : typeof r.id === 'string' && /^\d+$/.test(r.id) ? Number(r.id) : undefined;
  const sku = text(r.article) ?? text(r.product?.article) ?? text(r.externalId);
  if (offerId === undefined || sku === undefined) return [];
  const barcode = text(r.barcode);
  const ids: PushTarget['ids'] = { offerId };
  const externalId = text(r.externalId);
  if (externalId) ids.externalId = externalId;
  return [{ sku, ean: barcode && /^\d{8,14}$/.test(barcode) ? barcode : null, ids }];
}
