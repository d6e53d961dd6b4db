import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { locationGid, shopifyApiRoot, shopifySecretKeys, type ShopifyConfig } from './config.js';
import { createShopifyContext, graphql } from './graphql.js';
import { LOCATION, TEST_CONNECTION } from './queries.js';

/** Access scopes Wharf needs: [what for, any one of these handles]. write_x implies read_x. */
export const REQUIRED_SCOPES: readonly [string, readonly string[]][] = [
  ['read orders', ['read_orders']],
  ['read products', ['read_products']],
  ['set stock levels', ['write_inventory']],
  ['read locations', ['read_locations']],
  ['report shipments', ['write_merchant_managed_fulfillment_orders', 'write_assigned_fulfillment_orders', 'write_third_party_fulfillment_orders']],
];

/**
 * `wharf test-connection` for Shopify: reaches the store at the pinned version, authenticates, lists
 * the app's access scopes (`currentAppInstallation.accessScopes`) against the ones Wharf needs, and
 * checks the configured location.
 */
export async function testConnection(config: ShopifyConfig, logger: Logger, http?: HttpTuning): Promise<TestResult> {
  const steps = new Steps(secretsOf(config, shopifySecretKeys));
  const ctx = createShopifyContext(config, { logger, http: { maxAttempts: 1, ...http } });
  const root = new URL(shopifyApiRoot(config));
  let scopes: string[] = [];
  await steps.run('store and authentication', async () => {
    const data = await graphql<{ shop: { name: string; myshopifyDomain: string }; currentAppInstallation: { accessScopes: { handle: string }[] } }>(ctx, 'WharfTestConnection', TEST_CONNECTION, {}, { maxAttempts: 1 });
    scopes = data.currentAppInstallation.accessScopes.map((s) => s.handle);
    const how = config.accessToken !== undefined ? 'the access token' : "a token of the app's client credentials";
    return `store "${data.shop.name}" (${data.shop.myshopifyDomain}) accepted ${how}; API ${root.pathname.split('/')[3]}`;
  });
  await steps.run('permissions', async () => {
    const has = (h: string) => scopes.includes(h) || (h.startsWith('read_') && scopes.includes(`write_${h.slice(5)}`));
    const missing = REQUIRED_SCOPES.filter(([, any]) => !any.some(has));
    if (missing.length) {
      throw new WharfError('AUTH_FAILED', `the app lacks access scope${missing.length > 1 ? 's' : ''} to ${missing.map(([what, any]) => `${what} (${any.join(' or ')})`).join(', ')}`, {
        hint: 'Settings > Apps and sales channels > Develop apps > your app > Configuration: add the scopes, save, and reinstall the app',
      });
    }
    const note = has('read_all_orders') ? '' : '; without read_all_orders only the last 60 days of orders are visible';
    return `the app may ${REQUIRED_SCOPES.map(([what]) => what).join(', ')}${note}`;
  });
  if (config.locationId) {
    await steps.run('location', async () => {
      const data = await graphql<{ location: { id: string; name: string; isActive: boolean } | null }>(ctx, 'WharfLocation', LOCATION, { id: locationGid(config.locationId!) }, { maxAttempts: 1 });
      if (!data.location) throw new WharfError('NOT_FOUND', `location ${config.locationId} does not exist in this store`, { hint: 'Settings > Locations: open the location; its id is the number at the end of the address' });
      if (!data.location.isActive) throw new WharfError('NOT_FOUND', `location "${data.location.name}" is deactivated`);
      return `location "${data.location.name}" is active`;
    });
  }
  return steps.result();
}
