import { WharfError } from '../../errors.js';
import { paginate } from '../http/pager.js';
import type { ShipmentPush, ShipmentPushResult } from '../types.js';
import { lightspeedDefaults } from './config.js';
import { lsRequest, type LightspeedContext } from './context.js';

/** A shipment as `GET /shipments.json?order=…` lists it (fields Wharf reads). */
interface LsShipment {
  id: number;
  number?: string;
  status?: string;
  trackingCode?: string;
}

/** A line of a shipment, `GET /shipments/{id}/products.json` (field names unverified: see below). */
interface LsShipmentProduct {
  sku?: string;
  articleCode?: string;
  quantity?: number;
  quantityShipped?: number;
}

/** Lightspeed's status of a shipment that left (the other documented value is `not_shipped`). */
const SHIPPED = 'shipped';

/**
 * Reports one parcel by updating the order's own shipment: Lightspeed creates the shipments of an order
 * (one when the order is placed; the merchant splits it in the back office), and the API can read and
 * update them but not create or split one (the official client has `GET shipments`, `GET shipments/{id}`,
 * `PUT shipments/{id}` and `GET shipments/{id}/products`, no create).
 *
 * Steps (always reading first, so a retry after a lost answer never sends twice):
 * 1. `GET /orders/{orderRef}.json`: an order in a `cancelledStatuses` status is refused.
 * 2. `GET /shipments.json?order={orderRef}`: a shipment already `shipped` with this tracking code →
 *    `already-there`.
 * 3. The shipments that hold exactly this parcel's lines (SKU and quantity, from
 *    `/shipments/{id}/products.json`; skipped when the order has a single shipment and the parcel
 *    completes the order). A retry (`attempts > 0`) without a tracking code takes a shipped one as
 *    its own earlier update → `already-there`, even when an open one has the same lines (never a
 *    double report). Else the first open one gets
 *    `PUT /shipments/{id}.json` with
 *    `{ "shipment": { "status": "shipped", "trackingCode", "doNotifyShipped", "doNotifyTrackingCode" } }`
 *    (notify flags = `push.shipments.notifyCustomer`). Only shipped ones on a first attempt → refused
 *    (shipped in the shop by someone else).
 * 4. No shipment holds exactly these lines (a partial parcel while the order still has one shipment
 *    for everything): refused in plain words — Lightspeed cannot record it through the API; the
 *    merchant splits the shipment in the back office and runs `wharf retry`.
 *
 * The update is sent once per attempt (no resend inside the call after a lost answer, timeout or 5xx).
 * Lightspeed keeps no carrier or tracking URL on a shipment, so only the tracking code is sent.
 * Sources: https://developers.lightspeedhq.com/ecom/endpoints/shipment/ (shipment fields id, number,
 * status `not_shipped`/`shipped`, trackingCode, doNotifyShipped, doNotifyTrackingCode; filter `order`).
 * Unverified against a live shop (DESIGN.md): the `shipped` value written by PUT, the wrapper key
 * `shipmentProducts` and its line fields (`sku`/`articleCode`, `quantity`), and what Lightspeed answers
 * for a cancelled order (hence the order is read first).
 *
 * Throws: non-retryable WharfError (DELIVERY_CONFLICT / NOT_FOUND) with Lightspeed's words for content
 * refusals (order cancelled or unknown, shipment shipped by someone else, parcel Lightspeed cannot
 * record, a 4xx answer to the update); AUTH_FAILED when the key may not write orders; retryable
 * TransportError for transport trouble (timeout, reset, 429, 5xx).
 */
