import type { Explainer } from '../http/errors.js';
import type { HttpAuth } from '../http/client.js';
import type { ShopifyConfig } from './config.js';

/**
 * Custom-app authentication: the Admin API access token in X-Shopify-Access-Token.
 * https://shopify.dev/docs/api/admin-graphql#authentication
 */
export function shopifyAuth(config: ShopifyConfig): HttpAuth {
  return { headers: () => ({ 'x-shopify-access-token': config.accessToken }) };
}

export const shopifyExplain: Explainer = (r) => {
  switch (r.status) {
    case 401:
      return { code: 'AUTH_FAILED', message: 'the access token was rejected', hint: 'copy the Admin API access token (shpat_…) of the store\'s custom app again; a token is shown only once, so reinstalling the app gives a new one' };
    case 402:
      return { code: 'AUTH_FAILED', message: 'the store is frozen (HTTP 402 Payment Required): its Shopify plan is unpaid' };
    case 403:
      return { code: 'AUTH_FAILED', message: 'the token may not do this (HTTP 403)', hint: 'add the missing access scopes to the custom app and reinstall it' };
    case 404:
      return { code: 'NOT_FOUND', message: 'no store or API at this address (HTTP 404)', hint: 'check `shop` (the myshopify.com domain, not the shop\'s public domain) and `apiVersion`' };
    case 423:
      return { code: 'AUTH_FAILED', message: 'the store is locked by Shopify (HTTP 423)' };
    default:
      return undefined;
  }
};
