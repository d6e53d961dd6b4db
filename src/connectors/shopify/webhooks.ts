import { WharfError } from '../../errors.js';
import type { WebhookChange, WebhookOperations, WebhookOrder } from '../types.js';
import { pointsAt } from '../webhook-url.js';
import { shopifyDefaults, type ShopifyConfig } from './config.js';
import { graphql, type ShopifyContext } from './graphql.js';
import { completeLineItems, type OrderNode } from './orders.js';
import { ORDER, WEBHOOK_CREATE, WEBHOOK_DELETE, WEBHOOK_SUBSCRIPTIONS } from './queries.js';

/**
 * Shopify order webhooks. A delivery's body is the order in the REST shape (snake_case), while the
 * pull reads GraphQL Order nodes; the delivery is taken as the news that order `admin_graphql_api_id`
 * changed, and the order is read with the pull's own fields (queries.ts ORDER_NODE), so both paths
 * hand the ledger the same record and an order seen both ways is a duplicate. Signed in
 * `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the raw body with the app's client secret.
 * https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook
 */

/** X-Shopify-Topic values Wharf takes, and the subscription topics behind them. */
export const SHOPIFY_ORDER_TOPICS = { 'orders/create': 'ORDERS_CREATE', 'orders/updated': 'ORDERS_UPDATED' } as const;
const SUBSCRIPTION_TOPICS = Object.values(SHOPIFY_ORDER_TOPICS);

interface Subscription {
  id: string;
  topic: string;
  uri: string;
}

interface Connection<T> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: T[];
}

interface FullOrder extends OrderNode {
  cancelledAt?: string | null;
  displayFinancialStatus?: string;
  displayFulfillmentStatus?: string;
}

/** The pull's filter (orders.ts READY_FILTER) on one order, plus cancelled orders. */
function readyOrCancelled(o: FullOrder): boolean {
  if (o.cancelledAt) return true;
  return (o.displayFinancialStatus === 'PAID' || o.displayFinancialStatus === 'PARTIALLY_REFUNDED') && o.displayFulfillmentStatus === 'UNFULFILLED';
}

/** The order's GraphQL id from a REST-shaped webhook body, or undefined. */
function orderGid(payload: unknown): string | undefined {
  const p = payload as { admin_graphql_api_id?: unknown; id?: unknown } | null;
  if (typeof p?.admin_graphql_api_id === 'string' && /^gid:\/\/shopify\/Order\/\d+$/.test(p.admin_graphql_api_id)) return p.admin_graphql_api_id;
  if (typeof p?.id === 'number' && Number.isSafeInteger(p.id) && p.id > 0) return `gid://shopify/Order/${p.id}`;
  return undefined;
}

/**
 * One delivery of orders/create or orders/updated: the order read again by id (one query, plus one
 * per 80 line items beyond the first 10); ignored when it is neither ready for fulfilment nor cancelled
 * (the pull's filter), or no longer exists. A body without an order id goes on as a record, for the
 * mapping to refuse and quarantine. Throws what graphql() throws (retryable for transport trouble).
 */
export async function receiveShopifyWebhook(ctx: ShopifyContext, _config: ShopifyConfig, topic: string, payload: unknown): Promise<WebhookOrder> {
  if (!Object.hasOwn(SHOPIFY_ORDER_TOPICS, topic)) return { ignored: `topic ${topic || '(none)'} is not an order topic Wharf subscribes to` };
  const id = orderGid(payload);
  if (!id) return { records: [payload] };
  const data = await graphql<{ order: FullOrder | null }>(ctx, 'WharfOrder', ORDER, { id, lineItems: shopifyDefaults.lineItemsPerOrder });
  if (!data.order) return { ignored: `order ${id} no longer exists in the shop` };
  await completeLineItems(ctx, data.order);
  if (!readyOrCancelled(data.order)) {
    return { ignored: `order ${id} is not ready for fulfilment (${data.order.displayFinancialStatus ?? '?'}, ${data.order.displayFulfillmentStatus ?? '?'})` };
  }
  return { records: [data.order] };
}

