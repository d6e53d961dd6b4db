import { HttpClient } from '../http/client.js';
import { EndpointLimits } from '../http/endpoint-limits.js';
import { cursorSettingsOf, limiterOf, secretsOf, tuningOf } from '../http/config.js';
import type { CursorSettings } from '../http/pager.js';
import type { ConnectorOptions } from '../types.js';
import { bolExplain, BolTokenAuth } from './auth.js';
import { bolApiRoot, bolDefaults, bolSecretKeys, type BolConfig } from './config.js';

export interface BolContext {
  config: BolConfig;
  http: HttpClient;
  auth: BolTokenAuth;
  cursor: CursorSettings;
  signal?: AbortSignal;
  now: () => number;
  /** The HTTP clock (token lifetimes, rate limits, budgets); `now` is the business clock. */
  httpNow: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * The budget a request counts against: bol throttles per method and endpoint, one budget for a
 * collection (`GET /retailer/orders`) and one for its items (`GET /retailer/orders/*`).
 * https://api.bol.com/retailer/public/Retailer-API/conventions.html (Rate Limiting)
 */
export function bolEndpoint(method: string, path: string): string {
  return `${method} ${bolResource(path)}`;
}

/** `/retailer/offers/{id}` → `/retailer/offers/*` (the list `/retailer/offers` stays itself), and so on for the item endpoints. */
export function bolResource(path: string): string {
  return path.replace(/^(\/retailer\/orders|\/retailer\/offers|\/retailer\/shipments|\/shared\/process-status)\/[^/]+$/, '$1/*');
}

export function createBolContext(config: BolConfig, options: ConnectorOptions): BolContext {
  const tuning = tuningOf(config, options);
  // `options.now` is the business clock (which orders changed "in the last N minutes");
  // token lifetimes and the rate limiter follow the HTTP clock.
  const now = options.now ?? Date.now;
  const auth = new BolTokenAuth(config, options.logger, tuning, options.http?.now ?? Date.now);
  const http = new HttpClient({
    connector: 'bol',
    baseUrl: bolApiRoot(config),
    logger: options.logger,
    auth,
    limiter: limiterOf(config, bolDefaults.rateLimit, options),
    endpoints: new EndpointLimits(bolEndpoint, { now: options.http?.now, sleep: options.http?.sleep }),
    secrets: secretsOf(config, bolSecretKeys),
    explain: bolExplain,
    tuning,
    headers: { accept: bolDefaults.mediaType },
  });
  const sleep = options.http?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return { config, http, auth, cursor: cursorSettingsOf(config), signal: options.signal, now, httpNow: options.http?.now ?? Date.now, sleep };
}
