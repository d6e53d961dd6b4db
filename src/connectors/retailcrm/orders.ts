import { paginate, pullWithCursor, stablePasses, warnUnsettled, type OrderStream } from '../http/pager.js';
import type { OrderPage } from '../types.js';
import { retailcrmDefaults } from './config.js';
import { crmDate, crmMillis, crmRequest, type RetailcrmContext } from './context.js';

interface OrdersAnswer {
  success?: boolean;
  orders?: { id?: number; statusUpdatedAt?: string }[];
  pagination?: { currentPage?: number; totalPageCount?: number };
}

/**
 * Orders whose status means "ready for fulfilment" (`filter[extendedStatus][]`), of the configured
 * store (`filter[sites][]`), that reached that status since the cursor minus the overlap
 * (`filter[statusUpdatedAtFrom]`, in the account's time zone), 100 a page over
 * `pagination.totalPageCount`; then orders moved to a cancelled status in the same window.
 * The list is sorted newest first, not by status time, and an order leaves it when its status moves
 * on, so each query is read in passes until one confirms the one before it (stablePasses); the
 * cursor never passes the start of the confirmed pass.
 * https://docs.simla.com/Developers/API/APIVersions/APIv5#get--api-v5-orders
 */
export function pullOrders(ctx: RetailcrmContext, cursor: string | undefined): AsyncIterable<OrderPage> {
  const c = ctx.config;
  const streams: OrderStream[] = [orderStream(ctx, 'ready', c.orderStatuses ?? [...retailcrmDefaults.orderStatuses], false)];
  const cancelled = c.cancelledStatuses ?? [...retailcrmDefaults.cancelledStatuses];
  if (cancelled.length) streams.push(orderStream(ctx, 'cancelled', cancelled, true));
  return pullWithCursor(streams, cursor, ctx.cursor);
}

function orderStream(ctx: RetailcrmContext, name: string, statuses: string[], onlyIncremental: boolean): OrderStream {
  const zone = ctx.config.timezone;
  const modifiedAt = (r: unknown) => crmMillis((r as { statusUpdatedAt?: string }).statusUpdatedAt, zone);
  let passes: ReturnType<typeof stablePasses> | undefined;
  const list = (since: Date | undefined) =>
    paginate(1, async (page) => {
      const res = await crmRequest<OrdersAnswer>(ctx, {
        path: '/orders',
        query: {
          'filter[extendedStatus][]': statuses,
          'filter[sites][]': ctx.config.site ? [ctx.config.site] : undefined,
          'filter[statusUpdatedAtFrom]': since ? crmDate(since, zone) : undefined,
          limit: retailcrmDefaults.pageSize,
          page,
        },
      });
      const total = res.body?.pagination?.totalPageCount ?? 0;
      return { records: res.body?.orders ?? [], next: page < total ? page + 1 : undefined };
    });
  return {
    name,
    sorted: false,
    onlyIncremental,
    modifiedAt,
    pages: (since) => {
      passes = stablePasses(() => list(since), {
        pageSize: retailcrmDefaults.pageSize,
        now: Date.now,
        idOf: (r) => String((r as { id?: unknown }).id), modifiedAt,
        onUnsettled: warnUnsettled(ctx.http.logger, `retailcrm ${name} orders`),
      });
      return passes.pages();
    },
    ceiling: () => passes?.ceiling(),
  };
}
