import { parseChannelConfig } from '../http/config.js';
import type { LightspeedConfig } from '../../config/generated/config.js';
import { schemaDefaults, secretKeysOf } from '../../config/schema-facts.js';

/** A Lightspeed eCom (C-Series) channel as written in the config: generated from `schemas/channel-lightspeed.schema.json` (`npm run schemas:types`). */
export type { LightspeedConfig };

export const LIGHTSPEED_SCHEMA_FILE = 'channel-lightspeed.schema.json';
/** The fields the schema marks `x-secret`, whose values are scrubbed from messages. */
export const lightspeedSecretKeys = secretKeysOf(LIGHTSPEED_SCHEMA_FILE);

export const lightspeedDefaults = {
  // The schema's rateLimit default (1/s, burst 10): 300 requests per 5 minutes is 1/s; the
  // x-ratelimit headers pause us before any window runs dry.
  ...schemaDefaults<LightspeedConfig>(LIGHTSPEED_SCHEMA_FILE),
  /** Lightspeed's maximum `limit`. */
  pageSize: 250,
} as const;

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
