import { sleep as defaultSleep } from './backoff.js';

export interface RateLimitSettings {
  /** Sustained requests per second. */
  requestsPerSecond: number;
  /** Requests that may go out back to back before the rate applies (bucket size). */
  burst?: number;
}

export interface LimiterClock {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A token bucket shared by every request of one channel. Tokens are reserved when taken (the count may
 * go below zero), so concurrent callers queue in order instead of racing. `pauseUntil` lets a connector
 * stop all traffic when the platform says so (Shopify's cost bucket, Lightspeed's x-ratelimit headers).
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly capacity: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(settings: RateLimitSettings, clock: LimiterClock = {}) {
    if (!(settings.requestsPerSecond > 0)) throw new Error('requestsPerSecond must be greater than 0');
    this.rate = settings.requestsPerSecond / 1000;
    this.capacity = Math.max(1, settings.burst ?? 1);
    this.tokens = this.capacity;
    this.now = clock.now ?? Date.now;
    this.sleep = clock.sleep ?? defaultSleep;
    this.last = this.now();
  }

  /** Waits until one request may go out. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    this.tokens -= 1;
    const tokenWait = this.tokens >= 0 ? 0 : -this.tokens / this.rate;
    const pauseWait = this.pausedUntil - now;
    const wait = Math.ceil(Math.max(tokenWait, pauseWait, 0));
    if (wait > 0) await this.sleep(wait, signal);
  }

  /** Holds every request until `epochMs` (never shortens an earlier pause). */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  /** Time left of the current pause, in ms. */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }
}
