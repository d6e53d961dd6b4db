import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { retailcrmSecretKeys, retailcrmSiteRoot, type RetailcrmConfig } from './config.js';
import { createRetailcrmContext, crmRequest } from './context.js';

/** API methods Wharf uses: [what for, method path as /api/credentials lists it]. */
export const REQUIRED_METHODS: readonly [string, string][] = [
  ['read orders', '/api/orders'],
  ['report shipments', '/api/orders/{externalId}/edit'],
  ['read products', '/api/store/products'],
  ['set stock levels', '/api/store/inventories/upload'],
];

interface CredentialsAnswer {
  success?: boolean;
  credentials?: string[];
  siteAccess?: string;
  sitesAvailableForApiKey?: string[];
}

/**
 * `wharf test-connection` for RetailCRM: the account and key via GET /api/credentials, which lists the
 * API methods and stores the key may use (the method strings are taken from the API reference and
 * unverified against a live account), then a real order list request.
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
    const have = creds.credentials ?? [];
    const missing = REQUIRED_METHODS.filter(([, m]) => !have.includes(m));
    if (missing.length) {
      throw new WharfError('AUTH_FAILED', `the API key may not ${missing.map(([what, m]) => `${what} (${m})`).join(', ')}`, { hint: 'Settings > Integration > API access keys: tick these methods for the key' });
    }
    if (config.site && creds.siteAccess === 'access_selective' && !(creds.sitesAvailableForApiKey ?? []).includes(config.site)) {
      throw new WharfError('AUTH_FAILED', `the API key has no access to store "${config.site}" (it may use: ${(creds.sitesAvailableForApiKey ?? []).join(', ') || 'none'})`);
    }
    return `the key may ${REQUIRED_METHODS.map(([what]) => what).join(', ')}${config.site ? ` for store "${config.site}"` : ''}`;
  });
  await steps.run('reading orders', async () => {
    await crmRequest(ctx, { path: '/orders', query: { limit: 20, page: 1, 'filter[sites][]': config.site ? [config.site] : undefined }, maxAttempts: 1 });
    return 'orders can be listed';
  });
  return steps.result();
}
