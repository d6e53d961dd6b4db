import { commonConfigKeys, commonDefaults, parseChannelConfig } from '../http/config.js';
import type { CommonChannelConfig } from '../types.js';

/**
 * A WooCommerce channel as written in the config (after `${ENV}`/`file:` references were resolved).
 * Mirrors `schemas/channel-woocommerce.schema.json`; a test keeps the two and the defaults in step.
 */
export interface WooConfig extends CommonChannelConfig {
  type: 'woocommerce';
  /** https://shop.example, or the API root https://shop.example/wp-json/wc/v3. */
  url: string;
  /** Secret (ck_…). */
  consumerKey: string;
  /** Secret (cs_…). */
  consumerSecret: string;
  authMethod?: 'basic' | 'query';
  orderStatuses?: string[];
  cancelledStatuses?: string[];
}

export const WOO_SCHEMA_FILE = 'channel-woocommerce.schema.json';
export const wooSecretKeys = ['consumerKey', 'consumerSecret'] as const;

/** Every default of a WooCommerce channel (the schema's `default`s must equal these). */
export const wooDefaults = {
  ...commonDefaults,
  authMethod: 'basic',
  orderStatuses: ['processing'],
  cancelledStatuses: ['cancelled'],
  rateLimit: { requestsPerSecond: 5, burst: 5 },
  mappings: { orders: 'woocommerce.order', products: 'woocommerce.product' },
  /** WooCommerce's own maximum for per_page. */
  pageSize: 100,
} as const;

export const wooConfigKeys = {
  ...commonConfigKeys,
  type: true, url: true, consumerKey: true, consumerSecret: true, authMethod: true, orderStatuses: true, cancelledStatuses: true,
} as const satisfies Record<keyof WooConfig, true>;

export function parseWooConfig(raw: unknown, where?: string): WooConfig {
  return parseChannelConfig<WooConfig>(WOO_SCHEMA_FILE, raw, 'WooCommerce', where);
}

/**
 * The REST API root from what the merchant typed: a bare shop URL gets `/wp-json/wc/v3`; a URL that
 * already ends in `/wp-json` or `/wp-json/wc/v3` is completed or kept. WordPress in a sub-folder
 * (https://example.com/shop) works the same way.
 */
export function wooApiRoot(config: Pick<WooConfig, 'url' | 'baseUrl'>): string {
  if (config.baseUrl) return config.baseUrl.replace(/\/+$/, '');
  const u = new URL(config.url.trim());
  u.search = '';
  u.hash = '';
  const path = u.pathname.replace(/\/+$/, '');
  if (/\/wp-json\/wc\/v3$/.test(path)) u.pathname = path;
  else if (/\/wp-json$/.test(path)) u.pathname = `${path}/wc/v3`;
  else u.pathname = `${path}/wp-json/wc/v3`;
  return u.toString().replace(/\/+$/, '');
}

/** The site's REST index (`…/wp-json/`), which answers without authentication. */
export function wooIndexUrl(apiRoot: string): string {
  return apiRoot.replace(/\/wc\/v3$/, '') + '/';
}
