import type { Logger } from '../../log.js';
import type { HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { bolSecretKeys, type BolConfig } from './config.js';
import { createBolContext } from './context.js';

/**
 * `wharf test-connection` for bol.com: a token from login.bol.com (client id/secret), then the Retailer
 * API v10 with it (reading open FBR orders). bol credentials carry no finer permissions to probe:
 * a Retailer API credential may read and write everything of its seller account.
 */
export async function testConnection(config: BolConfig, logger: Logger, http?: HttpTuning): Promise<TestResult> {
  const steps = new Steps(secretsOf(config, bolSecretKeys));
  const ctx = createBolContext(config, { logger, http: { maxAttempts: 1, ...http } });
  await steps.run('token', async () => {
    await ctx.auth.get();
    return `${new URL(config.tokenUrl ?? 'https://login.bol.com/token').host} issued an access token for the client id`;
  });
  await steps.run('reading orders', async () => {
    const res = await ctx.http.request<{ orders?: unknown[] }>({ path: '/retailer/orders', query: { 'fulfilment-method': 'FBR', status: 'OPEN', page: 1 }, maxAttempts: 1 });
    return `the Retailer API v10 accepted the token; ${res.body?.orders?.length ?? 0} open FBR orders on the first page`;
  });
  return steps.result();
}
