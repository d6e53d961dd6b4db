import { parseChannelConfig } from '../http/config.js';
import type { WooConfig } from '../../config/generated/config.js';
import { schemaDefaults, secretKeysOf } from '../../config/schema-facts.js';

/** A WooCommerce channel as written in the config: generated from `schemas/channel-woocommerce.schema.json` (`npm run schemas:types`). */
export type { WooConfig };

export const WOO_SCHEMA_FILE = 'channel-woocommerce.schema.json';
/** The fields the schema marks `x-secret`, whose values are scrubbed from messages. */
export const wooSecretKeys = secretKeysOf(WOO_SCHEMA_FILE);

/** Every default of a WooCommerce channel (the schema's `default`s must equal these). */
export const wooDefaults = {
  ...schemaDefaults<WooConfig>(WOO_SCHEMA_FILE),
  /** WooCommerce's own maximum for per_page. */
  pageSize: 100,
} as const;

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
