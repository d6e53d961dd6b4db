import { paginate, pullWithCursor, stablePasses, warnUnsettled, type OrderStream } from '../http/pager.js';
import type { OrderPage } from '../types.js';
import { lightspeedDefaults } from './config.js';
import { lsRequest, type LightspeedContext } from './context.js';

/**
 * Orders in the configured "ready" statuses updated since the cursor minus the overlap (one query per
 * status, `limit=250`, pages until a short one), each with its order products fetched from
 * `/orders/{id}/products.json` and added as `orderProducts`; then the cancelled ones.
 * https://developers.lightspeedhq.com/ecom/endpoints/order/ — the filter names (status,
 * updated_at_min) and paging follow the documented conventions of the API but are unverified
 * against a live shop (DESIGN.md). The order of results is not documented and an order leaves a
 * status list when it moves on, so each query is read in passes until one confirms the one before
 * it (stablePasses), and the cursor never passes the start of the confirmed pass.
 */
export function pullOrders(ctx: LightspeedContext, cursor: string | undefined): AsyncIterable<OrderPage> {
  const c = ctx.config;
  const streams: OrderStream[] = [];
  for (const s of c.orderStatuses ?? lightspeedDefaults.orderStatuses) streams.push(orderStream(ctx, s, false));
  for (const s of c.cancelledStatuses ?? lightspeedDefaults.cancelledStatuses) streams.push(orderStream(ctx, s, true));
  return pullWithCursor(streams, cursor, ctx.cursor);
}

interface LsOrder {
  id: number;
  updatedAt?: string;
  orderProducts?: unknown[];
}

const lsModifiedAt = (r: unknown) => ((r as LsOrder).updatedAt ? Date.parse((r as LsOrder).updatedAt!) : undefined);

function orderStream(ctx: LightspeedContext, status: string, onlyIncremental: boolean): OrderStream {
  let passes: ReturnType<typeof stablePasses> | undefined;
  const list = (since: Date | undefined) =>
    paginate(1, async (page) => {
      const res = await lsRequest<{ orders?: LsOrder[] }>(ctx, {
        path: '/orders.json',
        query: { status, updated_at_min: since?.toISOString().replace(/\.\d{3}Z$/, '+00:00'), limit: lightspeedDefaults.pageSize, page },
      });
      const orders = res.body?.orders ?? [];
      return { records: orders, next: orders.length >= lightspeedDefaults.pageSize ? page + 1 : undefined };
    });
  return {
    name: status,
    sorted: false,
    onlyIncremental,
    modifiedAt: lsModifiedAt,
    pages: (since) => {
      passes = stablePasses(() => list(since), {
        pageSize: lightspeedDefaults.pageSize,
        now: Date.now,
        idOf: (r) => String((r as LsOrder).id),
        modifiedAt: lsModifiedAt,
        onUnsettled: warnUnsettled(ctx.http.logger, `lightspeed orders in status ${status}`),
      });
      return withProducts(ctx, passes.pages());
    },
    ceiling: () => passes?.ceiling(),
  };
}

/** Adds its order products to each order of each page (only orders not read before in this pull reach here). */
async function* withProducts(ctx: LightspeedContext, pages: AsyncIterable<unknown[]>): AsyncGenerator<unknown[]> {
  for await (const page of pages) {
    for (const o of page as LsOrder[]) o.orderProducts = await orderProducts(ctx, o.id);
    yield page;
  }
}

async function orderProducts(ctx: LightspeedContext, id: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const page of paginate(1, async (page) => {
    const res = await lsRequest<{ orderProducts?: unknown[] }>(ctx, { path: `/orders/${encodeURIComponent(String(id))}/products.json`, query: { limit: lightspeedDefaults.pageSize, page } });
    const items = res.body?.orderProducts ?? [];
    return { records: items, next: items.length >= lightspeedDefaults.pageSize ? page + 1 : undefined };
  })) out.push(...page);
  return out;
}
