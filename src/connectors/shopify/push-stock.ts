import { TransportError, WharfError } from '../../errors.js';
import type { StockBatchResult, StockUpdate } from '../types.js';
import { locationGid } from './config.js';
import { graphql, type ShopifyContext } from './graphql.js';
import { contentKey } from './idempotency.js';
import { INVENTORY_LEVELS, setQuantitiesMutation } from './push-queries.js';

/** Most quantities one `inventorySetQuantities` call may carry. https://shopify.dev/docs/api/admin-graphql/2026-04/input-objects/InventorySetQuantitiesInput */
export const SHOPIFY_STOCK_BATCH = 250;
/** How often one batch is read and sent again after CHANGE_FROM_QUANTITY_STALE before the call gives up (retryable). */
export const MAX_STALE_ROUNDS = 3;
/** Items per stock read: about 3 points each, so a read stays far below the 1,000-point ceiling of one query. */
const READ_CHUNK = 100;
/** An adjustment group older than the call minus this is an earlier operation's result replayed for the same key. */
const REPLAY_SKEW_MS = 60_000;

/** Codes that refuse one quantity for a reason of the item, not of the request (InventorySetQuantitiesUserErrorCode). */
const ITEM_REFUSALS = new Set(['INVALID_INVENTORY_ITEM', 'ITEM_NOT_STOCKED_AT_LOCATION', 'NON_MUTABLE_INVENTORY_ITEM', 'INVALID_QUANTITY_NEGATIVE', 'INVALID_QUANTITY_TOO_HIGH', 'INVALID_QUANTITY_TOO_LOW', 'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR']);

interface UserError {
  field?: string[] | null;
  message: string;
  code?: string | null;
}

interface LevelNode {
  id: string;
  tracked?: boolean;
  inventoryLevel: { quantities: { name: string; quantity: number }[] } | null;
}

type Level = { kind: 'unknown' } | { kind: 'not-stocked' } | { kind: 'untracked' } | { kind: 'level'; available: number };

/**
 * Sets the `available` quantity of one batch (≤ 250, SKUs unique) at the channel's `locationId` with
 * `inventorySetQuantities` (API 2026-04):
 * 1. reads the current `available` of every item (`nodes(ids:)`, 100 ids a query); items already at the
 *    wanted quantity are done without a write (so a batch whose earlier answer was lost is not sent
 *    again), unknown items, items not stocked at the location and untracked items are refused;
 * 2. sends the rest with `changeFromQuantity` = the quantity just read (compare-and-swap) under the
 *    `@idempotent` key derived from the content (location, items, from → to): a retry of the same
 *    request is answered with the first result, never applied twice;
 * 3. CHANGE_FROM_QUANTITY_STALE (a sale between read and write): reads again and resends, at most
 *    MAX_STALE_ROUNDS times, then throws a retryable error; item refusals (unknown item, not stocked,
 *    bundle parent…) go into `refused` with Shopify's message and the rest is sent again.
 * Whether Shopify applies the other quantities of a call that has userErrors is unverified: Wharf
 * assumes it applies none and re-reads before sending again, which is right either way.
 * Throws: retryable WharfError for transport trouble, THROTTLED, IDEMPOTENCY_CONCURRENT_REQUEST and
 * repeated staleness; non-retryable AUTH_FAILED without write_inventory, CONFIG_INVALID without
 * `locationId`, TRANSPORT_FAILED (non-retryable) for a refusal of the whole request.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/inventorySetQuantities
 * https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states#compare-and-swap
 */
