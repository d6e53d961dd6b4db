import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { locationGid, shopifyApiRoot, shopifySecretKeys, type ShopifyConfig } from './config.js';
import { createShopifyContext, graphql } from './graphql.js';
import { LOCATION, TEST_CONNECTION } from './queries.js';
import { LOCATIONS } from './push-queries.js';
import { commonDefaults } from '../http/config.js';

/**
 * Access scopes Wharf needs: [what for, any one of these handles]. write_x implies read_x. Setting
 * stock needs write_inventory (inventorySetQuantities); reporting a parcel needs a write scope of the
 * fulfillment orders it fulfils (fulfillmentCreate: merchant-managed for the shop's own locations,
 * assigned / third-party for fulfillment services) or write_fulfillments.
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/inventorySetQuantities
 * https://shopify.dev/docs/api/admin-graphql/2026-04/mutations/fulfillmentCreate
 * https://shopify.dev/docs/api/usage/access-scopes
 */
export const REQUIRED_SCOPES: readonly [string, readonly string[]][] = [
  ['read orders', ['read_orders']],
  ['read products', ['read_products']],
  ['set stock levels', ['write_inventory']],
  ['read locations', ['read_locations']],
  ['report shipments', ['write_merchant_managed_fulfillment_orders', 'write_fulfillments', 'write_assigned_fulfillment_orders', 'write_third_party_fulfillment_orders']],
];

/** Which pushes the channel enables (defaults from the common webshop schema). */
function pushSettingsOf(config: ShopifyConfig): { stock: { enabled: boolean }; shipments: { enabled: boolean } } {
  return {
    stock: { enabled: config.push?.stock?.enabled ?? commonDefaults.push.stock.enabled },
    shipments: { enabled: config.push?.shipments?.enabled ?? commonDefaults.push.shipments.enabled },
  };
}

/** The scopes of REQUIRED_SCOPES this channel's settings need: the write scopes only when their push is enabled. */
export function requiredScopes(config: ShopifyConfig): (readonly [string, readonly string[]])[] {
  const s = pushSettingsOf(config);
  return REQUIRED_SCOPES.filter(([what]) => (what === 'set stock levels' ? s.stock.enabled : what === 'report shipments' ? s.shipments.enabled : true));
}

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
    const needed = requiredScopes(config);
    const missing = needed.filter(([, any]) => !any.some(has));
    if (missing.length) {
      throw new WharfError('AUTH_FAILED', `the app lacks access scope${missing.length > 1 ? 's' : ''} to ${missing.map(([what, any]) => `${what} (${any.join(' or ')})`).join(', ')}`, {
        hint: 'Settings > Apps and sales channels > Develop apps > your app > Configuration (or the Dev Dashboard app\'s version): add the scopes, save, and reinstall the app so the store grants them',
      });
    }
    const note = has('read_all_orders') ? '' : '; without read_all_orders only the last 60 days of orders are visible';
    const off = REQUIRED_SCOPES.filter((r) => !needed.includes(r)).map(([what]) => what);
    return `the app may ${needed.map(([what]) => what).join(', ')}${note}${off.length ? ` (not checked, push off: ${off.join(', ')})` : ''}`;
  });
  const push = pushSettingsOf(config);
  if (!config.locationId && (push.stock.enabled || push.shipments.enabled)) {
    await steps.run('location', async () => {
      const data = await graphql<{ locations: { nodes: { id: string; name: string; isActive: boolean }[] } }>(ctx, 'WharfLocations', LOCATIONS, {}, { maxAttempts: 1 });
      const active = data.locations.nodes.filter((l) => l.isActive);
      const list = active.map((l) => `${l.id.replace('gid://shopify/Location/', '')} "${l.name}"`).join(', ') || 'none';
      if (push.stock.enabled) throw new WharfError('CONFIG_INVALID', `no locationId set; the stock push needs the location whose stock Wharf sets. Active locations: ${list}`, { field: 'locationId', hint: 'set `locationId` to one of these ids' });
      return `no locationId set: a parcel is fulfilled at the location its lines are open at. Active locations: ${list}`;
    });
  }
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
