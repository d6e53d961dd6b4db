import { parseChannelConfig } from '../http/config.js';
import type { BolConfig } from '../../config/generated/config.js';
import { schemaDefaults, secretKeysOf } from '../../config/schema-facts.js';

/** A bol.com channel as written in the config: generated from `schemas/channel-bol.schema.json` (`npm run schemas:types`). */
export type { BolConfig };

export const BOL_SCHEMA_FILE = 'channel-bol.schema.json';
/** The fields the schema marks `x-secret`, whose values are scrubbed from messages. */
export const bolSecretKeys = secretKeysOf(BOL_SCHEMA_FILE);

export const bolDefaults = {
  ...schemaDefaults<BolConfig>(BOL_SCHEMA_FILE),
  apiUrl: 'https://api.bol.com',
  /** The media type that selects Retailer API v10 (orders, shipments, process status). */
  mediaType: 'application/vnd.retailer.v10+json',
  /** The media type of the Offers API v11 (product pull, stock push): GA since 2026-01-19, the v10 offer endpoints are deprecated.
   * https://api.bol.com/retailer/public/Retailer-API/v11/functional/offer-api/releasenotes.html */
  offersMediaType: 'application/vnd.retailer.v11+json',
  /** Renew the token this long before bol says it expires. */
  tokenMarginSeconds: 30,
} as const;

export function parseBolConfig(raw: unknown, where?: string): BolConfig {
  return parseChannelConfig<BolConfig>(BOL_SCHEMA_FILE, raw, 'bol.com', where);
}

export function bolApiRoot(config: Pick<BolConfig, 'baseUrl'>): string {
  return (config.baseUrl ?? bolDefaults.apiUrl).replace(/\/+$/, '');
}
