import { IANAZone } from 'luxon';
import { WharfError } from '../../errors.js';
import { parseChannelConfig } from '../http/config.js';
import type { RetailcrmConfig } from '../../config/generated/config.js';
import { schemaDefaults, secretKeysOf } from '../../config/schema-facts.js';

/** A RetailCRM (Simla.com) channel as written in the config: generated from `schemas/channel-retailcrm.schema.json` (`npm run schemas:types`). */
export type { RetailcrmConfig };

export const RETAILCRM_SCHEMA_FILE = 'channel-retailcrm.schema.json';
/** The fields the schema marks `x-secret`, whose values are scrubbed from messages. */
export const retailcrmSecretKeys = secretKeysOf(RETAILCRM_SCHEMA_FILE);

export const retailcrmDefaults = {
  // The schema's rateLimit default (8/s, burst 1): RetailCRM allows 10 requests per second per key; stay a little below. Any one second may see
  // burst + requestsPerSecond requests (a full bucket, then its refill), so the burst stays at 1:
  // at most 9 a second. A burst of 8 sent up to 16 in the first second of a long pull (503s).
  ...schemaDefaults<RetailcrmConfig>(RETAILCRM_SCHEMA_FILE),
  /** Largest `limit` RetailCRM accepts (20, 50 or 100). */
  pageSize: 100,
} as const;

export function parseRetailcrmConfig(raw: unknown, where?: string): RetailcrmConfig {
  const config = parseChannelConfig<RetailcrmConfig>(RETAILCRM_SCHEMA_FILE, raw, 'RetailCRM', where);
  if (!IANAZone.isValidZone(config.timezone)) {
    throw new WharfError('CONFIG_INVALID', `invalid RetailCRM channel config: timezone "${config.timezone}" is not an IANA time zone`, { where, field: 'timezone', hint: 'e.g. Europe/Moscow or Europe/Amsterdam' });
  }
  const pushing = [config.push?.stock?.enabled ? 'push.stock' : '', config.push?.shipments?.enabled ? 'push.shipments' : ''].filter(Boolean);
  if (pushing.length && !config.storeCode) {
    throw new WharfError('CONFIG_INVALID', `invalid RetailCRM channel config: ${pushing.join(' and ')} need \`storeCode\`, the RetailCRM warehouse (store) code that stands for this warehouse`, { where, field: 'storeCode', hint: 'RetailCRM > Settings > Warehouses: copy the symbolic code of the warehouse, e.g. storeCode: main-warehouse' });
  }
  return config;
}

/** The account address without `/api/v5` (test-connection also calls `/api/credentials` there). */
export function retailcrmSiteRoot(config: Pick<RetailcrmConfig, 'url' | 'baseUrl'>): string {
  const raw = config.baseUrl ?? config.url;
  const u = new URL(raw.trim());
  u.search = '';
  u.hash = '';
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/\/api(\/v5)?$/, '');
  return u.toString().replace(/\/+$/, '');
}

export function retailcrmApiRoot(config: Pick<RetailcrmConfig, 'url' | 'baseUrl'>): string {
  return `${retailcrmSiteRoot(config)}/api/v5`;
}
