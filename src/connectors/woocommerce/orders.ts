import { paginate, pullWithCursor, type OrderStream } from '../http/pager.js';
import type { OrderPage } from '../types.js';
import { wooAuthQuery } from './auth.js';
import { wooDefaults } from './config.js';
import type { WooContext } from './context.js';

/**
 * Orders ready for fulfilment (status processing by default), modified since the cursor minus the
 * overlap, oldest change first, 100 a page; then the cancelled ones modified in the same window.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-orders
 * Needs WooCommerce 5.8+ (`modified_after`). Records are WooCommerce order objects as returned.
 */
export function pullOrders(ctx: WooContext, cursor: string | undefined): AsyncIterable<OrderPage> {
  const c = ctx.config;
  const streams: OrderStream[] = [
    orderStream(ctx, 'ready', c.orderStatuses ?? [...wooDefaults.orderStatuses], false),
  ];
  const cancelled = c.cancelledStatuses ?? [...wooDefaults.cancelledStatuses];
  if (cancelled.length) streams.push(orderStream(ctx, 'cancelled', cancelled, true));
  return pullWithCursor(streams, cursor, ctx.cursor);
}

function orderStream(ctx: WooContext, name: string, statuses: string[], onlyIncremental: boolean): OrderStream {
  return {
    name,
    sorted: true,
    onlyIncremental,
    modifiedAt: wooModifiedAt,
    pages: (since) =>
      paginate(1, async (page) => {
        const res = await ctx.http.request<unknown[]>({
          path: '/orders',
          query: {
            ...wooAuthQuery(ctx.config),
            status: statuses.join(','),
            modified_after: since ? wooDate(since) : undefined,
            dates_are_gmt: since ? 'true' : undefined,
            orderby: 'modified',
            order: 'asc',
            per_page: wooDefaults.pageSize,
            page,
          },
          signal: ctx.signal,
        });
        return { records: asArray(res.body), next: nextPage(page, res.headers, res.body) };
      }),
  };
}

/** `date_modified_gmt` is UTC without an offset ("2026-03-22T19:28:08"). */
export function wooModifiedAt(record: unknown): number | undefined {
  const r = record as { date_modified_gmt?: string | null; date_modified?: string | null };
  const gmt = r?.date_modified_gmt;
  if (gmt) return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(gmt) ? gmt : `${gmt}Z`);
  return undefined;
}

/** WooCommerce wants ISO 8601 without fractions; with `dates_are_gmt` it is read as UTC. */
export function wooDate(d: Date): string {
  return d.toISOString().slice(0, 19);
}

/** Next page number from X-WP-TotalPages; without the header, until a short page. */
export function nextPage(page: number, headers: Headers, body: unknown): number | undefined {
  const total = Number(headers.get('x-wp-totalpages'));
  if (Number.isFinite(total) && headers.has('x-wp-totalpages')) return page < total ? page + 1 : undefined;
  return asArray(body).length >= wooDefaults.pageSize ? page + 1 : undefined;
}

export function asArray(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [];
}
