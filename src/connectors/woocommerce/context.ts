import { HttpClient } from '../http/client.js';
import { cursorSettingsOf, limiterOf, secretsOf, tuningOf } from '../http/config.js';
import type { CursorSettings } from '../http/pager.js';
import type { ConnectorOptions } from '../types.js';
import { wooAuth, wooExplain } from './auth.js';
import { wooApiRoot, wooDefaults, wooSecretKeys, type WooConfig } from './config.js';

/** Everything one WooCommerce channel's operations share; create once per channel and reuse. */
export interface WooContext {
  config: WooConfig;
  http: HttpClient;
  cursor: CursorSettings;
  signal?: AbortSignal;
}

export function createWooContext(config: WooConfig, options: ConnectorOptions): WooContext {
  const http = new HttpClient({
    connector: 'woocommerce',
    baseUrl: wooApiRoot(config),
    logger: options.logger,
    auth: wooAuth(config),
    limiter: limiterOf(config, wooDefaults.rateLimit, options),
    // The webhook secret too: `wharf webhooks install` sends it to the shop.
    secrets: [...secretsOf(config, wooSecretKeys), ...(config.webhooks?.secret ? [config.webhooks.secret] : [])],
    explain: wooExplain,
    tuning: tuningOf(config, options),
    headers: { accept: 'application/json' },
  });
  return { config, http, cursor: cursorSettingsOf(config), signal: options.signal };
}