export async function pushShipment(ctx: LightspeedContext, push: ShipmentPush): Promise<ShipmentPushResult> {
  const ref = encodeURIComponent(push.orderRef);
  const orderRes = await lsRequest<{ order?: { id?: number; number?: string; status?: string } }>(ctx, { path: `/orders/${ref}.json` });
  const order = orderRes.body?.order;
  const label = `order ${order?.number ?? push.orderRef}`;
  const cancelled = ctx.config.cancelledStatuses ?? lightspeedDefaults.cancelledStatuses;
  if (order?.status && cancelled.includes(order.status)) {
    throw refusal(`lightspeed: ${label} is cancelled in the shop (status "${order.status}"): the parcel is not reported`, 'check with the merchant; when the order is reopened in Lightspeed, run `wharf retry`');
  }

  const shipments = await orderShipments(ctx, push.orderRef);
  const tracking = push.trackingNumber?.trim() || undefined;
  const withTracking = tracking ? shipments.find((s) => s.status === SHIPPED && s.trackingCode === tracking) : undefined;
  if (withTracking) return { outcome: 'already-there', detail: `${label}: shipment ${name(withTracking)} is already shipped with tracking ${tracking}` };
  if (shipments.length === 0) {
    throw refusal(`lightspeed: ${label} has no shipment to mark shipped (Lightspeed's API cannot create one)`, 'create the shipment for the order in the Lightspeed back office, then run `wharf retry`');
  }

  // The shipments holding exactly this parcel's lines.
  let matches: LsShipment[];
  const contents = new Map<number, Map<string, number>>();
  if (shipments.length === 1 && push.completesOrder) matches = shipments;
  else {
    const want = parcelLines(push);
    matches = [];
    for (const s of shipments) {
      const have = await shipmentLines(ctx, s.id);
      contents.set(s.id, have);
      if (sameLines(want, have)) matches.push(s);
    }
  }
  const open = matches.filter((s) => s.status !== SHIPPED);
  const shipped = matches.filter((s) => s.status === SHIPPED);

  // With a tracking code, an earlier attempt's update was recognised above (shipped with this code).
  // Without one, a retry cannot tell its own update from another parcel with the same lines: a shipped
  // match counts as its own (never a double report; DESIGN.md reliability rules).
  const earlier = push.attempts > 0 && !tracking ? shipped[0] : undefined;
  if (earlier) return { outcome: 'already-there', detail: `${label}: shipment ${name(earlier)} is already shipped (an earlier attempt's answer was lost)` };
  const target = open[0];
  if (!target && shipped.length > 0) {
    const s = shipped[0]!;
    throw refusal(`lightspeed: ${label}: shipment ${name(s)} is already shipped${s.trackingCode ? ` with tracking ${s.trackingCode}` : ''}; not reported again`, 'the parcel was marked shipped in the shop by someone else; nothing to do, or correct the tracking code in the back office');
  }
  if (!target) {
    const held = shipments.filter((s) => s.status !== SHIPPED).map((s) => `${name(s)} (${describe(contents.get(s.id))})`).join(', ');
    throw refusal(
      `lightspeed: ${label}: no shipment holds exactly this parcel (${describe(parcelLines(push))})${held ? `; open: ${held}` : '; every shipment is already shipped'}. Lightspeed's API cannot split a shipment or create one, so a partial parcel cannot be recorded as it is`,
      'split the shipment in the Lightspeed back office so that one shipment holds exactly this parcel, then run `wharf retry`',
    );
  }

  await lsRequest(ctx, {
    method: 'PUT', idempotent: false,
    path: `/shipments/${encodeURIComponent(String(target.id))}.json`,
    json: { shipment: { status: SHIPPED, ...(tracking ? { trackingCode: tracking } : {}), doNotifyShipped: push.notifyCustomer, doNotifyTrackingCode: push.notifyCustomer && tracking !== undefined } },
    // One attempt for errors that may come after Lightspeed applied the update (lost answer, timeout,
    // 5xx): a blind resend would update the shipment (and notify the customer) twice. They go back to
    // the outbox, whose next attempt reads the shipments first (step 2). 429s are still waited out.
    maxAttempts: 1,
  });
  return { outcome: 'pushed', detail: `${label}: shipment ${name(target)} marked shipped${tracking ? ` with tracking ${tracking}` : ' (no tracking code)'}` };
}

function refusal(message: string, hint: string): WharfError {
  return new WharfError('DELIVERY_CONFLICT', message, { hint }, { retryable: false });
}

const name = (s: LsShipment) => s.number ?? String(s.id);

async function orderShipments(ctx: LightspeedContext, orderRef: string): Promise<LsShipment[]> {
  const out: LsShipment[] = [];
  for await (const page of paginate(1, async (page) => {
    const res = await lsRequest<{ shipments?: LsShipment[] }>(ctx, { path: '/shipments.json', query: { order: orderRef, limit: lightspeedDefaults.pageSize, page } });
    const items = res.body?.shipments ?? [];
    return { records: items, next: items.length >= lightspeedDefaults.pageSize ? page + 1 : undefined };
  })) out.push(...(page as LsShipment[]));
  return out;
}

/** SKU → quantity of one shipment's lines. */
async function shipmentLines(ctx: LightspeedContext, id: number): Promise<Map<string, number>> {
  const res = await lsRequest<{ shipmentProducts?: LsShipmentProduct[] }>(ctx, { path: `/shipments/${id}/products.json`, query: { limit: lightspeedDefaults.pageSize } });
  const lines = new Map<string, number>();
  for (const p of res.body?.shipmentProducts ?? []) {
    const sku = (p.sku || p.articleCode || '').trim();
    const qty = p.quantity ?? p.quantityShipped ?? 0;
    if (sku) lines.set(sku, (lines.get(sku) ?? 0) + qty);
  }
  return lines;
}

function parcelLines(push: ShipmentPush): Map<string, number> {
  const lines = new Map<string, number>();
  for (const l of push.lines) lines.set(l.sku.trim(), (lines.get(l.sku.trim()) ?? 0) + l.quantity);
  return lines;
}

function sameLines(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [sku, q] of a) if (b.get(sku) !== q) return false;
  return true;
}

function describe(lines: Map<string, number> | undefined): string {
  if (!lines) return 'lines not read';
  const all = [...lines].map(([sku, q]) => `${sku} × ${q}`);
  return all.length > 5 ? `${all.slice(0, 5).join(', ')}, …` : all.join(', ') || 'no lines';
}
