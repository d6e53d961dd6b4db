import { IANAZone } from 'luxon';
import { WharfError } from '../../errors.js';
import { commonConfigKeys, commonDefaults, parseChannelConfig } from '../http/config.js';
import type { CommonChannelConfig } from '../types.js';

/** A RetailCRM (Simla.com) channel. Mirrors `schemas/channel-retailcrm.schema.json`. */
export interface RetailcrmConfig extends CommonChannelConfig {
  type: 'retailcrm';
  /** https://acme.retailcrm.ru */
  url: string;
  /** Secret. */
  apiKey: string;
  site?: string;
  /** IANA zone of the account: its dates carry no offset. */
  timezone: string;
  orderStatuses?: string[];
  cancelledStatuses?: string[];
}

export const RETAILCRM_SCHEMA_FILE = 'channel-retailcrm.schema.json';
export const retailcrmSecretKeys = ['apiKey'] as const;

export const retailcrmDefaults = {
  ...commonDefaults,
  orderStatuses: ['send-to-assembling'],
  cancelledStatuses: ['cancel-other'],
  // RetailCRM allows 10 requests per second per key; stay a little below. Any one second may see
  // burst + requestsPerSecond requests (a full bucket, then its refill), so the burst stays at 1:
  // at most 9 a second. A burst of 8 sent up to 16 in the first second of a long pull (503s).
  rateLimit: { requestsPerSecond: 8, burst: 1 },
  mappings: { orders: 'retailcrm.order', products: 'retailcrm.product' },
  /** Largest `limit` RetailCRM accepts (20, 50 or 100). */
  pageSize: 100,
} as const;

export const retailcrmConfigKeys = {
  ...commonConfigKeys,
  type: true, url: true, apiKey: true, site: true, timezone: true, orderStatuses: true, cancelledStatuses: true,
} as const satisfies Record<keyof RetailcrmConfig, true>;

export function parseRetailcrmConfig(raw: unknown, where?: string): RetailcrmConfig {
  const config = parseChannelConfig<RetailcrmConfig>(RETAILCRM_SCHEMA_FILE, raw, 'RetailCRM', where);
  if (!IANAZone.isValidZone(config.timezone)) {
    throw new WharfError('CONFIG_INVALID', `invalid RetailCRM channel config: timezone "${config.timezone}" is not an IANA time zone`, { where, field: 'timezone', hint: 'e.g. Europe/Moscow or Europe/Amsterdam' });
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
