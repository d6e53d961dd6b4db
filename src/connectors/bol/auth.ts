import { WharfError } from '../../errors.js';
import { HttpClient, type HttpAuth, type HttpTuning } from '../http/client.js';
import type { Explainer } from '../http/errors.js';
import type { Logger } from '../../log.js';
import { secretsOf } from '../http/config.js';
import { TokenCache, type FetchedToken } from '../http/token-cache.js';
import { bolDefaults, bolSecretKeys, type BolConfig } from './config.js';

/**
 * OAuth2 client credentials at login.bol.com: one token for every request of the channel, reused until
 * shortly before `expires_in` runs out, fetched again when the API answers 401 (once per request).
 * https://api.bol.com/retailer/public/Retailer-API/authentication.html
 */
export class BolTokenAuth implements HttpAuth {
  private readonly tokens: TokenCache;
  private readonly client: HttpClient;

  constructor(private readonly config: BolConfig, logger: Logger, tuning: HttpTuning, now: () => number = Date.now) {
    this.client = new HttpClient({
      connector: 'bol',
      baseUrl: config.tokenUrl ?? bolDefaults.tokenUrl,
      logger,
      secrets: secretsOf(config, bolSecretKeys),
      tuning,
      explain: (r) =>
        r.status === 400 || r.status === 401 || r.status === 403
          ? { code: 'AUTH_FAILED', message: 'login.bol.com refused the client id/secret', hint: 'copy the client ID and secret of a Retailer API credential (Seller Dashboard > Settings > API settings) again' }
          : undefined,
      headers: { accept: 'application/json' },
    });
    this.tokens = new TokenCache(() => this.fetchToken(), bolDefaults.tokenMarginSeconds, 300, now);
  }

  async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.get()}` };
  }

  renew(): Promise<boolean> {
    return this.tokens.renew();
  }

  /** The cached token, or a new one (concurrent callers share one token request). */
  get(): Promise<string> {
    return this.tokens.get();
  }

  private async fetchToken(): Promise<FetchedToken> {
    const basic = Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`).toString('base64');
    const res = await this.client.request<{ access_token?: string; expires_in?: number }>({
      method: 'POST', idempotent: true,
      path: '',
      query: { grant_type: 'client_credentials' },
      headers: { authorization: `Basic ${basic}` },
    });
    const value = res.body?.access_token;
    if (!value) throw new WharfError('AUTH_FAILED', 'bol: login.bol.com answered without an access token', { where: res.where }, { retryable: false });
    return { value, expiresIn: res.body?.expires_in };
  }
}

export const bolExplain: Explainer = (r) => {
  if (r.status === 401) return { code: 'AUTH_FAILED', message: 'the Retailer API refused the access token, also a fresh one', hint: 'are these Retailer API credentials (not Advertising API)? Is the seller account active?' };
  if (r.status === 403) {
    return {
      code: 'AUTH_FAILED',
      message: `the bol credentials may not do this (HTTP 403 at ${r.where}): they were accepted, but have read-only or too little access`,
      hint: 'use a Retailer API credential of the seller account itself (Seller Dashboard > Settings > API settings), or re-authorise the integration with "read and write" for Offers, Orders and Shipments',
    };
  }
  if (r.status === 406 || r.status === 415) return { message: 'bol does not accept the API version Wharf asked for (Retailer API v10; Offers API v11 for stock)' };
  return undefined;
};
