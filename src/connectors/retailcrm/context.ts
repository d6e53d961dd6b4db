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
  if (r.status === 403) {
    const scope = scopeOf(r.where);
    if (scope) return { code: 'AUTH_FAILED', message: `the API key may not ${scope[1]} (it lacks the access scope ${scope[0]}, or the store (site) is not allowed)`, hint: `Settings > Integration > API access keys: edit the key, tick ${scope[0]} and allow the store (site); see docs/connectors.md` };
    return { code: 'AUTH_FAILED', message: 'the API key may not do this (or not for this store)', hint: 'Settings > Integration > API access keys: allow the methods and the store (site) listed in docs/connectors.md' };
  }
  return undefined;
};

/**
 * The access scope a request needs, from its `where` ("POST host/api/v5/…"), with what it does in
 * words; undefined when not one Wharf knows. Scope names as `/api/credentials` lists them (see
 * test-connection.ts REQUIRED_ACCESS).
 */
function scopeOf(where: string): [scope: string, what: string] | undefined {
  if (/\/api\/v5\/store\/inventories\/upload\b/.test(where)) return ['store_write', 'set stock'];
  if (/\/api\/v5\/orders\/[^/\s]+\/edit\b/.test(where)) return ['order_write', 'edit orders (report shipments)'];
  if (/\/api\/v5\/store\//.test(where)) return ['store_read', 'read products'];
  if (/\/api\/v5\/reference\//.test(where)) return ['reference_read', 'read references'];
  if (/\/api\/v5\/orders\b/.test(where)) return ['order_read', 'read orders'];
  return undefined;
}

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
