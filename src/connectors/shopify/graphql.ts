import { WharfError } from '../../errors.js';
import { HttpClient } from '../http/client.js';
import { cursorSettingsOf, limiterOf, secretsOf, tuningOf } from '../http/config.js';
import { RetryableResponse } from '../http/errors.js';
import type { CursorSettings } from '../http/pager.js';
import type { ConnectorOptions } from '../types.js';
import { shopifyAuth, shopifyExplain } from './auth.js';
import { shopifyApiRoot, shopifyDefaults, shopifySecretKeys, type ShopifyConfig } from './config.js';
import { QuerySizer, QueryTooCostly } from './cost.js';

/**
 * Shopify's cost-based leaky bucket, as the last response described it:
 * `extensions.cost.throttleStatus` { maximumAvailable, currentlyAvailable, restoreRate }.
 * https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits
 */
interface Bucket {
  maximum: number;
  available: number;
  restoreRate: number;
  at: number;
}

export interface ShopifyContext {
  config: ShopifyConfig;
  http: HttpClient;
  cursor: CursorSettings;
  signal?: AbortSignal;
  bucket?: Bucket;
  /** Requested cost of each operation the last time it ran: the estimate for its next run. */
  costs: Map<string, number>;
  /** Page sizes of the paged queries, learned from their costs (cost.ts). */
  sizers: { orders: QuerySizer; lineItems: QuerySizer };
  now: () => number;
}

export function createShopifyContext(config: ShopifyConfig, options: ConnectorOptions): ShopifyContext {
  const secrets = [...secretsOf(config, shopifySecretKeys), ...(config.webhooks?.secret ? [config.webhooks.secret] : [])];
  const tuning = tuningOf(config, options);
  const http = new HttpClient({
    connector: 'shopify',
    baseUrl: shopifyApiRoot(config),
    logger: options.logger,
    auth: shopifyAuth(config, options.logger, tuning, options.http?.now ?? Date.now, secrets),
    limiter: limiterOf(config, { requestsPerSecond: 2, burst: 4 }, options),
    secrets,
    explain: shopifyExplain,
    tuning,
    headers: { accept: 'application/json' },
  });
  const sizers = {
    orders: new QuerySizer({ first: shopifyDefaults.ordersPerPage, inner: shopifyDefaults.lineItemsPerOrder }, shopifyDefaults.maxQueryCost, shopifyDefaults.ordersFirstPage),
    lineItems: new QuerySizer({ first: shopifyDefaults.lineItemsPerQuery }, shopifyDefaults.maxQueryCost),
  };
  return { config, http, cursor: cursorSettingsOf(config), signal: options.signal, costs: new Map(), sizers, now: options.http?.now ?? options.now ?? Date.now };
}

interface GraphqlError {
  message?: string;
  /** MAX_COST_EXCEEDED carries the query's `cost` and the `maxCost`. */
  extensions?: { code?: string; requiredAccess?: string; cost?: number; maxCost?: number };
}

interface GraphqlBody<T> {
  data?: T;
  errors?: GraphqlError[] | string;
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number | null; throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } } };
}

/**
 * One GraphQL operation. Waits first when the bucket (as last reported) cannot pay for the query's
 * expected cost; a THROTTLED answer is retried by the request helper after the time the bucket needs
 * to refill; ACCESS_DENIED (a missing scope) is a plain AUTH_FAILED. A query is resent after a
 * timeout or 5xx like any read; a mutation only when `opts.idempotent` says sending it twice does no
 * harm (it carries an `@idempotent` key), else the caller reads the shop's state before sending again
 * (see RequestSpec in src/connectors/http/client.ts).
 */
export async function graphql<T>(ctx: ShopifyContext, operationName: string, query: string, variables: Record<string, unknown> = {}, opts: { maxAttempts?: number; idempotent?: boolean } = {}): Promise<T> {
  const expected = ctx.costs.get(operationName);
  const wait = refillWait(ctx, expected);
  if (wait > 0) {
    ctx.http.logger.debug({ connector: 'shopify', operation: operationName, waitMs: wait }, 'shopify cost bucket low; waiting');
    ctx.http.limiter?.pauseUntil(ctx.now() + wait);
  }
  const res = await ctx.http.request<GraphqlBody<T>>({
    method: 'POST',
    idempotent: opts.idempotent ?? !/^\s*mutation\b/.test(query),
    path: '/graphql.json',
    json: { query, variables, operationName },
    signal: ctx.signal,
    maxAttempts: opts.maxAttempts,
    check: (r) => {
      const body = r.body as GraphqlBody<T> | null;
      const cost = body?.extensions?.cost;
      if (cost?.throttleStatus) {
        ctx.bucket = { maximum: cost.throttleStatus.maximumAvailable, available: cost.throttleStatus.currentlyAvailable, restoreRate: cost.throttleStatus.restoreRate, at: ctx.now() };
      }
      if (cost?.requestedQueryCost !== undefined) ctx.costs.set(operationName, cost.requestedQueryCost);
      const errors: GraphqlError[] = Array.isArray(body?.errors) ? body.errors : typeof body?.errors === "string" ? [{ message: body.errors }] : [];
      if (errors.length === 0) return;
      if (errors.some((e) => e.extensions?.code === 'THROTTLED' || e.message === 'Throttled')) {
        throw new RetryableResponse('shopify: query throttled (cost bucket empty)', refillWait(ctx, cost?.requestedQueryCost), r.where);
      }
      const tooCostly = errors.find((e) => e.extensions?.code === 'MAX_COST_EXCEEDED');
      if (tooCostly) {
        const c = tooCostly.extensions?.cost ?? cost?.requestedQueryCost ?? Number(/Query cost is (\d+)/.exec(tooCostly.message ?? '')?.[1] ?? NaN);
        throw new QueryTooCostly(operationName, Number.isFinite(c) ? c : shopifyDefaults.maxQueryCost * 2, tooCostly.extensions?.maxCost ?? shopifyDefaults.maxQueryCost, r.where);
      }
      const denied = errors.find((e) => e.extensions?.code === 'ACCESS_DENIED');
      if (denied) {
        throw new WharfError('AUTH_FAILED', `shopify: the access token lacks a permission: ${denied.message ?? 'access denied'}`, {
          where: r.where,
          hint: 'add the access scope it names to the custom app (Settings > Apps and sales channels > Develop apps > Configuration) and reinstall the app',
        }, { retryable: false });
      }
      if (errors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) {
        throw new RetryableResponse(`shopify: internal error: ${errors[0]?.message ?? ''}`, undefined, r.where);
      }
      throw new WharfError('TRANSPORT_FAILED', `shopify: the query ${operationName} was refused: ${errors.map((e) => e.message).join('; ')}`, { where: r.where }, { retryable: false });
    },
  });
  if (!res.body?.data) throw new WharfError('TRANSPORT_FAILED', `shopify: ${operationName} returned no data`, { where: res.where }, { retryable: false });
  return res.body.data;
}

/** Ms until the bucket (as last reported, refilled since) holds `cost` points; 0 when it does now. */
function refillWait(ctx: ShopifyContext, cost: number | undefined): number {
  const b = ctx.bucket;
  if (!b || cost === undefined) return 0;
  const need = Math.min(cost, b.maximum);
  const now = Math.min(b.maximum, b.available + ((ctx.now() - b.at) / 1000) * b.restoreRate);
  if (now >= need || b.restoreRate <= 0) return 0;
  return Math.ceil(((need - now) / b.restoreRate) * 1000);
}
