import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HttpTuning, RequestSpec } from '../http/client.js';
import { commonDefaults, secretsOf } from '../http/config.js';
import { Steps } from '../http/steps.js';
import type { TestResult } from '../types.js';
import { bolDefaults, bolSecretKeys, type BolConfig } from './config.js';
import { createBolContext, type BolContext } from './context.js';

/** An offer id no seller has: the write probe of the stock push can change nothing. */
const NO_OFFER = '00000000-0000-0000-0000-000000000000';

/**
 * `wharf test-connection` for bol.com: a token from login.bol.com (client id/secret), then the Retailer
 * API v10 with it (reading open FBR orders), then — for each push the channel has switched on — whether
 * the credentials may write there: a request bol must refuse for its content, so that nothing changes
 * (`PATCH /retailer/offers/{an offer id nobody has}` with `{}` for stock, `POST /retailer/shipments` with
 * no order items for shipments). bol answers such a request 400/404 when the credentials may write and
 * 403 (problem+json) when they may not: bol's fine-grained access gives integrations "read" or "read and
 * write" per resource (Offers, Orders, Shipments, …).
 * Unverified: that bol checks the permission before the content (so the probe sees the 403); a live
 * read-only credential was not available.
 * https://api.bol.com/retailer/public/Retailer-API/fine-grained-access.html
 */
export async function testConnection(config: BolConfig, logger: Logger, http?: HttpTuning): Promise<TestResult> {
  const steps = new Steps(secretsOf(config, bolSecretKeys));
  const ctx = createBolContext(config, { logger, http: { maxAttempts: 1, ...http } });
  // The push settings as src/connectors/index.ts reads them (not imported from there: it imports this module).
  const push = {
    stock: { enabled: config.push?.stock?.enabled ?? commonDefaults.push.stock.enabled },
    shipments: { enabled: config.push?.shipments?.enabled ?? commonDefaults.push.shipments.enabled },
  };
  await steps.run('token', async () => {
    await ctx.auth.get();
    return `${new URL(config.tokenUrl ?? 'https://login.bol.com/token').host} issued an access token for the client id`;
  });
  await steps.run('reading orders', async () => {
    const res = await ctx.http.request<{ orders?: unknown[] }>({ path: '/retailer/orders', query: { 'fulfilment-method': 'FBR', status: 'OPEN', page: 1 }, maxAttempts: 1 });
    return `the Retailer API v10 accepted the token; ${res.body?.orders?.length ?? 0} open FBR orders on the first page`;
  });
  if (push.stock.enabled) {
    await steps.run('writing stock', () =>
      mayWrite(ctx, 'offers (stock push, Offers API v11)', {
        method: 'PATCH', idempotent: true,
        path: `/retailer/offers/${NO_OFFER}`,
        json: {},
        headers: { accept: bolDefaults.offersMediaType, 'content-type': bolDefaults.offersMediaType },
      }),
    );
  }
  if (push.shipments.enabled) {
    await steps.run('writing shipments', () =>
      mayWrite(ctx, 'shipments (shipment push)', { method: 'POST', idempotent: true, path: '/retailer/shipments', json: { orderItems: [] }, headers: { 'content-type': bolDefaults.mediaType } }),
    );
  }
  if (steps.ok && !push.stock.enabled && !push.shipments.enabled) {
    steps.steps.push({ step: 'write access', ok: true, detail: 'not checked: push is off for this channel (orders and products only need read access)' });
  }
  return steps.result();
}

/** Sends a write bol must refuse for its content; only a 401/403 (or transport trouble) fails the step. */
async function mayWrite(ctx: BolContext, what: string, spec: RequestSpec): Promise<string> {
  try {
    await ctx.http.request({ ...spec, maxAttempts: 1 });
    return `the credentials may write ${what}`;
  } catch (err) {
    if (err instanceof WharfError && !err.retryable && err.code !== 'AUTH_FAILED') return `the credentials may write ${what} (bol checked the test request's content, so it changed nothing)`;
    if (err instanceof WharfError && err.code === 'AUTH_FAILED') {
      throw new WharfError('AUTH_FAILED', `bol: these credentials may read but not write ${what}: ${err.message.replace(/^bol: /, '')}`, { where: err.details.where, hint: err.details.hint }, { retryable: false });
    }
    throw err;
  }
}
