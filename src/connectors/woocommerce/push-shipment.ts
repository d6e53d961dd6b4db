import { WharfError } from '../../errors.js';
import type { ShipmentPush, ShipmentPushResult } from '../types.js';
import { wooAuthQuery } from './auth.js';
import { wooDefaults } from './config.js';
import type { WooContext } from './context.js';

interface WooOrder {
  id?: number;
  status?: string;
}

interface WooNote {
  note?: string;
}

/** Order statuses in which a shop no longer ships: a shipment report is refused (content), not retried. */
const CLOSED = new Set(['cancelled', 'refunded', 'failed', 'trash', 'checkout-draft']);

/**
 * Reports one parcel to WooCommerce:
 * 1. `GET /orders/{id}`: an order that is gone (404/400 invalid id) or cancelled, refunded, failed or
 *    trashed is refused (a non-retryable RECORD_INVALID with the shop's status/message).
 * 2. When `attempts` > 0, `GET /orders/{id}/notes`: a note that carries this parcel's marker means the
 *    lost attempt arrived; the note is not sent again (notes are create-only).
 * 3. `POST /orders/{id}/notes` (sent exactly once per call: no automatic retry of this request) with
 *    carrier, tracking number and URL, and the shipped lines for a partial shipment.
 * 4. When the parcel completes the order: `PUT /orders/{id}` with `status: completedStatus` (default
 *    completed) and the `trackingMetaKeys` as `meta_data`; with meta keys and a partial parcel only the
 *    meta. PUT sets absolute values, so repeating it is harmless.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#create-an-order-note
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#update-an-order
 */
export async function pushShipment(ctx: WooContext, push: ShipmentPush): Promise<ShipmentPushResult> {
  const c = ctx.config;
  const ref = push.orderRef;
  if (!/^\d+$/.test(ref)) throw new WharfError('RECORD_INVALID', `woocommerce: order id ${JSON.stringify(ref.slice(0, 40))} is not a WooCommerce order id`, { hint: 'the order mapping must keep the WooCommerce order id as externalId' }, { retryable: false });
  const path = `/orders/${ref}`;
  const order = await readOrder(ctx, path, ref);
  const status = String(order.status ?? '');
  if (CLOSED.has(status)) {
    throw new WharfError('RECORD_INVALID', `woocommerce: order ${ref} is "${status}" in the shop, so shipment ${push.shipmentId} was not reported`, { hint: 'reopen the order in WooCommerce if it did ship, then `wharf retry`' }, { retryable: false });
  }
  const marker = noteMarker(push);
  let noteThere = false;
  if (push.attempts > 0) {
    const notes = await ctx.http.request<WooNote[]>({ path: `${path}/notes`, query: { ...wooAuthQuery(c), type: 'any' }, signal: ctx.signal });
    noteThere = (Array.isArray(notes.body) ? notes.body : []).some((n) => typeof n?.note === 'string' && n.note.includes(marker));
  }
  if (!noteThere) {
    await ctx.http.request({
      method: 'POST', idempotent: false,
      path: `${path}/notes`,
      query: wooAuthQuery(c),
      json: { note: noteText(push, marker), customer_note: push.notifyCustomer },
      maxAttempts: 1,
      signal: ctx.signal,
    });
  }
  const completed = c.completedStatus ?? wooDefaults.completedStatus;
  const meta = metaData(push, c.trackingMetaKeys);
  const setStatus = push.completesOrder && status !== completed;
  if (setStatus || meta.length) {
    await ctx.http.request({
      method: 'PUT', idempotent: true,
      path,
      query: wooAuthQuery(c),
      json: { ...(setStatus ? { status: completed } : {}), ...(meta.length ? { meta_data: meta } : {}) },
      signal: ctx.signal,
    });
  }
  const what = `order ${ref}: ${noteThere ? 'note was there already' : 'note added'}${setStatus ? `, status ${completed}` : ''}`;
  return { outcome: noteThere && !setStatus ? 'already-there' : 'pushed', detail: what };
}

async function readOrder(ctx: WooContext, path: string, ref: string): Promise<WooOrder> {
  try {
    const res = await ctx.http.request<WooOrder>({ path, query: wooAuthQuery(ctx.config), signal: ctx.signal });
    return res.body ?? {};
  } catch (err) {
    if (err instanceof WharfError && !err.retryable && err.code !== 'AUTH_FAILED' && /invalid.?id|HTTP 404|HTTP 400/i.test(err.message)) {
      throw new WharfError('RECORD_INVALID', `woocommerce: order ${ref} does not exist in the shop (deleted?): ${err.message}`, { hint: 'if the order was deleted in WooCommerce, the shipment cannot be reported there' }, { retryable: false });
    }
    throw err;
  }
}

/** The text by which a note of this parcel is recognised on read-back: the tracking number, else the shipment id. */
function noteMarker(push: ShipmentPush): string {
  return push.trackingNumber ? `tracking ${push.trackingNumber}` : `shipment ${push.shipmentId}`;
}

function noteText(push: ShipmentPush, marker: string): string {
  const carrier = push.carrier ? ` with ${push.carrier}` : '';
  const url = push.trackingUrl ? ` ${push.trackingUrl}` : '';
  const lines = push.completesOrder ? '' : ` Items: ${push.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}.`;
  return `Shipped${carrier}, ${marker}${url}.${lines}`;
}

function metaData(push: ShipmentPush, keys: ShipmentMetaKeys | undefined): { key: string; value: string }[] {
  if (!keys) return [];
  const out: { key: string; value: string }[] = [];
  if (push.trackingNumber) out.push({ key: keys.trackingNumber, value: push.trackingNumber });
  if (keys.carrier && push.carrier) out.push({ key: keys.carrier, value: push.carrier });
  if (keys.trackingUrl && push.trackingUrl) out.push({ key: keys.trackingUrl, value: push.trackingUrl });
  if (keys.shippedAt && push.shippedAt) out.push({ key: keys.shippedAt, value: push.shippedAt.slice(0, 10) });
  return out;
}

type ShipmentMetaKeys = NonNullable<WooContext['config']['trackingMetaKeys']>;
