import { WharfError } from '../../errors.js';
import type { StockBatchResult, StockUpdate } from '../types.js';
import { crmRequest, type RetailcrmContext } from './context.js';

/**
 * Most offers per `POST /store/inventories/upload`. RetailCRM's reference documents 250 per request
 * (DESIGN.md, "Webshop and marketplace APIs"); the number itself could not be re-read from a primary
 * source in the library (unverified), so Wharf stays at it rather than above.
 */
export const RETAILCRM_STOCK_BATCH = 250;

/** `POST /store/inventories/upload` answer: offers updated and those RetailCRM could not find (as sent). */
interface UploadAnswer {
  success?: boolean;
  processedOffersCount?: number;
  notFoundOffers?: { id?: number | string; externalId?: string; xmlId?: string }[];
}

/** The channel's RetailCRM store code; a push without one is a config error (parseRetailcrmConfig checks it too). */
export function storeCodeOf(ctx: RetailcrmContext): string {
  const code = ctx.config.storeCode;
  if (!code) {
    throw new WharfError('CONFIG_INVALID', 'retailcrm: pushing needs `storeCode`, the RetailCRM warehouse (store) code of this warehouse', { field: 'storeCode', hint: 'RetailCRM > Settings > Warehouses: copy the symbolic code' }, { retryable: false });
  }
  return code;
}

/**
 * Sets the stock of one batch (≤ 250 offers) in the channel's store: `POST /api/v5/store/inventories/upload`
 * with the form fields `offers` = JSON `[{ id, stores: [{ code: storeCode, available: quantity }] }]`
 * (absolute quantities, so sending twice is harmless) and `site` when the channel has one. RetailCRM
 * answers `{ success, processedOffersCount, notFoundOffers: [offer as sent] }`: the offers it could not
 * find are `refused` (message "offer … not found in RetailCRM"), the rest `done`.
 * Throws: a retryable WharfError for network trouble, 429/503/5xx (the client waits as RetailCRM asks);
 * AUTH_FAILED (not retryable) when the key may not write stock (scope `store_write`); a not-retryable
 * TRANSPORT_FAILED with RetailCRM's `errorMsg` when it refuses the whole upload (`success: false`).
 * Field names: official PHP client, `InventoriesUploadRequest` / `InventoriesUploadResponse` / `Inventory`
 * (https://github.com/retailcrm/api-client-php/blob/master/src/Model/Request/Store/InventoriesUploadRequest.php,
 * https://github.com/retailcrm/api-client-php/blob/master/src/Model/Response/Store/InventoriesUploadResponse.php);
 * https://docs.simla.com/Developers/API/APIVersions/APIv5#post--api-v5-store-inventories-upload
 */
export async function pushStock(ctx: RetailcrmContext, batch: StockUpdate[]): Promise<StockBatchResult> {
  if (batch.length > RETAILCRM_STOCK_BATCH) {
    throw new WharfError('TRANSPORT_FAILED', `retailcrm: a stock batch of ${batch.length} offers is more than RetailCRM's ${RETAILCRM_STOCK_BATCH}`, {}, { retryable: false });
  }
  const code = storeCodeOf(ctx);
  const refused: StockBatchResult['refused'] = [];
  const skuOfOffer = new Map<string, string>();
  const offers: { id: number; stores: { code: string; available: number }[] }[] = [];
  for (const u of batch) {
    const id = Number(u.ids.offerId);
    if (!Number.isInteger(id) || id <= 0) {
      refused.push({ sku: u.sku, message: `no RetailCRM offer id is known for this SKU (ids: ${JSON.stringify(u.ids).slice(0, 80)}); run a product pull` });
      continue;
    }
    skuOfOffer.set(String(id), u.sku);
    offers.push({ id, stores: [{ code, available: Math.max(0, Math.trunc(u.quantity)) }] });
  }
  if (!offers.length) return { done: [], refused };
  const form: Record<string, string> = { offers: JSON.stringify(offers) };
  if (ctx.config.site) form.site = ctx.config.site;
  const res = await crmRequest<UploadAnswer>(ctx, { method: 'POST', idempotent: true, path: '/store/inventories/upload', form });
  const notFound = new Set<string>();
  for (const o of res.body?.notFoundOffers ?? []) {
    if (o && o.id !== undefined && skuOfOffer.has(String(o.id))) notFound.add(String(o.id));
  }
  const done: string[] = [];
  for (const [id, sku] of skuOfOffer) {
    if (notFound.has(id)) refused.push({ sku, message: `RetailCRM did not find offer ${id} (deleted or in another catalogue); run a product pull` });
    else done.push(sku);
  }
  const processed = res.body?.processedOffersCount;
  if (typeof processed === 'number' && processed !== done.length) {
    ctx.http.logger.warn({ connector: 'retailcrm', sent: offers.length, processed, notFound: notFound.size }, 'retailcrm: processedOffersCount does not match the offers sent minus notFoundOffers');
  }
  return { done, refused };
}
