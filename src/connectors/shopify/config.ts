import { WharfError } from '../../errors.js';
import { parseChannelConfig } from '../http/config.js';
import type { ShopifyConfig } from '../../config/generated/config.js';
import { schemaDefaults, secretKeysOf } from '../../config/schema-facts.js';

/** A Shopify channel as written in the config: generated from `schemas/channel-shopify.schema.json` (`npm run schemas:types`). */
export type { ShopifyConfig };

export const SHOPIFY_SCHEMA_FILE = 'channel-shopify.schema.json';
/** The fields the schema marks `x-secret`, whose values are scrubbed from messages. */
export const shopifySecretKeys = secretKeysOf(SHOPIFY_SCHEMA_FILE);

export const shopifyDefaults = {
  ...schemaDefaults<ShopifyConfig>(SHOPIFY_SCHEMA_FILE),
  /**
   * The most orders per page, and line items per order, that Wharf asks for. A query may cost at most
   * 1000 points and nested connections multiply (orders × line items × the objects of a line), so the
   * page size actually used is learned from Shopify's requestedQueryCost and MAX_COST_EXCEEDED answers
   * (cost.ts). Orders with more line items get the rest in extra queries.
   * https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits
   */
  ordersPerPage: 25,
  /**
   * Orders in the first query of a process, before Shopify has said what one costs: an order with
   * its first 10 line items costs about 130 points in the documented model, so 7 stay under 1000.
   */
  ordersFirstPage: 7,
  lineItemsPerOrder: 10,
  /** Line items per follow-up query of one order (its lineItems beyond the first page). */
  lineItemsPerQuery: 80,
  /** Shopify's ceiling for one query: https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits */
  maxQueryCost: 1000,
  /** Fetch a new client-credentials token this long before the old one expires. */
  tokenMarginSeconds: 300,
  variantsPerPage: 250,
} as const;

/**
 * Validates a Shopify channel; exactly one way to authenticate: `accessToken` (a custom app made in
 * the admin before 2026), or `clientId` + `clientSecret` (a Dev Dashboard app; Wharf gets its tokens).
 * Throws CONFIG_INVALID naming the fields (never their values).
 */
export function parseShopifyConfig(raw: unknown, where?: string): ShopifyConfig {
  const config = parseChannelConfig<ShopifyConfig>(SHOPIFY_SCHEMA_FILE, raw, 'Shopify', where);
  const token = config.accessToken !== undefined;
  const client = config.clientId !== undefined || config.clientSecret !== undefined;
  const hint = 'use accessToken (a custom app made in the Shopify admin) or clientId + clientSecret (an app from the Dev Dashboard), see docs/connectors.md';
  if (token && client) throw new WharfError('CONFIG_INVALID', 'invalid Shopify channel config: give either accessToken or clientId + clientSecret, not both', { where, field: 'accessToken', hint });
  if (!token && !client) throw new WharfError('CONFIG_INVALID', 'invalid Shopify channel config: no credentials: accessToken, or clientId + clientSecret, is required', { where, field: 'accessToken', hint });
  if (client && (!config.clientId || !config.clientSecret)) {
    throw new WharfError('CONFIG_INVALID', `invalid Shopify channel config: ${config.clientId ? 'clientSecret' : 'clientId'} is missing (clientId and clientSecret go together)`, { where, field: config.clientId ? 'clientSecret' : 'clientId', hint });
  }
  const version = config.apiVersion ?? shopifyDefaults.apiVersion;
  if ((config.push?.stock?.enabled || config.push?.shipments?.enabled) && version < PUSH_MIN_VERSION) {
    throw new WharfError('CONFIG_INVALID', `invalid Shopify channel config: the stock and shipment push needs apiVersion ${PUSH_MIN_VERSION} or later (it is ${version})`, { where, field: 'apiVersion', hint: `remove apiVersion (default ${shopifyDefaults.apiVersion}) or set a newer one` });
  }
  if (config.push?.stock?.enabled && !config.locationId) {
    throw new WharfError('CONFIG_INVALID', 'invalid Shopify channel config: push.stock needs `locationId`, the location whose stock Wharf sets', { where, field: 'locationId', hint: '`wharf test-connection` lists the store\'s locations with their ids' });
  }
  return config;
}

/**
 * The oldest API version the push is written for: from 2026-04 `inventorySetQuantities` takes
 * `changeFromQuantity` per quantity and requires the `@idempotent` directive.
 * https://shopify.dev/changelog/posts/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations
 */
export const PUSH_MIN_VERSION = '2026-04';

/** `https://<shop>` (or `baseUrl`): where the Admin API and the OAuth token endpoint live. */
export function shopifyShopRoot(config: Pick<ShopifyConfig, 'shop' | 'baseUrl'>): string {
  return config.baseUrl ? config.baseUrl.replace(/\/+$/, '') : `https://${shopDomain(config.shop)}`;
}

/** `acme`, `acme.myshopify.com`, `https://acme.myshopify.com/` → `acme.myshopify.com`. */
export function shopDomain(shop: string): string {
  const bare = shop.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase();
  return bare.includes('.') ? bare : `${bare}.myshopify.com`;
}

/** The Admin API root at the pinned version; requests go to `<root>/graphql.json`. */
export function shopifyApiRoot(config: Pick<ShopifyConfig, 'shop' | 'apiVersion' | 'baseUrl'>): string {
  const version = config.apiVersion ?? shopifyDefaults.apiVersion;
  return `${shopifyShopRoot(config)}/admin/api/${version}`;
}

/** `123` → `gid://shopify/Location/123`. */
export function locationGid(id: string): string {
  return id.startsWith('gid://') ? id : `gid://shopify/Location/${id}`;
}