async function listSubscriptions(ctx: ShopifyContext, topics: readonly string[] | null): Promise<Subscription[]> {
  const all: Subscription[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { webhookSubscriptions: Connection<Subscription> } = await graphql(ctx, 'WharfWebhookSubscriptions', WEBHOOK_SUBSCRIPTIONS, { first: 100, after, topics });
    all.push(...data.webhookSubscriptions.nodes);
    const info = data.webhookSubscriptions.pageInfo;
    if (!info.hasNextPage || !info.endCursor) return all;
    after = info.endCursor;
  }
}

function refused(what: string, errors: { field?: string[] | null; message: string }[]): WharfError {
  const message = errors.map((e) => e.message).join('; ');
  const permission = /access|permission|scope|protected customer data/i.test(message);
  return new WharfError(permission ? 'AUTH_FAILED' : 'TRANSPORT_FAILED', `shopify: ${what} was refused: ${message}`, {
    hint: permission
      ? 'order webhooks need the read_orders access scope (and approved access to protected customer data): add it to the app and install it again'
      : 'check the URL (Shopify wants an https:// address it can reach)',
  }, { retryable: false });
}

/**
 * Subscribes ORDERS_CREATE and ORDERS_UPDATED to `url` (webhookSubscriptionCreate, JSON); a topic
 * already subscribed to `url` is kept, so installing twice leaves one subscription per topic.
 * Throws AUTH_FAILED when the app lacks the scope (read_orders).
 */
export async function installShopifyWebhooks(ctx: ShopifyContext, _config: ShopifyConfig, url: string): Promise<WebhookChange> {
  const existing = await listSubscriptions(ctx, SUBSCRIPTION_TOPICS);
  const change: WebhookChange = { created: [], kept: [], removed: [] };
  for (const topic of SUBSCRIPTION_TOPICS) {
    if (existing.some((s) => s.topic === topic && s.uri === url)) {
      change.kept.push(topic);
      continue;
    }
    const data = await graphql<{ webhookSubscriptionCreate: { webhookSubscription: Subscription | null; userErrors: { field?: string[] | null; message: string }[] } }>(
      ctx, 'WharfWebhookCreate', WEBHOOK_CREATE, { topic, webhookSubscription: { uri: url, format: 'JSON' } },
    );
    const r = data.webhookSubscriptionCreate;
    if (r.userErrors.length || !r.webhookSubscription) throw refused(`subscribing ${topic} to ${url}`, r.userErrors);
    change.created.push(topic);
  }
  return change;
}

/** Deletes every subscription (any topic) whose address is `url`, or has that path when `url` is a path (see pointsAt). */
export async function removeShopifyWebhooks(ctx: ShopifyContext, url: string): Promise<WebhookChange> {
  const change: WebhookChange = { created: [], kept: [], removed: [] };
  for (const s of await listSubscriptions(ctx, null)) {
    if (!pointsAt(s.uri, url)) continue;
    const data = await graphql<{ webhookSubscriptionDelete: { deletedWebhookSubscriptionId: string | null; userErrors: { field?: string[] | null; message: string }[] } }>(
      ctx, 'WharfWebhookDelete', WEBHOOK_DELETE, { id: s.id }, { idempotent: true },
    );
    const r = data.webhookSubscriptionDelete;
    if (r.userErrors.length) throw refused(`deleting the ${s.topic} subscription`, r.userErrors);
    change.removed.push(`${s.topic} ${s.uri}`);
  }
  return change;
}

export const shopifyWebhooks: WebhookOperations<ShopifyConfig, ShopifyContext> = {
  signatureHeader: 'x-shopify-hmac-sha256',
  topicHeader: 'x-shopify-topic',
  // Shopify signs with the app's client secret: the channel's clientSecret, or `webhooks.secret` for a custom app.
  secret: (config) => config.webhooks?.secret ?? config.clientSecret,
  receive: receiveShopifyWebhook,
  install: installShopifyWebhooks,
  remove: removeShopifyWebhooks,
};
