import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { HttpTuning } from '../http/client.js';
import type { TestResult } from '../types.js';
import { wooAuthQuery } from './auth.js';
import { wooApiRoot, wooIndexUrl, wooSecretKeys, type WooConfig } from './config.js';
import { createWooContext } from './context.js';

/**
 * `wharf test-connection` for WooCommerce: the address (DNS, TLS, a WordPress REST API with the wc/v3
 * namespace), the key (reading orders and products), and write permission, probed with empty batch
 * requests (`POST …/batch {}` changes nothing; a Read-only key gets "does not have write permissions").
 */
export async function testConnection(config: WooConfig, logger: Logger, http?: HttpTuning): Promise<TestResult> {
  const steps = new Steps(secretsOf(config, wooSecretKeys));
  let apiRoot = '';
  if (!(await steps.run('configuration', async () => {
    apiRoot = wooApiRoot(config);
    if (!config.baseUrl && new URL(apiRoot).protocol !== 'https:') {
      throw new WharfError('CONFIG_INVALID', `${new URL(apiRoot).host} is reached over plain HTTP; WooCommerce accepts keys only over HTTPS`, { hint: 'use the https:// address of the shop' });
    }
    return `API root ${hostPath(apiRoot)}`;
  }))) return steps.result();

  const ctx = createWooContext(config, { logger, http: { maxAttempts: 1, ...http } });
  const once = { maxAttempts: 1 };
  await steps.run('address', async () => {
    const index = await ctx.http.request<{ namespaces?: string[]; name?: string }>({ path: wooIndexUrl(apiRoot), noAuth: true, ...once });
    const ns = index.body?.namespaces;
    if (!Array.isArray(ns)) throw new WharfError('NOT_FOUND', `${hostPath(wooIndexUrl(apiRoot))} answers, but not as the WordPress REST API`, { hint: 'check the shop URL' });
    if (!ns.includes('wc/v3')) {
      throw new WharfError('NOT_FOUND', `WordPress answers at ${hostPath(wooIndexUrl(apiRoot))}, but the WooCommerce REST API (wc/v3) is not there`, { hint: 'is the WooCommerce plugin active?' });
    }
    return `WordPress${index.body.name ? ` "${index.body.name}"` : ''} with the WooCommerce REST API v3 answers`;
  });
  await steps.run('authentication and reading orders', async () => {
    const res = await ctx.http.request<unknown[]>({ path: '/orders', query: { ...wooAuthQuery(config), per_page: 1 }, ...once });
    return `the key was accepted; ${res.headers.get('x-wp-total') ?? '?'} orders visible`;
  });
  await steps.run('reading products', async () => {
    const res = await ctx.http.request<unknown[]>({ path: '/products', query: { ...wooAuthQuery(config), per_page: 1 }, ...once });
    return `${res.headers.get('x-wp-total') ?? '?'} products visible`;
  });
  await steps.run('writing orders', async () => {
    await ctx.http.request({ method: 'POST', idempotent: true, path: '/orders/batch', query: wooAuthQuery(config), json: {}, ...once });
    return 'the key may update orders (probed with an empty batch, nothing changed)';
  });
  await steps.run('writing products', async () => {
    await ctx.http.request({ method: 'POST', idempotent: true, path: '/products/batch', query: wooAuthQuery(config), json: {}, ...once });
    return 'the key may update products and stock (probed with an empty batch, nothing changed)';
  });
  return steps.result();
}

function hostPath(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}
