import { DateTime } from 'luxon';
import { WharfError } from '../../errors.js';
import type { ShipmentPush, ShipmentPushResult } from '../types.js';
import { retailcrmDefaults } from './config.js';
import { crmRequest, type RetailcrmContext } from './context.js';
import { storeCodeOf } from './push-stock.js';

/** The parts of `GET /api/v5/orders/{id}?by=id` the shipment push reads. */
interface OrderAnswer {
  success?: boolean;
  order?: {
    id?: number;
    site?: string;
    status?: string;
    shipped?: boolean;
    shipmentStore?: string;
    delivery?: { data?: { trackNumber?: string | null } | null } | null;
  };
}

/** The order fields one edit sets (`order` form field of `POST /orders/{id}/edit`). */
interface OrderEdit {
  shipped?: true;
  shipmentStore?: string;
  shipmentDate?: string;
  delivery?: { data: { trackNumber: string } };
}

/**
 * Reports one parcel of a RetailCRM order (`push.orderRef` is RetailCRM's order `id`, as the order
 * mapping keeps it). Always reads the order first (`GET /api/v5/orders/{id}?by=id`), then sends only
 * what is missing with `POST /api/v5/orders/{id}/edit`, form fields `by=id`, `site` (the order's) and
 * `order` = JSON of:
 * - `shipped: true`, `shipmentStore` (config `storeCode`), `shipmentDate` (Y-m-d in the account's
 *   time zone, from `shippedAt`, else today) — only with the parcel that completes the order:
 *   RetailCRM's `shipped` is one flag per order (it writes the order's goods off the store), so a
 *   partial parcel leaves it for the last one;
 * - `delivery.data.trackNumber` — RetailCRM keeps ONE track number per order. The first parcel's number
 *   is written; a later parcel with another number never overwrites it (that would lose the first):
 *   the result's detail and a warning say so.
 * Outcome `already-there` when the order already shows everything this parcel would set (an earlier
 * attempt whose answer was lost, or someone did it in RetailCRM).
 * Throws (not retryable): the order is cancelled in RetailCRM (its status is one of `cancelledStatuses`),
 * RetailCRM does not know the order (404 "Not found"), RetailCRM refuses the edit (`errorMsg`, `errors`),
 * or the key may not edit orders (AUTH_FAILED, scope `order_write`). Retryable: network trouble,
 * 429/503/5xx. 429/503 (nothing applied) are waited out within the call; after a lost answer,
 * timeout or other 5xx of the edit the call gives up at once and the outbox's next attempt reads the
 * order first.
 * Field names: official PHP client `Order` (`shipped`, `shipmentStore`, `shipmentDate`, `delivery`) and
 * `DeliveryData.trackNumber` (https://github.com/retailcrm/api-client-php/blob/master/src/Model/Entity/Orders/Order.php,
 * https://github.com/retailcrm/api-client-php/blob/master/src/Model/Entity/Orders/Delivery/DeliveryData.php);
 * https://docs.simla.com/Developers/API/APIVersions/APIv5#post--api-v5-orders-externalId-edit
 */
export async function pushShipment(ctx: RetailcrmContext, push: ShipmentPush): Promise<ShipmentPushResult> {
  const store = storeCodeOf(ctx);
  const ref = push.orderRef.trim();
  if (!/^\d+$/.test(ref)) {
    throw new WharfError('RECORD_INVALID', `retailcrm: order reference "${ref.slice(0, 40)}" is not a RetailCRM order id`, { hint: 'the RetailCRM order mapping must keep the order `id` as externalId' }, { retryable: false });
  }
  const order = await readOrder(ctx, ref);
  const status = order.status ?? '';
  const cancelled = ctx.config.cancelledStatuses ?? [...retailcrmDefaults.cancelledStatuses];
  const known = cancelled.includes(status) ? undefined : (await statusGroups(ctx)).get(status);
  if (cancelled.includes(status) || known?.group === 'cancel') {
    const name = known?.name && known.name !== status ? `"${known.name}" (${status})` : `"${status}"`;
    throw new WharfError('RECORD_INVALID', `retailcrm: order ${ref} is cancelled in RetailCRM (status ${name}${known?.group === 'cancel' ? ', status group "cancel"' : ''}): the shipment was not reported`, { hint: 'if the order was shipped after all, set it back to an open status in RetailCRM and run `wharf retry`' }, { retryable: false });
  }
  const edit: OrderEdit = {};
  const track = push.trackingNumber?.trim() || undefined;
  const hasTrack = order.delivery?.data?.trackNumber?.trim() || undefined;
  let kept: string | undefined;
  if (push.completesOrder && order.shipped !== true) {
    edit.shipped = true;
    edit.shipmentStore = store;
    edit.shipmentDate = shipmentDate(push.shippedAt, ctx.config.timezone);
  }
  if (track && !hasTrack) edit.delivery = { data: { trackNumber: track } };
  else if (track && hasTrack !== track) kept = hasTrack;
  const keptNote = kept ? `; RetailCRM keeps one track number per order and order ${ref} already has ${kept}, so ${track} was not written` : '';
  if (kept) ctx.http.logger.warn({ connector: 'retailcrm', order: ref, shipment: push.shipmentId }, `retailcrm: order ${ref} already carries another track number; RetailCRM holds one per order, the parcel's was not written`);
  if (!Object.keys(edit).length) {
    const wanted = push.completesOrder || (track !== undefined && !kept);
    if (wanted) return { outcome: 'already-there', detail: `order ${ref} already ${push.completesOrder ? 'shipped' : 'has this track number'}${track && !kept ? ` with ${track}` : ''}${keptNote}` };
    return { outcome: 'pushed', detail: `order ${ref}: a partial parcel${track ? '' : ' without tracking'}: nothing RetailCRM can hold (the order is marked shipped with its last parcel)${keptNote}` };
  }
  await crmRequest(ctx, {
    method: 'POST', idempotent: false,
    path: `/orders/${ref}/edit`,
    form: { by: 'id', ...(order.site ? { site: order.site } : {}), order: JSON.stringify(edit) },
    // One attempt for errors that may come after RetailCRM applied the edit (lost answer, timeout,
    // 5xx): they go back to the outbox, whose next attempt reads the order first instead of sending
    // blindly again. 429/503 (RetailCRM refusing to serve: nothing applied) are still waited out.
    maxAttempts: 1,
  });
  const what = [edit.shipped ? `shipped from ${store} on ${edit.shipmentDate}` : '', edit.delivery ? `track ${track}` : ''].filter(Boolean).join(', ');
  return { outcome: 'pushed', detail: `order ${ref}: ${what}${keptNote}` };
}

