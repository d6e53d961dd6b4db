import type { HttpAuth } from '../http/client.js';
import type { Explainer } from '../http/errors.js';
import type { LightspeedConfig } from './config.js';

/** HTTP basic authentication with the API key as user and the API secret as password. */
export function lightspeedAuth(config: LightspeedConfig): HttpAuth {
  const basic = Buffer.from(`${config.apiKey}:${config.apiSecret}`).toString('base64');
  return { headers: () => ({ authorization: `Basic ${basic}` }) };
}

export const lightspeedExplain: Explainer = (r) => {
  if (r.status === 401) return { code: 'AUTH_FAILED', message: 'the API key/secret was rejected', hint: 'check apiKey and apiSecret, and that `cluster` is the one the shop lives on (eu1 or us1)' };
  if (r.status === 403) return { code: 'AUTH_FAILED', message: 'the API key may not do this', hint: 'give the key the permissions listed in docs/connectors.md (Lightspeed back office > Settings > API)' };
  return undefined;
};
