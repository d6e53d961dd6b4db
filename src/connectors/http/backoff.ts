/**
 * Retry timing for the request helper: exponential back-off with full jitter, `Retry-After`, and a
 * budget for the total time one request may spend waiting.
 * Full jitter: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

export interface RetryPolicy {
  /** Attempts in total when requests fail (network errors, timeouts, 5xx), the first one included. */
  maxAttempts: number;
  /** Answers "slow down" (429, Shopify THROTTLED) tolerated per request; their waits count against maxTotalWaitMs. */
  maxThrottledAttempts: number;
  /** Back-off before the second attempt (the cap of its random delay), in ms. */
  baseDelayMs: number;
  /** Largest back-off between two attempts, in ms (a longer `Retry-After` is still honoured). */
  maxDelayMs: number;
  /** Most time one request may spend waiting between attempts, in ms; beyond it the request gives up. */
  maxTotalWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  maxThrottledAttempts: 30,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxTotalWaitMs: 120_000,
};

/** Delay before attempt `attempt + 1` (attempt is 1-based): random in [0, min(max, base·2^(attempt−1))]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * `Retry-After` as milliseconds from now: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Abortable sleep; the default `sleep` of the request helper and the rate limiter. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
