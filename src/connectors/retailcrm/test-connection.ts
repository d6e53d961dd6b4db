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
export const REQUIRED_ACCESS: readonly [what: string, scope: string, method: string, push?: 'stock' | 'shipments'][] = [
  ['read orders', 'order_read', '/api/orders'],
  ['read an order before reporting its shipment', 'order_read', '/api/orders/{externalId}', 'shipments'],
  ['report shipments', 'order_write', '/api/orders/{externalId}/edit', 'shipments'],
  ['read products', 'store_read', '/api/store/products'],
  ['set stock levels', 'store_write', '/api/store/inventories/upload', 'stock'],
];

/** @deprecated RetailCRM's method list; kept for accounts whose `/api/credentials` has no `scopes`. */
export const REQUIRED_METHODS: readonly [string, string][] = REQUIRED_ACCESS.map(([what, , method]) => [what, method]);

/** Which pushes a channel has switched on (config `push.stock.enabled`, `push.shipments.enabled`). */
export interface PushNeeds {
  stock: boolean;
  shipments: boolean;
}

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

/**
 * What the key lacks, as [what, scope or method] pairs; reads `scopes`, else the deprecated method list.
 * `needs` limits the write rights to the pushes switched on (default: both, every right Wharf may use).
 */
export function missingAccess(creds: CredentialsAnswer, needs: PushNeeds = { stock: true, shipments: true }): [string, string][] {
  const wanted = REQUIRED_ACCESS.filter(([, , , push]) => !push || needs[push]);
  if (Array.isArray(creds.scopes)) {
    // One line per scope (reading one order needs no other scope than reading the list).
    const lacking = wanted.filter(([, scope], i) => !creds.scopes!.includes(scope) && wanted.findIndex(([, s]) => s === scope) === i);
    return lacking.map(([what, scope]) => [what, scope]);
  }
  const have = creds.credentials ?? [];
  return wanted.filter(([, , method]) => !have.includes(method)).map(([what, , method]) => [what, method]);
}

/** `GET /api/v5/reference/stores`: the account's warehouses (`stores[].code`). https://github.com/retailcrm/api-client-php/blob/master/src/Model/Response/References/StoresResponse.php */
interface StoresAnswer {
  success?: boolean;
  stores?: { code?: string; name?: string; active?: boolean }[] | Record<string, { code?: string; name?: string; active?: boolean }>;
}

/**
 * `wharf test-connection` for RetailCRM: the account and key via GET /api/credentials, its access
 * scopes (or, on accounts that do not answer `scopes`, the deprecated method list) and, for a
 * site-restricted key (`siteAccess: access_selective`), whether `sitesAvailable` holds the configured
 * store; then a real order list request.
 * The write rights are required for the pushes switched on (`push.stock` → `store_write`,
 * `push.shipments` → `order_write`); for a push that is off a missing right is only mentioned. With a
 * push on, the `storeCode` is looked up among the account's warehouses (`GET /api/v5/reference/stores`)
 * when the key may read references.
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
  const needs: PushNeeds = { stock: config.push?.stock?.enabled === true, shipments: config.push?.shipments?.enabled === true };
  await steps.run('permissions', async () => {
    const missing = missingAccess(creds, needs);
    const how = Array.isArray(creds.scopes) ? 'tick these access rights' : 'tick these methods';
    if (missing.length) {
      throw new WharfError('AUTH_FAILED', `the API key may not ${missing.map(([what, m]) => `${what} (${m})`).join(', ')}`, { hint: `Settings > Integration > API access keys: ${how} for the key` });
    }
    // Rights of the pushes that are off: not needed now, said so that switching one on is no surprise.
    const later = missingAccess(creds).map(([what, m]) => [what, m, REQUIRED_ACCESS.find(([w]) => w === what)?.[3]] as const);
    const sites = creds.sitesAvailable ?? [];
    if (config.site && creds.siteAccess === 'access_selective' && !sites.includes(config.site)) {
      throw new WharfError('AUTH_FAILED', `the API key has no access to store "${config.site}" (it may use: ${sites.join(', ') || 'none'})`, { hint: 'allow the store for the key, or set `site` to one of the stores it may use' });
    }
    const may = REQUIRED_ACCESS.filter(([what]) => !later.some(([w]) => w === what)).map(([what]) => what);
    const note = later.length ? ` (push off; before switching on ${later.map(([, m, push]) => `push.${push} also tick ${m}`).join(', and before ')})` : '';
    return `the key may ${may.join(', ')}${config.site ? ` for store "${config.site}"` : ''}${note}`;
  });
  if (needs.stock || needs.shipments) {
    await steps.run('warehouse for the push', async () => {
      const code = config.storeCode ?? '';
      let res;
      try {
        res = await crmRequest<StoresAnswer>(ctx, { path: '/reference/stores', maxAttempts: 1 });
      } catch (e) {
        if (e instanceof WharfError && e.code === 'AUTH_FAILED') return `storeCode "${code}" not checked: the key may not read references (reference_read); make sure it is the code of the warehouse in Settings > Warehouses`;
        throw e;
      }
      const raw = res.body?.stores ?? [];
      const stores = (Array.isArray(raw) ? raw : Object.values(raw)).filter((st) => st && typeof st.code === 'string');
      const store = stores.find((st) => st.code === code);
      if (!store) {
        throw new WharfError('CONFIG_INVALID', `storeCode "${code}" is not a warehouse of this RetailCRM account (its warehouses: ${stores.map((st) => st.code).join(', ').slice(0, 200) || 'none'})`, { field: 'storeCode', hint: 'set `storeCode` to the symbolic code shown in Settings > Warehouses' });
      }
      if (store.active === false) throw new WharfError('CONFIG_INVALID', `the warehouse "${code}" is not active in RetailCRM`, { field: 'storeCode', hint: 'activate it in Settings > Warehouses, or use another storeCode' });
      return `stock and shipments go to warehouse "${code}"${store.name ? ` (${store.name})` : ''}`;
    });
  }
  await steps.run('reading orders', async () => {
    await crmRequest(ctx, { path: '/orders', query: { limit: 20, page: 1, 'filter[sites][]': config.site ? [config.site] : undefined }, maxAttempts: 1 });
    return 'orders can be listed';
  });
  return steps.result();
}
