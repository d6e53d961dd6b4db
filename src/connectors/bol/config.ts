import { commonConfigKeys, commonDefaults, parseChannelConfig } from '../http/config.js';
import type { CommonChannelConfig } from '../types.js';

/** A bol.com channel. Mirrors `schemas/channel-bol.schema.json`. */
export interface BolConfig extends CommonChannelConfig {
  type: 'bol';
  /** Secret. */
  clientId: string;
  /** Secret. */
  clientSecret: string;
  tokenUrl?: string;
  /** Seconds. */
  exportPollInterval?: number;
  /** Seconds. */
  exportTimeout?: number;
}

export const BOL_SCHEMA_FILE = 'channel-bol.schema.json';
export const bolSecretKeys = ['clientId', 'clientSecret'] as const;

export const bolDefaults = {
  ...commonDefaults,
  tokenUrl: 'https://login.bol.com/token',
  exportPollInterval: 15,
  exportTimeout: 1800,
  rateLimit: { requestsPerSecond: 5, burst: 5 },
  mappings: { orders: 'bol.order', products: 'bol.product' },
  apiUrl: 'https://api.bol.com',
  /** The media type that selects Retailer API v10. */
  mediaType: 'application/vnd.retailer.v10+json',
  csvMediaType: 'application/vnd.retailer.v10+csv',
  /** Renew the token this long before bol says it expires. */
  tokenMarginSeconds: 30,
} as const;

export const bolConfigKeys = {
  ...commonConfigKeys,
  type: true, clientId: true, clientSecret: true, tokenUrl: true, exportPollInterval: true, exportTimeout: true,
} as const satisfies Record<keyof BolConfig, true>;

export function parseBolConfig(raw: unknown, where?: string): BolConfig {
  return parseChannelConfig<BolConfig>(BOL_SCHEMA_FILE, raw, 'bol.com', where);
}

export function bolApiRoot(config: Pick<BolConfig, 'baseUrl'>): string {
  return (config.baseUrl ?? bolDefaults.apiUrl).replace(/\/+$/, '');
}
