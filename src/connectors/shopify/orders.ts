import { paginate, pullWithCursor, type OrderStream } from '../http/pager.js';
import type { OrderPage } from '../types.js';
import { shopifyDefaults } from './config.js';
import { sized } from './cost.js';
import { graphql, type ShopifyContext } from './graphql.js';
import { ORDER_LINE_ITEMS, ORDERS } from './queries.js';

interface Connection<T> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: T[];
}

export interface OrderNode {
  id: string;
  updatedAt: string;
  lineItems?: Connection<unknown>;
}

/**
 * The search filter of orders ready for fulfilment: paid, or paid and then partly refunded (an order
 * with one line refunded still ships the rest), and nothing shipped yet.
 * https://shopify.dev/docs/api/usage/search-syntax (connectives and grouping)
 */
export const READY_FILTER = '(financial_status:paid OR financial_status:partially_refunded) fulfillment_status:unfulfilled';
export const CANCELLED_FILTER = 'status:cancelled';

/**
 * Paid (or partially refunded), unfulfilled orders updated since the cursor minus the overlap, oldest update first; then the
 * cancelled ones updated in the same window. Records are the Order nodes of the query in queries.ts,
 * with all their line items (`lineItems.nodes`). Orders older than 60 days need the read_all_orders scope.
 * https://shopify.dev/docs/api/admin-graphql/2025-07/queries/orders
 */
export function pullOrders(ctx: ShopifyContext, cursor: string | undefined): AsyncIterable<OrderPage> {
  const streams: OrderStream[] = [orderStream(ctx, 'ready', READY_FILTER, false), orderStream(ctx, 'cancelled', CANCELLED_FILTER, true)];
  return pullWithCursor(streams, cursor, ctx.cursor);
}

function orderStream(ctx: ShopifyContext, name: string, filter: string, onlyIncremental: boolean): OrderStream {
  return {
    name,
    sorted: true,
    onlyIncremental,
    modifiedAt: (r) => Date.parse((r as OrderNode).updatedAt),
    pages: (since) =>
      paginate<{ after: string | null }>({ after: null }, async ({ after }) => {
        const query = since ? `updated_at:>='${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}' ${filter}` : filter;
        // Sized by cost: as many orders as fit in Shopify's 1,000-point query limit (cost.ts).
        const data = await sized(ctx.sizers.orders, (size) =>
          graphql<{ orders: Connection<OrderNode> }>(ctx, 'WharfOrders', ORDERS, { first: size.first, after, query, lineItems: size.inner ?? shopifyDefaults.lineItemsPerOrder }),
        () => ctx.costs.get('WharfOrders'));
        for (const order of data.orders.nodes) await completeLineItems(ctx, order);
        const info = data.orders.pageInfo;
        return { records: data.orders.nodes, next: info.hasNextPage && info.endCursor ? { after: info.endCursor } : undefined };
      }),
  };
}

/** Fetches the line items beyond the first page into the order, so a record always has them all. */
export async function completeLineItems(ctx: ShopifyContext, order: OrderNode): Promise<void> {
  let conn = order.lineItems;
  while (conn?.pageInfo.hasNextPage && conn.pageInfo.endCursor) {
    const after = conn.pageInfo.endCursor;
    const data = await sized(ctx.sizers.lineItems, (size) =>
      graphql<{ order: { lineItems: Connection<unknown> } | null }>(ctx, 'WharfOrderLineItems', ORDER_LINE_ITEMS, { id: order.id, first: size.first, after }),
    () => ctx.costs.get('WharfOrderLineItems'));
    const more = data.order?.lineItems;
    if (!more) break;
    order.lineItems = { pageInfo: more.pageInfo, nodes: [...order.lineItems!.nodes, ...more.nodes] };
    conn = more;
  }
}
