/**
 * One cached bearer token of an OAuth2 client-credentials grant (bol.com, Shopify Dev Dashboard apps):
 * reused until `marginSeconds` before its `expires_in` runs out, fetched anew on `renew()` (after a 401),
 * and concurrent callers share one token request. The grant itself (URL, how the client id and secret
 * are sent) is the connector's `fetch`.
 * https://datatracker.ietf.org/doc/html/rfc6749#section-4.4
 */
export interface FetchedToken {
  value: string;
  /** Lifetime in seconds as the token endpoint answered it (`expires_in`), if it did. */
  expiresIn?: number;
}

export class TokenCache {
  private token?: { value: string; expiresAt: number };
  private pending?: Promise<string>;

  /**
   * @param fetch runs the grant; throws (AUTH_FAILED, transport errors) as the connector's client does.
   * @param marginSeconds how long before expiry the token is replaced.
   * @param defaultLifetime seconds assumed when the endpoint gives no `expires_in`.
   * @param now clock in epoch ms (tests pass a fixed one).
   */
  constructor(
    private readonly fetch: () => Promise<FetchedToken>,
    private readonly marginSeconds: number,
    private readonly defaultLifetime: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached token, or a new one. */
  get(): Promise<string> {
    if (this.token && this.now() < this.token.expiresAt) return Promise.resolve(this.token.value);
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forgets the cached token (the API refused it) and fetches a new one. */
  async renew(): Promise<boolean> {
    this.token = undefined;
    await this.get();
    return true;
  }


  private async refresh(): Promise<string> {
    const t = await this.fetch();
    const lifetime = Math.max(0, (t.expiresIn ?? this.defaultLifetime) - this.marginSeconds);
    this.token = { value: t.value, expiresAt: this.now() + lifetime * 1000 };
    return t.value;
  }
}
