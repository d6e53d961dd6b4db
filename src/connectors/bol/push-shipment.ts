import { WharfError } from '../../errors.js';
import type { ShipmentPush, ShipmentPushResult } from '../types.js';
import { bolDefaults } from './config.js';
import type { BolContext } from './context.js';
import { awaitProcess, type ProcessStatus } from './process-status.js';
import { transporterCode } from './transporters.js';

/** Most order items one POST /retailer/shipments may carry (ShipmentRequest.orderItems maxItems). */
export const BOL_SHIPMENT_ITEMS = 100;
/** Longest `shipmentReference` Wharf sends (bol's limit is unverified; 100 is what integrators document). */
const REFERENCE_MAX = 100;

interface OrderItem {
  orderItemId: string;
  cancellationRequest?: boolean;
  quantity?: number;
  quantityShipped?: number;
  quantityCancelled?: number;
  offer?: { reference?: string };
  product?: { ean?: string };
}

interface ReducedShipment {
  shipmentId?: string;
  shipmentReference?: string;
  shipmentItems?: { orderItemId?: string }[];
  transport?: { trackAndTrace?: string };
}

/**
 * Reports one parcel to bol: `POST /retailer/shipments` with `orderItems [{orderItemId, quantity}]` (at
 * most 100 a request), `shipmentReference` (Wharf's shipment id) and `transport { transporterCode,
 * trackAndTrace }`, answered 202 with a process status that is polled to SUCCESS or FAILURE (a 2xx only
 * means "received"). Each line's `lineRef` is bol's orderItemId (mappings/bol.order.yaml keeps it as the
 * line's `lineId`); a line without one is matched by SKU (offer reference, else EAN) when exactly one
 * item of the order carries it.
 *
 * Before sending, the order is read (GET /retailer/orders/{order-id}): an item the customer asked to
 * cancel (`cancellationRequest`), a cancelled item, or more than is left to ship is refused, never shipped
 * silently. When `attempts` > 0 (an earlier answer was lost) it first looks for the parcel in bol: a
 * shipment of the order with this `shipmentReference` (GET /retailer/shipments?order-id=), after waiting
 * for shipment processes of its items that bol is still working on (GET /shared/process-status?entity-id=
 * &event-type=CREATE_SHIPMENT); found, or nothing left to ship on its items → `already-there`.
 * The POST itself is sent once per attempt (no automatic resend: a lost answer goes back to the outbox).
 * https://api.bol.com/retailer/public/redoc/v10/retailer.html#tag/Shipments/operation/create-shipment
 * https://api.bol.com/retailer/public/redoc/v10/shared.html#tag/Process-Status
 * @throws WharfError, not retryable: order unknown to bol, cancellation requested, item cancelled or
 *   already shipped, line not an item of the order, carrier without transporter code, process FAILURE
 *   (with bol's errorMessage), credentials that may not write (403). Retryable: transport trouble,
 *   process TIMEOUT, process still PENDING at `processTimeout`, expired process id.
 */
export async function pushShipment(ctx: BolContext, push: ShipmentPush): Promise<ShipmentPushResult> {
  const where = `bol order ${push.orderRef}, shipment ${push.shipmentId}`;
  const reference = push.shipmentId.slice(0, REFERENCE_MAX);
  const code = transporterCode(push.carrier, ctx.config.transporterCodes, where);
  let items = await readOrder(ctx, push.orderRef, where);
  const lines = resolveLines(push, items, where);

  if (push.attempts > 0) {
    if (await findShipment(ctx, push.orderRef, reference)) return { outcome: 'already-there', detail: `bol already has shipment ${reference} of order ${push.orderRef}` };
    if (await settlePending(ctx, lines.map((l) => l.orderItemId))) {
      if (await findShipment(ctx, push.orderRef, reference)) return { outcome: 'already-there', detail: `bol processed shipment ${reference} of order ${push.orderRef} sent by an earlier attempt` };
      items = await readOrder(ctx, push.orderRef, where);
    }
    if (lines.every((l) => left(items.get(l.orderItemId)!) === 0 && !items.get(l.orderItemId)!.cancellationRequest && !cancelled(items.get(l.orderItemId)!))) {
      return { outcome: 'already-there', detail: `every item of this parcel of order ${push.orderRef} is shipped in bol` };
    }
  }
  for (const l of lines) check(items.get(l.orderItemId)!, l.quantity, push.orderRef, where);

  for (let i = 0; i < lines.length; i += BOL_SHIPMENT_ITEMS) {
    const body = {
      orderItems: lines.slice(i, i + BOL_SHIPMENT_ITEMS),
      shipmentReference: reference,
      transport: { transporterCode: code, ...(push.trackingNumber ? { trackAndTrace: push.trackingNumber } : {}) },
    };
    const res = await ctx.http.request<ProcessStatus>({ method: 'POST', idempotent: false, path: '/retailer/shipments', json: body, headers: { 'content-type': bolDefaults.mediaType }, maxAttempts: 1, signal: ctx.signal });
    const final = await awaitProcess(ctx, res.body ?? {}, `shipment ${reference} of order ${push.orderRef}`);
    if (final.status === 'FAILURE') {
      throw new WharfError('RECORD_INVALID', `bol refused shipment ${reference} of order ${push.orderRef}: ${final.errorMessage ?? 'process status FAILURE without a message'}`, {
        where,
        hint: 'check the order in the bol Seller Dashboard; `wharf retry` sends it again',
      }, { retryable: false });
    }
  }
  const units = lines.reduce((n, l) => n + l.quantity, 0);
  return { outcome: 'pushed', detail: `bol order ${push.orderRef}: ${units} unit${units === 1 ? '' : 's'} on ${lines.length} order item${lines.length === 1 ? '' : 's'} shipped with ${code}${push.trackingNumber ? ` ${push.trackingNumber}` : ''}` };
}

