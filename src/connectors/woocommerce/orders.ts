import { WharfError } from '../../errors.js';
import { pullWithCursor, type OrderStream } from '../http/pager.js';
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
  return { name, sorted: true, onlyIncremental, modifiedAt: wooModifiedAt, pages: (since) => keysetPages(ctx, statuses, since) };
}

/**
 * Keyset paging on the modification time: every request asks for page 1 of the orders modified at
 * or after the newest time seen so far (`modified_after` one second earlier: the filter is strict
 * and WooCommerce keeps whole seconds), oldest change first, leaving out (`exclude`) the orders
 * already read at that very second. Page numbers would skip: when an order of an earlier page leaves
 * the list (completed) or moves to its end (modified again), every later order shifts one place
 * forward and the one at the page boundary is never served. Here an order that leaves is simply
 * gone, and one modified again comes back later in the same pull (the ledger knows it).
 * Ends with a page that holds fewer than `per_page` orders (or the whole X-WP-Total).
 */
async function* keysetPages(ctx: WooContext, statuses: string[], since: Date | undefined): AsyncGenerator<unknown[]> {
  const size = wooDefaults.pageSize;
  let from = since ? Math.floor(since.getTime() / 1000) * 1000 : undefined;
  let atFrom: number[] = [];
  for (;;) {
    const res = await ctx.http.request<unknown[]>({
      path: '/orders',
      query: {
        ...wooAuthQuery(ctx.config),
        status: statuses.join(','),
        modified_after: from !== undefined ? wooDate(new Date(from - 1000)) : undefined,
        dates_are_gmt: from !== undefined ? 'true' : undefined,
        exclude: atFrom.length ? atFrom.join(',') : undefined,
        orderby: 'modified',
        order: 'asc',
        per_page: size,
        page: 1,
      },
      signal: ctx.signal,
    });
    const records = asArray(res.body);
    if (records.length) yield records;
    const total = Number(res.headers.get('x-wp-total'));
    if (records.length < size || (res.headers.has('x-wp-total') && Number.isFinite(total) && total <= records.length)) return;
    const times = records.map(wooModifiedAt).filter((t): t is number => t !== undefined && Number.isFinite(t));
    const last = times.length ? Math.max(...times) : undefined;
    if (last === undefined) throw new WharfError('TRANSPORT_FAILED', 'woocommerce: a page of orders carries no date_modified_gmt, so Wharf cannot page on from it', { hint: 'check that the API key may read orders and that no plugin strips fields from the REST answer' }, { retryable: false });
    const idsAt = (t: number) => records.filter((r) => wooModifiedAt(r) === t).map((r) => Number((r as { id?: unknown }).id));
    if (from === undefined || last > from) {
      from = last;
      atFrom = idsAt(last);
    } else {
      // A whole page at one second: leave those out and ask again.
      const known = new Set(atFrom);
      const more = idsAt(last).filter((id) => !known.has(id));
      if (!more.length) {
        throw new WharfError('TRANSPORT_FAILED', `woocommerce: the shop answered the same ${records.length} orders again although Wharf asked to leave them out (exclude); paging cannot go on without skipping orders`, {
          hint: 'a plugin or cache seems to ignore the exclude parameter of GET /orders; exclude the REST API from page caching',
        }, { retryable: false });
      }
      atFrom = [...atFrom, ...more];
    }
  }
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
