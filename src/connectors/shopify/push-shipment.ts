import { WharfError } from '../../errors.js';
import type { ShipmentPush, ShipmentPushResult } from '../types.js';
import { locationGid } from './config.js';
import { graphql, type ShopifyContext } from './graphql.js';
import { contentKey } from './idempotency.js';
import { fulfillMutation, SHIPMENT_ORDER } from './push-queries.js';
import { trackingCompany, warnUnknownCompany } from './tracking-companies.js';

interface FoLine {
  id: string;
  remainingQuantity: number;
  lineItem: { id: string; sku: string | null } | null;
}

interface FulfillmentOrderNode {
  id: string;
  status: string;
  assignedLocation: { location: { id: string } | null } | null;
  lineItems: { nodes: FoLine[] };
}

interface ShipmentOrder {
  id: string;
  name: string;
  cancelledAt: string | null;
  displayFulfillmentStatus: string;
  fulfillments: { id: string; status: string; trackingInfo: { number: string | null }[] }[];
  fulfillmentOrders: { nodes: FulfillmentOrderNode[] };
}

type FulfillAnswer = { fulfillmentCreate: { fulfillment: { id: string; status: string } | null; userErrors: { field?: string[] | null; message: string; code?: string }[] } | null };

/** Shopify's answer for a key whose first request failed (the error code's text; UserError carries no code). */
const PREVIOUS_FAILED = /previous request with this idempotency key failed/i;
/** Most keys tried for one push after earlier refused attempts (each `wharf retry` after a refusal uses the next). */
const MAX_KEY_CHAIN = 20;

/** Fulfillment order statuses that can still be fulfilled. https://shopify.dev/docs/api/admin-graphql/2026-04/enums/FulfillmentOrderStatus */
const FULFILLABLE = new Set(['OPEN', 'IN_PROGRESS']);

/** A refusal of the shipment for a content reason: failed in the outbox, `wharf retry`-able, never retried by itself. */
function refuse(message: string, hint?: string): WharfError {
  return new WharfError('NOT_FOUND', message, { hint }, { retryable: false });
}

/**
 * Reports one parcel: reads the order (`order(id: gid://shopify/Order/<orderRef>)`), and
 * - when a successful fulfillment already carries this tracking number: `already-there` (the answer of
 *   an earlier attempt was lost, or the shop was fulfilled by hand with this parcel);
 * - a cancelled or unknown order, or lines with nothing left to fulfil at the location: a
 *   non-retryable WharfError with the reason (Shopify's own message for userErrors);
 * - otherwise `fulfillmentCreate` on the order's open fulfillment orders at `locationId` (or at the
 *   one location the parcel's lines are open at, when none is configured), with only this parcel's lines
 *   and quantities (matched by `lineRef` = the LineItem id when the order mapping kept it, else by SKU),
 *   `trackingInfo { number url company }` (company = Shopify's tracking company for the carrier, see
 *   tracking-companies.ts; a carrier Shopify does not list is sent as reported and logged once) and `notifyCustomer`,
 *   under an idempotency key derived from the shipment id.
 * A parcel without tracking number that an earlier attempt may have sent is `already-there` when its
 * lines have nothing left to fulfil (there is no tracking number to recognise it by).
 * Throws retryable WharfErrors for transport trouble; AUTH_FAILED without a fulfillment scope.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/fulfillmentCreate
 * https://shopify.dev/docs/apps/build/orders-fulfillment/order-management-apps/build-fulfillment-solutions
 */