async function readOrder(ctx: RetailcrmContext, ref: string): Promise<NonNullable<OrderAnswer['order']>> {
  try {
    const res = await crmRequest<OrderAnswer>(ctx, { path: `/orders/${ref}`, query: { by: 'id', site: ctx.config.site } });
    if (!res.body?.order) throw new WharfError('TRANSPORT_FAILED', `retailcrm: the answer for order ${ref} carried no order`, { where: res.where }, { retryable: false });
    return res.body.order;
  } catch (e) {
    if (e instanceof WharfError && e.code === 'NOT_FOUND') {
      throw new WharfError('NOT_FOUND', `retailcrm: RetailCRM does not know order ${ref}${ctx.config.site ? ` in store "${ctx.config.site}"` : ''} (deleted?): ${e.message}`, { hint: 'check the order in RetailCRM; `wharf retry` once it exists' }, { retryable: false, cause: e });
    }
    throw e;
  }
}

interface StatusesAnswer {
  success?: boolean;
  statuses?: Record<string, { code?: string; name?: string; group?: string }>;
}

type StatusGroups = Map<string, { name?: string; group?: string }>;
const groupsOf = new WeakMap<RetailcrmContext, { at: number; groups: Promise<StatusGroups> }>();
/** How long the status reference is kept per channel (statuses are rarely added). */
const STATUS_TTL_MS = 60 * 60 * 1000;

/**
 * The account's order statuses with their group (`GET /api/v5/reference/statuses`: `statuses` keyed by
 * code, each `{ name, code, active, ordering, group }`), read at most once an hour per channel. A status whose group is
 * `cancel` means the order is cancelled, whatever `cancelledStatuses` lists. A key that may not read
 * references (scope `reference_read`, unverified name) or any other failure gives an empty map:
 * `cancelledStatuses` alone decides then.
 * https://github.com/retailcrm/api-client-php/blob/master/src/Model/Entity/References/Status.php
 */
function statusGroups(ctx: RetailcrmContext): Promise<StatusGroups> {
  const cached = groupsOf.get(ctx);
  if (cached && Date.now() - cached.at < STATUS_TTL_MS) return cached.groups;
  const groups: Promise<StatusGroups> = crmRequest<StatusesAnswer>(ctx, { path: '/reference/statuses' }).then(
    (res) => new Map(Object.entries(res.body?.statuses ?? {}).map(([code, st]) => [st?.code ?? code, { name: st?.name, group: st?.group }])),
    (e: unknown) => {
      // A key without the right keeps that answer for the hour; other trouble is asked again next time.
      if (!(e instanceof WharfError && e.code === 'AUTH_FAILED')) groupsOf.delete(ctx);
      ctx.http.logger.debug({ connector: 'retailcrm', err: (e as Error).message }, 'retailcrm: order status groups not readable; cancelledStatuses decides');
      return new Map();
    },
  );
  groupsOf.set(ctx, { at: Date.now(), groups });
  return groups;
}

/** RetailCRM's `shipmentDate` (Y-m-d) in the account's zone: the parcel's time, else today. */
export function shipmentDate(shippedAt: string | null, zone: string, now: number = Date.now()): string {
  const at = shippedAt ? DateTime.fromISO(shippedAt, { setZone: true }) : undefined;
  const dt = at?.isValid ? at : DateTime.fromMillis(now);
  return dt.setZone(zone).toFormat('yyyy-MM-dd');
}