export async function pushStock(ctx: ShopifyContext, batch: StockUpdate[]): Promise<StockBatchResult> {
  if (!ctx.config.locationId) {
    throw new WharfError('CONFIG_INVALID', 'shopify: stock push needs `locationId` (the location whose stock Wharf sets)', { field: 'locationId', hint: 'run `wharf test-connection` for this channel: it lists the store\'s locations' }, { retryable: false });
  }
  if (batch.length > SHOPIFY_STOCK_BATCH) throw new Error(`shopify pushStock: ${batch.length} updates, more than ${SHOPIFY_STOCK_BATCH}`);
  const location = locationGid(ctx.config.locationId);
  const started = ctx.now();
  const done: string[] = [];
  const refused: StockBatchResult['refused'] = [];
  let pending: StockUpdate[] = [];
  for (const u of batch) {
    if (typeof u.ids.inventoryItemId === 'string' && u.ids.inventoryItemId) pending.push(u);
    else refused.push({ sku: u.sku, message: 'no Shopify inventory item is known for this SKU (pull the products again)' });
  }
  let stale = 0;
  let salt = '';
  // Each round ends the loop, refuses an item, counts a stale round or salts a replayed key: bounded.
  for (let round = 0; pending.length > 0; round++) {
    if (round > MAX_STALE_ROUNDS + batch.length + 2) throw new TransportError(`shopify: stock for ${pending.length} SKU(s) could not be settled after ${round} rounds`);
    const levels = await readLevels(ctx, pending.map((u) => String(u.ids.inventoryItemId)), location);
    const send: { u: StockUpdate; from: number }[] = [];
    for (const u of pending) {
      const level = levels.get(String(u.ids.inventoryItemId)) ?? { kind: 'unknown' };
      if (level.kind === 'unknown') refused.push({ sku: u.sku, message: `Shopify has no inventory item ${u.ids.inventoryItemId} (variant deleted?)` });
      else if (level.kind === 'untracked') refused.push({ sku: u.sku, message: 'Shopify does not track inventory for this variant ("Track quantity" is off)' });
      else if (level.kind === 'not-stocked') refused.push({ sku: u.sku, message: `the item is not stocked at location ${ctx.config.locationId} in Shopify` });
      else if (level.available === u.quantity) done.push(u.sku);
      else send.push({ u, from: level.available });
    }
    if (send.length === 0) break;
    const key = contentKey(`stock|${location}|${salt}|${send.map((s) => `${s.u.ids.inventoryItemId}:${s.from}>${s.u.quantity}`).sort().join(',')}`);
    const data = await graphql<{ inventorySetQuantities: { inventoryAdjustmentGroup: { id: string; createdAt: string } | null; userErrors: UserError[] } | null }>(
      ctx, 'WharfSetStock', setQuantitiesMutation(key), {
        input: { name: 'available', reason: 'correction', quantities: send.map((s) => ({ inventoryItemId: s.u.ids.inventoryItemId, locationId: location, quantity: s.u.quantity, changeFromQuantity: s.from })) },
      }, { idempotent: true }); // the @idempotent key and changeFromQuantity make a resend harmless
    const payload = data.inventorySetQuantities;
    const errors = payload?.userErrors ?? [];
    if (errors.length === 0) {
      const group = payload?.inventoryAdjustmentGroup;
      const createdAt = group ? Date.parse(group.createdAt) : NaN;
      if (group && createdAt < started - REPLAY_SKEW_MS) {
        // The key's earlier operation (same items, same from → to, hours ago) was replayed, nothing
        // was set now: read again and send under a key of its own.
        ctx.http.logger.info({ connector: 'shopify', key, group: group.id }, 'shopify replayed an earlier stock adjustment for this key; sending anew');
        salt = group.id;
        continue;
      }
      done.push(...send.map((s) => s.u.sku));
      break;
    }
    const byIndex = (e: UserError) => {
      const i = e.field?.[0] === 'input' && e.field[1] === 'quantities' ? Number(e.field[2]) : NaN;
      return Number.isInteger(i) ? send[i] : undefined;
    };
    const other = errors.filter((e) => e.code !== 'CHANGE_FROM_QUANTITY_STALE' && !(e.code && ITEM_REFUSALS.has(e.code) && byIndex(e)));
    if (other.length > 0 && other.every((e) => e.code === 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED')) {
      // This content was sent before and refused then (Shopify keeps that answer for the key): the
      // state was just read, so send it under a key of its own.
      salt = `${salt}+retry${round}`;
      continue;
    }
    if (other.some((e) => e.code === 'IDEMPOTENCY_CONCURRENT_REQUEST')) throw new TransportError('shopify: the same stock update is still being processed (IDEMPOTENCY_CONCURRENT_REQUEST); trying again later');
    if (other.length) {
      throw new WharfError('TRANSPORT_FAILED', `shopify: inventorySetQuantities refused the batch: ${other.map((e) => `${e.code ?? ''} ${e.message}`.trim()).join('; ')}`, {}, { retryable: false });
    }
    const refusedNow = new Set<StockUpdate>();
    for (const e of errors) {
      const s = byIndex(e);
      if (s && e.code !== 'CHANGE_FROM_QUANTITY_STALE' && !refusedNow.has(s.u)) {
        refusedNow.add(s.u);
        const why = e.code === 'NON_MUTABLE_INVENTORY_ITEM' ? ' (a bundle: Shopify computes its stock from its components, push the components)' : '';
        refused.push({ sku: s.u.sku, message: `Shopify: ${e.message}${why}` });
      }
    }
    if (errors.some((e) => e.code === 'CHANGE_FROM_QUANTITY_STALE') && ++stale > MAX_STALE_ROUNDS) {
      throw new TransportError(`shopify: the stock of ${send.length} SKU(s) kept changing in the shop while Wharf set it (CHANGE_FROM_QUANTITY_STALE ${stale} times); trying again later`);
    }
    pending = send.map((s) => s.u).filter((u) => !refusedNow.has(u));
  }
  return { done, refused };
}

/** The current `available` of each item at the location, by inventory item id. */
async function readLevels(ctx: ShopifyContext, ids: string[], location: string): Promise<Map<string, Level>> {
  const nodes: (LevelNode | null)[] = [];
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    const data = await graphql<{ nodes: (LevelNode | null)[] }>(ctx, 'WharfInventoryLevels', INVENTORY_LEVELS, { ids: ids.slice(i, i + READ_CHUNK), locationId: location });
    nodes.push(...data.nodes);
  }
  const out = new Map<string, Level>();
  for (const n of nodes) {
    if (!n?.id) continue;
    if (n.tracked === false) out.set(n.id, { kind: 'untracked' });
    else if (!n.inventoryLevel) out.set(n.id, { kind: 'not-stocked' });
    else out.set(n.id, { kind: 'level', available: n.inventoryLevel.quantities.find((q) => q.name === 'available')?.quantity ?? 0 });
  }
  return out;
}
