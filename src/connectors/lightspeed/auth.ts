import type { HttpAuth } from '../http/client.js';
import type { Explainer } from '../http/errors.js';
import type { LightspeedConfig } from './config.js';

/** HTTP basic authentication with the API key as user and the API secret as password. */
export function lightspeedAuth(config: LightspeedConfig): HttpAuth {
  const basic = Buffer.from(`${config.apiKey}:${config.apiSecret}`).toString('base64');
  return { headers: () => ({ authorization: `Basic ${basic}` }) };
}

/**
 * Plain words for Lightspeed's refusals. 401: wrong key/secret or cluster; 403: the key lacks the
 * permission this request needs (named from the resource: products for variants, orders for orders and
 * shipments); 404 on a variant, order or shipment: it is not (or no longer) in the shop.
 */
export const lightspeedExplain: Explainer = (r) => {
  if (r.status === 401) return { code: 'AUTH_FAILED', message: 'the API key/secret was rejected', hint: 'check apiKey and apiSecret, and that `cluster` is the one the shop lives on (eu1 or us1)' };
  const resource = /\/(variants|products|orders|shipments)\b/.exec(r.where)?.[1];
  const writing = /^(PUT|POST|DELETE)\b/.test(r.where);
  if (r.status === 403) {
    const area = resource === 'variants' || resource === 'products' ? 'products' : resource === 'orders' || resource === 'shipments' ? 'orders' : undefined;
    const need = area ? `${writing ? 'write' : 'read'} access to ${area}` : 'the permissions listed in docs/connectors.md';
    return { code: 'AUTH_FAILED', message: `the API key may not do this (it lacks ${need})`, hint: `Lightspeed back office > Settings > API (Developers): edit the key and give it ${need}` };
  }
  const one = /\/(variants|orders|shipments)\/\d+/.exec(r.where)?.[1];
  if (r.status === 404 && one) {
    const what = { variants: 'variant', orders: 'order', shipments: 'shipment' }[one as 'variants' | 'orders' | 'shipments'];
    return { code: 'NOT_FOUND', message: `this ${what} is not in the shop (deleted?)`, hint: one === 'variants' ? 'pull the products again (`wharf sync CHANNEL products`)' : 'check the order in the Lightspeed back office' };
  }
  return undefined;
};
