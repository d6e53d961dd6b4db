import type { Explainer } from '../http/errors.js';
import type { HttpAuth, QueryValue } from '../http/client.js';
import type { WooConfig } from './config.js';

/**
 * WooCommerce REST authentication over HTTPS: HTTP basic auth with the consumer key and secret, or the
 * same two as query parameters for hosts that drop the Authorization header.
 * https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication-over-https
 */
export function wooAuth(config: WooConfig): HttpAuth {
  if (config.authMethod === 'query') return { headers: () => ({}) };
  const basic = Buffer.from(`${config.consumerKey}:${config.consumerSecret}`).toString('base64');
  return { headers: () => ({ authorization: `Basic ${basic}` }) };
}

/** Query parameters that carry the key when `authMethod: query` (never logged: logs have no query). */
export function wooAuthQuery(config: WooConfig): Record<string, QueryValue> {
  return config.authMethod === 'query' ? { consumer_key: config.consumerKey, consumer_secret: config.consumerSecret } : {};
}

/** WooCommerce's error codes in plain words. */
export const wooExplain: Explainer = (r) => {
  const code = (r.body as { code?: string } | undefined)?.code ?? '';
  const msg = r.platformMessage;
  if (/write permission/i.test(msg)) {
    return {
      code: 'AUTH_FAILED',
      message: 'the API key has Read permission only; Wharf needs Read/Write to report shipments and stock',
      hint: 'WooCommerce > Settings > Advanced > REST API: edit the key and set Permissions to Read/Write',
    };
  }
  if (/consumer key is invalid|consumer secret is invalid|invalid signature/i.test(msg)) {
    return {
      code: 'AUTH_FAILED',
      message: 'the API key/secret was rejected: WooCommerce does not know this consumer key/secret',
      hint: 'copy the consumer key (ck_…) and secret (cs_…) again, or create a new key under WooCommerce > Settings > Advanced > REST API',
    };
  }
  if (code.startsWith('woocommerce_rest_cannot_') || code === 'rest_forbidden') {
    return r.status === 401
      ? {
          code: 'AUTH_FAILED',
          message: 'WooCommerce did not see any credentials (the request arrived unauthenticated)',
          hint: 'the web server may strip the Authorization header: set `authMethod: query` in the channel, or fix the server (e.g. CGIPassAuth on)',
        }
      : {
          code: 'AUTH_FAILED',
          message: 'the key\'s WordPress user may not do this',
          hint: 'create the key for a user with the Shop manager or Administrator role',
        };
  }
  if (r.status === 404 && code === 'rest_no_route') {
    return { code: 'NOT_FOUND', message: 'WordPress answers but has no such WooCommerce route (is WooCommerce 5.8 or newer active?)' };
  }
  return undefined;
};
