import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { retailcrmSecretKeys, retailcrmSiteRoot, type RetailcrmConfig } from './config.js';
import { createRetailcrmContext, crmRequest } from './context.js';

/**
 * What Wharf does with the key: [what for, access scope, method path as the deprecated `credentials`
 * list names it]. Scope names as `/api/credentials` returns them (`order_read`, …):
 * https://github.com/retailcrm/api-client-php/blob/master/tests/src/ResourceGroup/ApiTest.php
 */
export const REQUIRED_ACCESS: readonly [what: string, scope: string, method: string][] = [
  ['read orders', 'order_read', '/api/orders'],
  ['report shipments', 'order_write', '/api/orders/{externalId}/edit'],
  ['read products', 'store_read', '/api/store/products'],
  ['set stock levels', 'store_write', '/api/store/inventories/upload'],
];

/** @deprecated RetailCRM's method list; kept for accounts whose `/api/credentials` has no `scopes`. */
export const REQUIRED_METHODS: readonly [string, string][] = REQUIRED_ACCESS.map(([what, , method]) => [what, method]);

/**
 * GET /api/credentials (unversioned): `scopes` (current), `credentials` (deprecated method list),
 * `siteAccess` (`access_full` | `access_selective`) and `sitesAvailable` (the stores of a restricted key).
 * https://github.com/retailcrm/api-client-php/blob/master/src/Model/Response/Api/Credentials.php
 * https://github.com/retailcrm/api-client-go/blob/master/response.go (CredentialResponse)
 */
export interface CredentialsAnswer {
  success?: boolean;
  scopes?: string[];
  credentials?: string[];
  siteAccess?: string;
  sitesAvailable?: string[];
}

/** What the key lacks, as [what, scope or method] pairs; reads `scopes`, else the deprecated method list. */
export function missingAccess(creds: CredentialsAnswer): [string, string][] {
  if (Array.isArray(creds.scopes)) return REQUIRED_ACCESS.filter(([, scope]) => !creds.scopes!.includes(scope)).map(([what, scope]) => [what, scope]);
  const have = creds.credentials ?? [];
  return REQUIRED_ACCESS.filter(([, , method]) => !have.includes(method)).map(([what, , method]) => [what, method]);
}

/**
 * `wharf test-connection` for RetailCRM: the account and key via GET /api/credentials, its access
 * scopes (or, on accounts that do not answer `scopes`, the deprecated method list) and, for a
 * site-restricted key (`siteAccess: access_selective`), whether `sitesAvailable` holds the configured
 * store; then a real order list request.
 */
export async function testConnection(config: RetailcrmConfig, logger: Logger, http?: HttpTuning): Promise<TestResult> {
  const steps = new Steps(secretsOf(config, retailcrmSecretKeys));
  const ctx = createRetailcrmContext(config, { logger, http: { maxAttempts: 1, ...http } });
  let creds: CredentialsAnswer = {};
  await steps.run('account and key', async () => {
    const res = await crmRequest<CredentialsAnswer>(ctx, { path: `${retailcrmSiteRoot(config)}/api/credentials`, maxAttempts: 1 });
    creds = res.body ?? {};
    return `${new URL(retailcrmSiteRoot(config)).host} accepted the key`;
  });
  await steps.run('permissions', async () => {
    const missing = missingAccess(creds);
    if (missing.length) {
      const how = Array.isArray(creds.scopes) ? 'tick these access rights' : 'tick these methods';
      throw new WharfError('AUTH_FAILED', `the API key may not ${missing.map(([what, m]) => `${what} (${m})`).join(', ')}`, { hint: `Settings > Integration > API access keys: ${how} for the key` });
    }
    const sites = creds.sitesAvailable ?? [];
    if (config.site && creds.siteAccess === 'access_selective' && !sites.includes(config.site)) {
      throw new WharfError('AUTH_FAILED', `the API key has no access to store "${config.site}" (it may use: ${sites.join(', ') || 'none'})`, { hint: 'allow the store for the key, or set `site` to one of the stores it may use' });
    }
    return `the key may ${REQUIRED_ACCESS.map(([what]) => what).join(', ')}${config.site ? ` for store "${config.site}"` : ''}`;
  });
  await steps.run('reading orders', async () => {
    await crmRequest(ctx, { path: '/orders', query: { limit: 20, page: 1, 'filter[sites][]': config.site ? [config.site] : undefined }, maxAttempts: 1 });
    return 'orders can be listed';
  });
  return steps.result();
}