async function readOrder(ctx: BolContext, orderId: string, where: string): Promise<Map<string, OrderItem>> {
  try {
    const res = await ctx.http.request<{ orderItems?: OrderItem[] }>({ path: `/retailer/orders/${encodeURIComponent(orderId)}`, signal: ctx.signal });
    return new Map((res.body?.orderItems ?? []).map((i) => [String(i.orderItemId), i]));
  } catch (err) {
    if (err instanceof WharfError && err.code === 'NOT_FOUND') {
      throw new WharfError('NOT_FOUND', `bol does not know order ${orderId} (HTTP 404)`, { where, hint: 'was the order placed with this seller account? bol shows orders for 3 months' }, { retryable: false, cause: err });
    }
    throw err;
  }
}

/** The push's lines as bol order items (duplicates summed), each an item of the order. */
function resolveLines(push: ShipmentPush, items: Map<string, OrderItem>, where: string): { orderItemId: string; quantity: number }[] {
  if (push.lines.length === 0) throw new WharfError('RECORD_INVALID', `bol: shipment ${push.shipmentId} of order ${push.orderRef} has no lines; bol needs the order items it holds`, { where }, { retryable: false });
  const out = new Map<string, number>();
  for (const line of push.lines) {
    let id = line.lineRef && items.has(line.lineRef) ? line.lineRef : undefined;
    if (!id) {
      const bySku = [...items.values()].filter((i) => (i.offer?.reference || i.product?.ean) === line.sku);
      if (bySku.length === 1) id = bySku[0]!.orderItemId;
    }
    if (!id) {
      throw new WharfError('RECORD_INVALID', `bol: shipment line ${line.lineRef ? `${line.lineRef} ` : ''}(SKU ${line.sku}) is not an order item of bol order ${push.orderRef}`, {
        where,
        hint: "the bol order mapping must keep bol's orderItemId as the line's lineId (mappings/bol.order.yaml does); a bundle line shipped as its components cannot be reported to bol item by item",
      }, { retryable: false });
    }
    out.set(id, (out.get(id) ?? 0) + line.quantity);
  }
  return [...out].map(([orderItemId, quantity]) => ({ orderItemId, quantity }));
}

const left = (i: OrderItem) => (i.quantity ?? 0) - (i.quantityShipped ?? 0) - (i.quantityCancelled ?? 0);
const cancelled = (i: OrderItem) => (i.quantityCancelled ?? 0) >= (i.quantity ?? 1);

function check(item: OrderItem, quantity: number, orderId: string, where: string): void {
  const name = `order item ${item.orderItemId} (${item.offer?.reference || item.product?.ean || 'no reference'}) of bol order ${orderId}`;
  const refuse = (message: string, hint: string) => {
    throw new WharfError('RECORD_INVALID', `bol: ${message}`, { where, hint }, { retryable: false });
  };
  if (item.cancellationRequest) {
    refuse(`the customer asked to cancel ${name}; it is not reported as shipped`, 'handle the cancellation request in the bol Seller Dashboard (or PUT /retailer/orders/cancellation); if the parcel did leave, report it there by hand');
  }
  if (cancelled(item)) refuse(`${name} is cancelled in bol`, 'nothing to report; the parcel should not have left');
  const remaining = left(item);
  if (remaining <= 0) refuse(`${name} is already shipped in bol (${item.quantityShipped ?? 0} of ${item.quantity ?? 0})`, 'nothing to report; was this parcel reported by hand?');
  if (quantity > remaining) refuse(`the parcel holds ${quantity} of ${name}, but only ${remaining} are left to ship`, 'check the shipment report of the warehouse');
}

/** True when the order has a shipment with this reference in bol's shipment list (3 months, 50 a page). */
async function findShipment(ctx: BolContext, orderId: string, reference: string): Promise<boolean> {
  for (let page = 1; page <= 20; page++) {
    const res = await ctx.http.request<{ shipments?: ReducedShipment[] }>({ path: '/retailer/shipments', query: { 'order-id': orderId, page }, signal: ctx.signal });
    const list = res.body?.shipments ?? [];
    if (list.some((s) => s.shipmentReference === reference)) return true;
    if (list.length < 50) return false;
  }
  return false;
}

/**
 * Waits for shipment processes of these order items that bol is still working on (an earlier attempt's
 * POST whose answer was lost). True when there was one.
 */
async function settlePending(ctx: BolContext, orderItemIds: string[]): Promise<boolean> {
  let waited = false;
  for (const id of orderItemIds) {
    const res = await ctx.http.request<{ processStatuses?: ProcessStatus[] }>({ path: '/shared/process-status', query: { 'entity-id': id, 'event-type': 'CREATE_SHIPMENT' }, signal: ctx.signal });
    for (const p of res.body?.processStatuses ?? []) {
      if (p.status !== 'PENDING') continue;
      waited = true;
      await awaitProcess(ctx, p, `an earlier shipment of order item ${id}`);
    }
  }
  return waited;
}
