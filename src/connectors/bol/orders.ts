import { paginate, pullWithCursor, stablePasses, warnUnsettled, type OrderStream } from '../http/pager.js';
import type { OrderPage } from '../types.js';
import type { BolContext } from './context.js';

/** bol lists 50 orders a page and cannot be asked for more or fewer. */
const PAGE_SIZE = 50;

interface Summary {
  orderId: string;
  orderPlacedDateTime?: string;
  orderItems?: { quantity?: number; quantityCancelled?: number; latestChangedDateTime?: string }[];
}

/**
 * Open orders fulfilled by the retailer (`status=OPEN&fulfilment-method=FBR`, 50 a page until an empty
 * page), each as its full order (GET /retailer/orders/{id}: addresses, prices, pickup point); orders
 * not changed since the cursor minus the overlap are not fetched again. Then, on later pulls, orders
 * whose items were all cancelled since then (`status=ALL` with `change-interval-minute`, or one
 * `latest-change-date` per day for longer gaps). bol lists open orders without a date filter, so
 * every pull sees every open order; recognising repeats is the ledger's job. Each list is read in
 * passes until one confirms the one before it (passStream): the cursor never passes the start of
 * that pass.
 * https://api.bol.com/retailer/public/redoc/v10/retailer.html#tag/Orders
 */
export function pullOrders(ctx: BolContext, cursor: string | undefined): AsyncIterable<OrderPage> {
  const streams: OrderStream[] = [
    passStream(ctx, 'open', false, () => summaries(ctx, { status: 'OPEN' }), (s, since) => !since || !(changedAt(s) < since.getTime())),
    passStream(ctx, 'cancelled', true, (since) => cancelledSummaries(ctx, since!), (s, since) => allCancelled(s) && !(changedAt(s) < since!.getTime())),
  ];
  return pullWithCursor(streams, cursor, ctx.cursor);
}

/**
 * bol pages its lists by page number in an order it does not document, and an order leaves the open
 * list when it is shipped or cancelled: read until a pass confirms the one before it
 * (stablePasses), fetching the details of each summary once.
 */
function passStream(ctx: BolContext, name: string, onlyIncremental: boolean, list: (since: Date | undefined) => AsyncIterable<unknown[]>, want: (s: Summary, since: Date | undefined) => boolean): OrderStream {
  let passes: ReturnType<typeof stablePasses> | undefined;
  return {
    name,
    sorted: false,
    onlyIncremental,
    modifiedAt: bolModifiedAt,
    pages: (since) => {
      passes = stablePasses(() => list(since), {
        pageSize: PAGE_SIZE,
        now: ctx.now,
        idOf: (r) => (r as Summary).orderId,
        modifiedAt: bolModifiedAt,
        onUnsettled: warnUnsettled(ctx.http.logger, `bol ${name} orders`),
      });
      return details(ctx, passes.pages(), (s) => want(s, since));
    },
    ceiling: () => passes?.ceiling(),
  };
}

/** Newest change of an order (its items' latestChangedDateTime), else when it was placed. */
export function bolModifiedAt(record: unknown): number | undefined {
  const t = changedAt(record as Summary);
  return Number.isFinite(t) ? t : undefined;
}

function changedAt(s: Summary): number {
  const times = (s.orderItems ?? []).map((i) => Date.parse(i.latestChangedDateTime ?? '')).filter(Number.isFinite);
  return times.length ? Math.max(...times) : Date.parse(s.orderPlacedDateTime ?? '');
}

function allCancelled(s: Summary): boolean {
  const items = s.orderItems ?? [];
  return items.length > 0 && items.every((i) => (i.quantityCancelled ?? 0) >= (i.quantity ?? 1));
}

function summaries(ctx: BolContext, filter: Record<string, string | number>): AsyncIterable<unknown[]> {
  return paginate(1, async (page) => {
    const res = await ctx.http.request<{ orders?: Summary[] }>({
      path: '/retailer/orders',
      query: { 'fulfilment-method': 'FBR', ...filter, page },
      signal: ctx.signal,
    });
    const orders = res.body?.orders ?? [];
    return { records: orders, next: orders.length > 0 ? page + 1 : undefined };
  });
}

/** Changes since `since`: by minutes when within the hour bol allows, else day by day up to today. */
async function* cancelledSummaries(ctx: BolContext, since: Date): AsyncGenerator<unknown[]> {
  const minutes = Math.ceil((ctx.now() - since.getTime()) / 60_000);
  if (minutes <= 60) {
    yield* summaries(ctx, { status: 'ALL', 'change-interval-minute': Math.max(1, minutes) });
    return;
  }
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  const oldest = ctx.now() - 90 * 86_400_000; // bol keeps change dates for three months
  if (day.getTime() < oldest) day.setTime(oldest - (oldest % 86_400_000));
  for (; day.getTime() <= ctx.now(); day.setUTCDate(day.getUTCDate() + 1)) {
    yield* summaries(ctx, { status: 'ALL', 'latest-change-date': day.toISOString().slice(0, 10) });
  }
}

/** Fetches the full order of every summary that passes `want`, one page of summaries at a time. */
async function* details(ctx: BolContext, pages: AsyncIterable<unknown[]>, want: (s: Summary) => boolean): AsyncGenerator<unknown[]> {
  for await (const page of pages) {
    const out: unknown[] = [];
    for (const s of page as Summary[]) {
      if (!want(s)) continue;
      const res = await ctx.http.request({ path: `/retailer/orders/${encodeURIComponent(s.orderId)}`, signal: ctx.signal });
      out.push(withItemsToShip(res.body));
    }
    if (out.length) yield out;
  }
}

interface DetailItem {
  orderItemId?: string;
  quantity?: number;
  quantityCancelled?: number;
  cancellationRequest?: boolean;
  offer?: { reference?: string };
  product?: { ean?: string };
}

/**
 * Adds to an order detail what the bol order mapping reads instead of computing it (issue 10: no
 * JSONata in the bundled mappings):
 * - `itemsToShip`: its items without a customer's cancellation request (`cancellationRequest: true`:
 *   the customer asked to cancel the item before it shipped; the retailer confirms with PUT
 *   /retailer/orders/cancellation), or all items when none is left to ship (the order then maps to a
 *   cancellation), so a requested item is never shipped silently;
 * - `allItemsCancelled`: true when no item is left to ship (each cancelled or its cancellation requested);
 * - `cancellationRequestNote`: when some items are requested to be cancelled and others still ship,
 *   a note naming the left-out items for the warehouse and the merchant.
 * https://api.bol.com/retailer/public/redoc/v10/retailer.html#tag/Orders/operation/get-order
 */
export function withItemsToShip(order: unknown): unknown {
  if (!order || typeof order !== 'object' || !Array.isArray((order as { orderItems?: unknown }).orderItems)) return order;
  const items = (order as { orderItems: DetailItem[] }).orderItems;
  const live = items.filter((i) => i.cancellationRequest !== true && (i.quantityCancelled ?? 0) < (i.quantity ?? 1));
  const keep = items.filter((i) => i.cancellationRequest !== true);
  const requested = items.filter((i) => i.cancellationRequest === true);
  const out: Record<string, unknown> = { ...order, itemsToShip: live.length ? keep : items, allItemsCancelled: live.length === 0 };
  if (requested.length && live.length) {
    const named = requested.map((i) => `${i.quantity} x ${i.offer?.reference || i.product?.ean} (order item ${i.orderItemId})`);
    out.cancellationRequestNote = `bol: the customer asked to cancel ${named.join(', ')}; not included, do not ship. Confirm the cancellation in the bol Seller Dashboard.`;
  }
  return out;
}
