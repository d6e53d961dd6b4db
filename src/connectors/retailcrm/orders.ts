import { paginate, pullWithCursor, type OrderStream } from '../http/pager.js';
import type { OrderPage } from '../types.js';
import { retailcrmDefaults } from './config.js';
import { crmDate, crmMillis, crmRequest, type RetailcrmContext } from './context.js';

interface OrdersAnswer {
  success?: boolean;
  orders?: { statusUpdatedAt?: string }[];
  pagination?: { currentPage?: number; totalPageCount?: number };
}

/**
 * Orders whose status means "ready for fulfilment" (`filter[extendedStatus][]`), of the configured
 * store (`filter[sites][]`), that reached that status since the cursor minus the overlap
 * (`filter[statusUpdatedAtFrom]`, in the account's time zone), 100 a page over
 * `pagination.totalPageCount`; then orders moved to a cancelled status in the same window.
 * The list is not sorted by status time, so the cursor moves when a query is complete.
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
  return {
    name,
    sorted: false,
    onlyIncremental,
    modifiedAt: (r) => crmMillis((r as { statusUpdatedAt?: string }).statusUpdatedAt, zone),
    pages: (since) =>
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
      }),
  };
}
