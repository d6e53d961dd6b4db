import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { lightspeedApiRoot, lightspeedSecretKeys, type LightspeedConfig } from './config.js';
import { createLightspeedContext, lsRequest } from './context.js';

/**
 * `wharf test-connection` for Lightspeed: the shop (GET /shop.json: cluster, language, key), reading
 * orders and variants, and the key's write permissions from GET /account/permissions.json (an
 * endpoint whose field names are unverified: when it does not answer, the step says so).
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
  await steps.run('write permissions', async () => {
    let perms: Record<string, unknown> | undefined;
    try {
      const res = await lsRequest<{ accountPermissions?: Record<string, unknown> }>(ctx, { path: '/account/permissions.json', maxAttempts: 1 });
      perms = res.body?.accountPermissions;
    } catch (err) {
      if (err instanceof WharfError && err.code === 'NOT_FOUND') return 'could not be checked (no permissions endpoint); stock and shipment pushes will tell';
      throw err;
    }
    const missing = ['writeOrders', 'writeProducts'].filter((k) => perms && perms[k] === false);
    if (missing.length) {
      throw new WharfError('AUTH_FAILED', `the API key lacks ${missing.join(' and ')}: Wharf cannot report shipments or stock`, { hint: 'Lightspeed back office > Settings > API: give the key write access to orders and products' });
    }
    return 'the key may update orders and products';
  });
  return steps.result();
}
