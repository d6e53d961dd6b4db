import { DateTime } from 'luxon';
import { WharfError } from '../../errors.js';
import { HttpClient, type HttpAuth, type HttpResponse, type RequestSpec } from '../http/client.js';
import { cursorSettingsOf, limiterOf, secretsOf, tuningOf } from '../http/config.js';
import type { Explainer } from '../http/errors.js';
import type { CursorSettings } from '../http/pager.js';
import type { ConnectorOptions } from '../types.js';
import { retailcrmApiRoot, retailcrmDefaults, retailcrmSecretKeys, type RetailcrmConfig } from './config.js';

/** The key in the X-API-KEY header. https://docs.simla.com/Developers/API/APIVersions/APIv5 */
export function retailcrmAuth(config: RetailcrmConfig): HttpAuth {
  return { headers: () => ({ 'x-api-key': config.apiKey }) };
}

export const retailcrmExplain: Explainer = (r) => {
  if ((r.status === 401 || r.status === 403) && /apikey|api key/i.test(r.platformMessage)) {
    return { code: 'AUTH_FAILED', message: 'the API key was rejected', hint: 'copy the key again from Settings > Integration > API access keys' };
  }
  if (r.status === 403) return { code: 'AUTH_FAILED', message: 'the API key may not do this (or not for this store)', hint: 'Settings > Integration > API access keys: allow the methods and the store (site) listed in docs/connectors.md' };
  return undefined;
};

export interface RetailcrmContext {
  config: RetailcrmConfig;
  http: HttpClient;
  cursor: CursorSettings;
  signal?: AbortSignal;
}

export function createRetailcrmContext(config: RetailcrmConfig, options: ConnectorOptions): RetailcrmContext {
  const http = new HttpClient({
    connector: 'retailcrm',
    baseUrl: retailcrmApiRoot(config),
    logger: options.logger,
    auth: retailcrmAuth(config),
    limiter: limiterOf(config, retailcrmDefaults.rateLimit, options),
    secrets: secretsOf(config, retailcrmSecretKeys),
    explain: retailcrmExplain,
    tuning: tuningOf(config, options),
    headers: { accept: 'application/json' },
    throttleStatuses: [429, 503],
  });
  return { config, http, cursor: cursorSettingsOf(config), signal: options.signal };
}

/** RetailCRM answers `{ success: false, errorMsg }` on failure, sometimes with HTTP 200. */
export async function crmRequest<T extends { success?: boolean }>(ctx: RetailcrmContext, spec: RequestSpec): Promise<HttpResponse<T>> {
  const res = await ctx.http.request<T>({ ...spec, signal: ctx.signal });
  if (res.body?.success === false) {
    const msg = (res.body as { errorMsg?: string }).errorMsg ?? 'unknown error';
    throw new WharfError('TRANSPORT_FAILED', `retailcrm: the request was refused: ${msg}`, { where: res.where }, { retryable: false });
  }
  return res;
}

/** An account-local "Y-m-d H:i:s" for filters. */
export function crmDate(d: Date, zone: string): string {
  return DateTime.fromJSDate(d).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss');
}

/** An account-local "Y-m-d H:i:s" from a record, as epoch ms. */
export function crmMillis(value: unknown, zone: string): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const dt = DateTime.fromSQL(value, { zone });
  return dt.isValid ? dt.toMillis() : undefined;
}
