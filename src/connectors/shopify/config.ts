import { commonConfigKeys, commonDefaults, parseChannelConfig } from '../http/config.js';
import type { CommonChannelConfig } from '../types.js';

/** A Shopify channel as written in the config. Mirrors `schemas/channel-shopify.schema.json`. */
export interface ShopifyConfig extends CommonChannelConfig {
  type: 'shopify';
  /** acme.myshopify.com, or just acme. */
  shop: string;
  /** Secret: Admin API access token (shpat_…). */
  accessToken: string;
  apiVersion?: string;
  /** gid://shopify/Location/123 or 123. */
  locationId?: string;
}

export const SHOPIFY_SCHEMA_FILE = 'channel-shopify.schema.json';
export const shopifySecretKeys = ['accessToken'] as const;

export const shopifyDefaults = {
  ...commonDefaults,
  apiVersion: '2025-07',
  rateLimit: { requestsPerSecond: 2, burst: 4 },
  mappings: { orders: 'shopify.order', products: 'shopify.product' },
  /**
   * Orders per page and line items per order in one query. A query may cost at most 1000 points and
   * nested connections multiply (orders × line items), so 250 × 250 is impossible; 50 × 15 costs
   * about 1000 → 25 × 30 ≈ 850. Orders with more line items get their remaining ones in extra queries.
   * https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits
   */
  ordersPerPage: 25,
  lineItemsPerOrder: 30,
  variantsPerPage: 250,
} as const;

export const shopifyConfigKeys = {
  ...commonConfigKeys,
  type: true, shop: true, accessToken: true, apiVersion: true, locationId: true,
} as const satisfies Record<keyof ShopifyConfig, true>;

export function parseShopifyConfig(raw: unknown, where?: string): ShopifyConfig {
  return parseChannelConfig<ShopifyConfig>(SHOPIFY_SCHEMA_FILE, raw, 'Shopify', where);
}

/** `acme`, `acme.myshopify.com`, `https://acme.myshopify.com/` → `acme.myshopify.com`. */
export function shopDomain(shop: string): string {
  const bare = shop.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase();
  return bare.includes('.') ? bare : `${bare}.myshopify.com`;
}

/** The Admin API root at the pinned version; requests go to `<root>/graphql.json`. */
export function shopifyApiRoot(config: Pick<ShopifyConfig, 'shop' | 'apiVersion' | 'baseUrl'>): string {
  const version = config.apiVersion ?? shopifyDefaults.apiVersion;
  if (config.baseUrl) return `${config.baseUrl.replace(/\/+$/, '')}/admin/api/${version}`;
  return `https://${shopDomain(config.shop)}/admin/api/${version}`;
}

/** `123` → `gid://shopify/Location/123`. */
export function locationGid(id: string): string {
  return id.startsWith('gid://') ? id : `gid://shopify/Location/${id}`;
}