export async function pushShipment(ctx: ShopifyContext, push: ShipmentPush): Promise<ShipmentPushResult> {
  const ref = push.orderRef.trim();
  const orderId = ref.startsWith('gid://') ? ref : /^\d+$/.test(ref) ? `gid://shopify/Order/${ref}` : '';
  if (!orderId) throw refuse(`shopify: "${ref.slice(0, 40)}" is not a Shopify order id (the order mapping keeps legacyResourceId as externalId)`);
  const data = await graphql<{ order: ShipmentOrder | null }>(ctx, 'WharfShipmentOrder', SHIPMENT_ORDER, { id: orderId });
  const order = data.order;
  if (!order) throw refuse(`shopify: order ${ref} does not exist in the shop (deleted?)`);
  const tracking = push.trackingNumber?.trim() || null;
  if (tracking) {
    const earlier = order.fulfillments.find((f) => f.status === 'SUCCESS' && f.trackingInfo.some((t) => t.number === tracking));
    if (earlier) return { outcome: 'already-there', detail: `order ${order.name} already has fulfillment ${earlier.id} with tracking ${tracking}` };
  }
  if (order.cancelledAt) throw refuse(`shopify: order ${order.name} was cancelled in the shop (${order.cancelledAt}); the parcel is not reported`, 'check with the merchant; `wharf retry` sends it again if the order is reopened');

  const location = ctx.config.locationId ? locationGid(ctx.config.locationId) : undefined;
  const open = order.fulfillmentOrders.nodes.filter((fo) => FULFILLABLE.has(fo.status) && (!location || fo.assignedLocation?.location?.id === location));
  const plan = allocate(open, push.lines);
  if (!plan.ok) {
    const nothingLeft = push.lines.every((l) => remainingFor(order.fulfillmentOrders.nodes, l, location) === 0);
    if (!tracking && push.attempts > 0 && nothingLeft) {
      return { outcome: 'already-there', detail: `order ${order.name} has nothing left to fulfil for this parcel (an earlier attempt did it)` };
    }
    throw refuse(`shopify: order ${order.name}: ${plan.problem}`, location ? undefined : 'set `locationId` when the order ships from several locations');
  }
  const fulfillment: Record<string, unknown> = {
    lineItemsByFulfillmentOrder: plan.groups.map((g) => ({ fulfillmentOrderId: g.id, fulfillmentOrderLineItems: g.lines })),
    notifyCustomer: push.notifyCustomer,
  };
  const company = trackingCompany(push.carrier, ctx.config.trackingCompanies);
  if (company && !company.known) warnUnknownCompany(ctx.http.logger, ctx.config.shop, company.company, Boolean(push.trackingUrl));
  if (tracking || push.trackingUrl || company) {
    fulfillment.trackingInfo = { number: tracking, url: push.trackingUrl ?? null, company: company?.company ?? null };
  }
  // The key comes from the shipment id. A key whose first request was refused stays refused
  // (IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED: "retry with a new idempotency key"): after `wharf retry` the
  // order was just read and holds no fulfillment of this parcel, so the next key of the chain is used.
  let res: FulfillAnswer;
  for (let n = 0; ; n++) {
    const key = contentKey(`shipment|${ctx.config.shop}|${push.orderId}|${push.shipmentId}${n ? `|${n}` : ''}`);
    // Sent once per call (429/THROTTLED aside, which Shopify did not process): after a timeout, reset
    // or 5xx the outbox tries again later with `attempts` > 0, and that attempt reads the order first.
    // A blind resend would rely on fulfillmentCreate honouring @idempotent, which is unverified.
    res = await graphql<FulfillAnswer>(ctx, 'WharfFulfill', fulfillMutation(key), { fulfillment }, { maxAttempts: 1 });
    const previous = (res.fulfillmentCreate?.userErrors ?? []).some((e) => PREVIOUS_FAILED.test(e.message) || e.code === 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED');
    if (!previous || n >= MAX_KEY_CHAIN) break;
  }
  const errors = res.fulfillmentCreate?.userErrors ?? [];
  if (errors.length || !res.fulfillmentCreate?.fulfillment) {
    throw refuse(`shopify refused the fulfillment of order ${order.name}: ${errors.map((e) => e.message).join('; ') || 'no fulfillment returned'}`);
  }
  const f = res.fulfillmentCreate.fulfillment;
  const lines = push.lines.reduce((n, l) => n + l.quantity, 0);
  return { outcome: 'pushed', detail: `order ${order.name}: fulfillment ${f.id} (${lines} item${lines === 1 ? '' : 's'}${tracking ? `, tracking ${tracking}` : ''})` };
}

type Plan = { ok: true; groups: { id: string; lines: { id: string; quantity: number }[] }[] } | { ok: false; problem: string };

/**
 * This parcel's lines on the open fulfillment order lines: by `lineRef` (the LineItem id) when given,
 * else by SKU, taking each line's remaining quantity in turn. All chosen fulfillment orders must share
 * one location (fulfillmentCreate's rule).
 */
function allocate(open: FulfillmentOrderNode[], lines: ShipmentPush['lines']): Plan {
  const left = new Map<string, number>();
  for (const fo of open) for (const l of fo.lineItems.nodes) left.set(l.id, l.remainingQuantity);
  const picked = new Map<string, Map<string, number>>();
  const locations = new Set<string>();
  for (const line of lines) {
    let need = line.quantity;
    for (const fo of open) {
      for (const l of fo.lineItems.nodes) {
        if (need === 0) break;
        if (!matches(l, line)) continue;
        const take = Math.min(need, left.get(l.id) ?? 0);
        if (take <= 0) continue;
        left.set(l.id, (left.get(l.id) ?? 0) - take);
        const group = picked.get(fo.id) ?? new Map<string, number>();
        group.set(l.id, (group.get(l.id) ?? 0) + take);
        picked.set(fo.id, group);
        locations.add(fo.assignedLocation?.location?.id ?? '');
        need -= take;
      }
    }
    if (need > 0) {
      const had = line.quantity - need;
      return { ok: false, problem: `SKU ${line.sku}: ${line.quantity} shipped but only ${had} left to fulfil${open.length ? '' : ' (no open fulfillment order at this location)'} (already fulfilled?)` };
    }
  }
  if (locations.size > 1) return { ok: false, problem: `the parcel's lines are open at ${locations.size} different locations; fulfillmentCreate takes one` };
  return { ok: true, groups: [...picked].map(([id, ls]) => ({ id, lines: [...ls].map(([lid, quantity]) => ({ id: lid, quantity })) })) };
}

function matches(l: FoLine, line: ShipmentPush['lines'][number]): boolean {
  if (line.lineRef) return l.lineItem?.id === line.lineRef || l.lineItem?.id === `gid://shopify/LineItem/${line.lineRef}`;
  return (l.lineItem?.sku ?? '').trim() === line.sku;
}

function remainingFor(all: FulfillmentOrderNode[], line: ShipmentPush['lines'][number], location: string | undefined): number {
  let n = 0;
  for (const fo of all) {
    if (location && fo.assignedLocation?.location?.id !== location) continue;
    for (const l of fo.lineItems.nodes) if (matches(l, line)) n += l.remainingQuantity;
  }
  return n;
}
