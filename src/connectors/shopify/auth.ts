import { WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { HttpClient, type HttpAuth, type HttpTuning } from '../http/client.js';
import { secretsOf } from '../http/config.js';
import type { Explainer } from '../http/errors.js';
import { TokenCache, type FetchedToken } from '../http/token-cache.js';
import { shopifyDefaults, shopifySecretKeys, shopifyShopRoot, type ShopifyConfig } from './config.js';

/**
 * How a channel authenticates: a static Admin API token (custom apps made in the admin, which Shopify
 * stopped on 2026-01-01), or a Dev Dashboard app's client id and secret exchanged for tokens.
 * Either way the token goes in X-Shopify-Access-Token.
 * https://shopify.dev/docs/api/admin-graphql#authentication
 */
export function shopifyAuth(config: ShopifyConfig, logger: Logger, tuning: HttpTuning, now: () => number = Date.now, secrets: string[] = secretsOf(config, shopifySecretKeys)): HttpAuth {
  if (config.accessToken !== undefined) {
    const token = config.accessToken;
    return { headers: () => ({ 'x-shopify-access-token': token }) };
  }
  return new ShopifyClientCredentials(config, logger, tuning, now, secrets);
}

/**
 * The client-credentials grant of a Dev Dashboard app: `POST https://<shop>/admin/oauth/access_token`
 * with `grant_type=client_credentials`, `client_id`, `client_secret` (form-encoded) answers
 * `{ access_token, scope, expires_in }` (seconds; about 24 h). The token is kept for the channel,
 * replaced `tokenMarginSeconds` before it expires, and fetched anew once when the API answers 401.
 * Concurrent requests share one token request. Neither the secret nor a token is ever logged.
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant
 */
export class ShopifyClientCredentials implements HttpAuth {
  private readonly tokens: TokenCache;
  private readonly client: HttpClient;
  /**
   * @param scrub credential values kept out of error texts (shared with the API client); every token
   *   fetched is added to it.
   */
  constructor(private readonly config: ShopifyConfig, logger: Logger, tuning: HttpTuning, now: () => number = Date.now, private readonly scrub: string[] = secretsOf(config, shopifySecretKeys)) {
    this.client = new HttpClient({
      connector: 'shopify',
      baseUrl: shopifyShopRoot(config),
      logger,
      secrets: this.scrub,
      tuning,
      explain: (r) =>
        r.status === 400 || r.status === 401 || r.status === 403 || r.status === 404
          ? {
              code: 'AUTH_FAILED',
              message: `the store refused the app's client id/secret (HTTP ${r.status})`,
              hint: 'copy Client ID and Secret from the Dev Dashboard (your app > Settings) again, and install the app on this store; the client-credentials grant works only for apps of your own organization on stores it owns',
            }
          : undefined,
      headers: { accept: 'application/json' },
    });
    this.tokens = new TokenCache(() => this.fetchToken(), shopifyDefaults.tokenMarginSeconds, 3600, now);
  }

  async headers(): Promise<Record<string, string>> {
    return { 'x-shopify-access-token': await this.get() };
  }

  renew(): Promise<boolean> {
    return this.tokens.renew();
  }

  /** The cached token, or a new one. Throws AUTH_FAILED when the store refuses the credentials. */
  get(): Promise<string> {
    return this.tokens.get();
  }


  private async fetchToken(): Promise<FetchedToken> {
    const res = await this.client.request<{ access_token?: string; expires_in?: number; scope?: string }>({
      method: 'POST', idempotent: true,
      path: '/admin/oauth/access_token',
      form: { grant_type: 'client_credentials', client_id: this.config.clientId ?? '', client_secret: this.config.clientSecret ?? '' },
      noAuth: true,
    });
    const value = res.body?.access_token;
    if (!value) throw new WharfError('AUTH_FAILED', 'shopify: the token endpoint answered without an access token', { where: res.where }, { retryable: false });
    // A token is a credential like the secret: keep it out of every later error text.
    this.scrub.push(value);
    return { value, expiresIn: res.body?.expires_in };
  }
}

export const shopifyExplain: Explainer = (r) => {
  switch (r.status) {
    case 401:
      return { code: 'AUTH_FAILED', message: 'the access token was rejected', hint: 'with accessToken: copy the Admin API access token (shpat_…) of the store\'s custom app again (a token is shown only once, so reinstalling the app gives a new one); with clientId/clientSecret: check the app is still installed on the store' };
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
