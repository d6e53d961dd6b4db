import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { lightspeedApiRoot, lightspeedSecretKeys, type LightspeedConfig } from './config.js';
import { createLightspeedContext, lsRequest, type LightspeedContext } from './context.js';

/**
 * `wharf test-connection` for Lightspeed: the shop (GET /shop.json: cluster, language, key), reading
 * orders and variants, and the write permissions the push needs (products: stock; orders: shipments),
 * probed with an update that changes nothing: `PUT /variants/{id}.json {"variant":{}}` and
 * `PUT /shipments/{id}.json {"shipment":{}}` on the first variant / shipment of the shop. A key without
 * the permission gets Lightspeed's 403, explained with the permission to add (auth.ts). That an empty
 * update is accepted as a no-op is unverified against a live shop: any other refusal than 401/403
 * means the key got past the permission check, and the step says so with Lightspeed's words.
 * https://developers.lightspeedhq.com/ecom/endpoints/variant/ , …/endpoints/shipment/
 */
export async function testConnection(config: LightspeedConfig, logger: Logger, http?: HttpTuning): Promise<TestResult> {
  const steps = new Steps(secretsOf(config, lightspeedSecretKeys));
  const ctx = createLightspeedContext(config, { logger, http: { maxAttempts: 1, ...http } });
  const root = new URL(lightspeedApiRoot(config));
  await steps.run('shop and authentication', async () => {
    const res = await lsRequest<{ shop?: { id?: number; title?: string; mainDomain?: string } }>(ctx, { path: '/shop.json', maxAttempts: 1 });
    return `shop ${res.body?.shop?.title ? `"${res.body.shop.title}" ` : ''}accepted the key at ${root.host} (${root.pathname.slice(1)})`;
  });
  await steps.run('reading orders', async () => {
    await lsRequest(ctx, { path: '/orders.json', query: { limit: 1 }, maxAttempts: 1 });
    return 'the key may read orders';
  });
  await steps.run('reading products', async () => {
    await lsRequest(ctx, { path: '/variants.json', query: { limit: 1 }, maxAttempts: 1 });
    return 'the key may read variants';
  });
  await steps.run('writing products (stock)', () => probeWrite(ctx, 'variants', 'variant', 'stock levels of variants'));
  await steps.run('writing orders (shipments)', () => probeWrite(ctx, 'shipments', 'shipment', 'shipments (status shipped, tracking code)'));
  return steps.result();
}

/** One write-permission probe: an empty update of the first `resource` of the shop. */
async function probeWrite(ctx: LightspeedContext, resource: 'variants' | 'shipments', key: 'variant' | 'shipment', what: string): Promise<string> {
  const list = await lsRequest<Record<string, { id?: number }[] | undefined>>(ctx, { path: `/${resource}.json`, query: { limit: 1 }, maxAttempts: 1 });
  const id = list.body?.[resource]?.[0]?.id;
  if (id === undefined) return `could not be checked: the shop has no ${key} yet (the first push will tell)`;
  try {
    await lsRequest(ctx, { method: 'PUT', idempotent: true, path: `/${resource}/${id}.json`, json: { [key]: {} }, maxAttempts: 1 });
  } catch (err) {
    if (err instanceof WharfError && !err.retryable && err.code !== 'AUTH_FAILED') {
      return `the key passed the permission check for ${what} (the empty probe update itself was refused: ${err.message})`;
    }
    throw err;
  }
  return `the key may update ${what} (probed with an update of ${key} ${id} that changes nothing)`;
}
