import { sleep as defaultSleep } from './backoff.js';

/**
 * Request budgets that a platform keeps per endpoint and reports in every response (bol.com:
 * `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` = seconds until the budget is
 * replenished; a 429 carries `retry-after`). When an endpoint's budget is spent, the next request to
 * that endpoint waits for its reset, while other endpoints go on; without the headers nothing changes.
 * https://api.bol.com/retailer/public/Retailer-API/ratelimits.html
 */
export class EndpointLimits {
  private readonly pausedUntil = new Map<string, number>();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  /**
   * @param endpointOf names the budget a request counts against, e.g. `GET /retailer/orders/*`
   *   (method and URL path in, key out); requests with the same key share one budget.
   */
  constructor(
    private readonly endpointOf: (method: string, path: string) => string,
    clock: { now?: () => number; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
  ) {
    this.now = clock.now ?? Date.now;
    this.sleep = clock.sleep ?? defaultSleep;
  }

  /** Waits until the endpoint of this request has budget again (as its last response said). */
  async wait(method: string, url: URL, signal?: AbortSignal): Promise<void> {
    const until = this.pausedUntil.get(this.endpointOf(method, url.pathname)) ?? 0;
    const ms = until - this.now();
    if (ms > 0) await this.sleep(ms, signal);
  }

  /** Ms this endpoint still waits (0 when it may go now). */
  pausedFor(method: string, path: string): number {
    return Math.max(0, (this.pausedUntil.get(this.endpointOf(method, path)) ?? 0) - this.now());
  }

  /** Reads a response's budget headers: a spent budget (remaining ≤ 0, or a 429) pauses its endpoint. */
  observe(method: string, url: URL, status: number, headers: Headers): void {
    const key = this.endpointOf(method, url.pathname);
    const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
    const reset = seconds(headers.get('x-ratelimit-reset'));
    const retryAfter = seconds(headers.get('retry-after'));
    let waitS: number | undefined;
    if (status === 429) waitS = retryAfter ?? reset;
    else if (Number.isFinite(remaining) && remaining <= 0) waitS = reset;
    if (waitS === undefined) return;
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, this.now() + waitS * 1000));
  }
}

/** A non-negative number of seconds, or undefined (HTTP dates in Retry-After are left to the client). */
function seconds(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
