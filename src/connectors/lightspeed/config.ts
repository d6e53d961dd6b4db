import { commonConfigKeys, commonDefaults, parseChannelConfig } from '../http/config.js';
import type { CommonChannelConfig } from '../types.js';

/** A Lightspeed eCom (C-Series) channel. Mirrors `schemas/channel-lightspeed.schema.json`. */
export interface LightspeedConfig extends CommonChannelConfig {
  type: 'lightspeed';
  /** Secret. */
  apiKey: string;
  /** Secret. */
  apiSecret: string;
  cluster?: 'eu1' | 'us1';
  language?: string;
  orderStatuses?: string[];
  cancelledStatuses?: string[];
}

export const LIGHTSPEED_SCHEMA_FILE = 'channel-lightspeed.schema.json';
export const lightspeedSecretKeys = ['apiKey', 'apiSecret'] as const;

export const lightspeedDefaults = {
  ...commonDefaults,
  cluster: 'eu1',
  language: 'nl',
  orderStatuses: ['processing_awaiting_shipment'],
  cancelledStatuses: ['cancelled'],
  // 300 requests per 5 minutes is 1/s; the x-ratelimit headers pause us before any window runs dry.
  rateLimit: { requestsPerSecond: 1, burst: 10 },
  mappings: { orders: 'lightspeed.order', products: 'lightspeed.product' },
  /** Lightspeed's maximum `limit`. */
  pageSize: 250,
} as const;

export const lightspeedConfigKeys = {
  ...commonConfigKeys,
  type: true, apiKey: true, apiSecret: true, cluster: true, language: true, orderStatuses: true, cancelledStatuses: true,
} as const satisfies Record<keyof LightspeedConfig, true>;

/** The API host of each cluster. https://developers.lightspeedhq.com/ecom/introduction/introduction/ */
export const CLUSTERS = { eu1: 'https://api.webshopapp.com', us1: 'https://api.shoplightspeed.com' } as const;

export function parseLightspeedConfig(raw: unknown, where?: string): LightspeedConfig {
  return parseChannelConfig<LightspeedConfig>(LIGHTSPEED_SCHEMA_FILE, raw, 'Lightspeed', where);
}

/** `https://api.webshopapp.com/nl` (the language is part of every path). */
export function lightspeedApiRoot(config: Pick<LightspeedConfig, 'cluster' | 'language' | 'baseUrl'>): string {
  const host = config.baseUrl?.replace(/\/+$/, '') ?? CLUSTERS[config.cluster ?? lightspeedDefaults.cluster];
  return `${host}/${config.language ?? lightspeedDefaults.language}`;
}
