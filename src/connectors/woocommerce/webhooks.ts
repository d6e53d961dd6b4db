import type { WebhookChange, WebhookOperations, WebhookOrder } from '../types.js';
import { pointsAt } from '../webhook-url.js';
import { wooAuthQuery } from './auth.js';
import { wooDefaults, type WooConfig } from './config.js';
import type { WooContext } from './context.js';

/**
 * WooCommerce order webhooks. A delivery carries the order as the REST API v3 answers it (a webhook
 * made through /wc/v3 has api_version wp_api_v3, and WooCommerce builds its payload with the same
 * controller as GET /orders/<id>), so the record is the pull's record and the ledger sees a duplicate
 * when both bring the same order. Signed in `X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw
 * body with the webhook's secret.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
 */

/** The topics Wharf subscribes: a new order, and every change of one (status, cancellation). */
export const WOO_ORDER_TOPICS = ['order.created', 'order.updated'] as const;

interface WooWebhook {
  id: number;
  name?: string;
  status?: string;
  topic?: string;
  delivery_url?: string;
}

function orderStatuses(config: WooConfig): { ready: string[]; cancelled: string[] } {
  return { ready: config.orderStatuses ?? [...wooDefaults.orderStatuses], cancelled: config.cancelledStatuses ?? [...wooDefaults.cancelledStatuses] };
}

/**
 * One delivery: an order topic with an order in a status the pull takes (orderStatuses, or
 * cancelledStatuses for a cancellation) is one record; another status or topic is ignored. Anything
 * that is no order object goes on as a record, for the mapping to refuse and quarantine.
 */
export async function receiveWooWebhook(_ctx: WooContext, config: WooConfig, topic: string, payload: unknown): Promise<WebhookOrder> {
  if (!(WOO_ORDER_TOPICS as readonly string[]).includes(topic)) return { ignored: `topic ${topic || '(none)'} is not an order topic Wharf subscribes to` };
  const status = (payload as { status?: unknown } | null)?.status;
  if (payload && typeof payload === 'object' && typeof status === 'string') {
    const { ready, cancelled } = orderStatuses(config);
    if (!ready.includes(status) && !cancelled.includes(status)) {
      return { ignored: `order status ${status.slice(0, 40)} is not one Wharf takes (orderStatuses: ${ready.join(', ')}; cancelledStatuses: ${cancelled.join(', ')})` };
    }
  }
  return { records: [payload] };
}

/** Every webhook of the shop (GET /webhooks, 100 a page). */
async function listWebhooks(ctx: WooContext): Promise<WooWebhook[]> {
  const all: WooWebhook[] = [];
  for (let page = 1; ; page++) {
    const res = await ctx.http.request<WooWebhook[]>({ path: '/webhooks', query: { ...wooAuthQuery(ctx.config), per_page: 100, page }, signal: ctx.signal });
    const got = Array.isArray(res.body) ? res.body : [];
    all.push(...got);
    const pages = Number(res.headers.get('x-wp-totalpages'));
    if (got.length < 100 || (Number.isFinite(pages) && page >= pages)) return all;
  }
}

/**
 * Subscribes order.created and order.updated to `url` with the channel's webhook secret (POST
 * /webhooks); a topic that already points at `url` is updated instead (PUT: active, the secret of now),
 * so installing twice leaves one webhook per topic. WooCommerce pings the URL when it creates one and
 * refuses to create it when the ping fails, so the daemon must be reachable at `url` first.
 */
export async function installWooWebhooks(ctx: WooContext, config: WooConfig, url: string): Promise<WebhookChange> {
  const secret = config.webhooks?.secret ?? '';
  const existing = await listWebhooks(ctx);
  const change: WebhookChange = { created: [], kept: [], removed: [] };
  for (const topic of WOO_ORDER_TOPICS) {
    const body = { name: `Wharf ${topic}`, status: 'active', topic, delivery_url: url, secret };
    const same = existing.filter((w) => w.topic === topic && w.delivery_url === url);
    if (same.length) {
      await ctx.http.request({ method: 'PUT', idempotent: true, path: `/webhooks/${same[0]!.id}`, query: wooAuthQuery(ctx.config), json: body, signal: ctx.signal });
      change.kept.push(topic);
      // Left over from an earlier, interrupted install: one subscription per topic is enough.
      for (const extra of same.slice(1)) await deleteWebhook(ctx, extra, change);
      continue;
    }
    // Not idempotent: a lost answer could leave a webhook behind; the next install sees it and keeps it.
    await ctx.http.request({ method: 'POST', idempotent: false, path: '/webhooks', query: wooAuthQuery(ctx.config), json: body, signal: ctx.signal });
    change.created.push(topic);
  }
  return change;
}

/** Deletes every webhook (of any topic) whose delivery URL is `url`, or has that path when `url` is a path (see pointsAt). */
export async function removeWooWebhooks(ctx: WooContext, url: string): Promise<WebhookChange> {
  const change: WebhookChange = { created: [], kept: [], removed: [] };
  for (const w of await listWebhooks(ctx)) if (pointsAt(w.delivery_url, url)) await deleteWebhook(ctx, w, change);
  return change;
}

async function deleteWebhook(ctx: WooContext, w: WooWebhook, change: WebhookChange): Promise<void> {
  // force=true: webhooks cannot be trashed (https://woocommerce.github.io/woocommerce-rest-api-docs/#delete-a-webhook).
  await ctx.http.request({ method: 'DELETE', idempotent: true, path: `/webhooks/${w.id}`, query: { ...wooAuthQuery(ctx.config), force: 'true' }, signal: ctx.signal });
  change.removed.push(`${w.topic ?? '?'} ${w.delivery_url ?? ''}`);
}

export const wooWebhooks: WebhookOperations<WooConfig, WooContext> = {
  signatureHeader: 'x-wc-webhook-signature',
  topicHeader: 'x-wc-webhook-topic',
  secret: (config) => config.webhooks?.secret,
  receive: receiveWooWebhook,
  install: installWooWebhooks,
  remove: removeWooWebhooks,
};
