import { TransportError, WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { backoffDelay, defaultRetryPolicy, parseRetryAfter, sleep as defaultSleep, type RetryPolicy } from './backoff.js';
import { networkError, platformMessage, RetryableResponse, scrub, statusError, type Explainer } from './errors.js';
import type { EndpointLimits } from './endpoint-limits.js';
import type { RateLimiter } from './limiter.js';
import { metricsSink, type ApiLabels } from '../../observe/sink.js';

/**
 * The one request helper every connector uses: per-attempt timeout, retries with back-off and full
 * jitter on network errors, 429 and 5xx (honouring Retry-After), a shared rate limiter, and plain
 * errors for the rest. Logs carry method, host+path (never the query), status and attempt; never a
 * header, a body or a credential.
 */

/** Knobs that tests and the daemon may tune; none of them is part of a channel's config file. */
export interface HttpTuning extends Partial<RetryPolicy> {
  /** Per-attempt timeout in ms (covers reading the body). */
  timeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface HttpAuth {
  /** Headers for one attempt (may fetch or reuse a token). */
  headers(signal?: AbortSignal): Promise<Record<string, string>> | Record<string, string>;
  /** On a 401: renew the credentials; true = send the request once more. */
  renew?(): Promise<boolean>;
}

export interface HttpClientOptions {
  /** Connector name for logs and messages, e.g. `woocommerce`. */
  connector: string;
  baseUrl: string;
  logger: Logger;
  auth?: HttpAuth;
  limiter?: RateLimiter;
  /** Per-endpoint budgets from the platform's rate-limit headers (bol.com), on top of `limiter`. */
  endpoints?: EndpointLimits;
  /** Values that must never appear in a message (credentials); scrubbed from platform error texts. */
  secrets?: readonly string[];
  /** Platform-specific plain words for 4xx answers. */
  explain?: Explainer;
  /** Called with every response (headers only), e.g. to read rate-limit headers. */
  onResponse?: (res: Response) => void;
  tuning?: HttpTuning;
  /** Headers sent with every request (Accept, version headers). */
  headers?: Record<string, string>;
  /**
   * Statuses that mean "slow down" rather than "failed" (default 429; RetailCRM also answers 503 when
   * a key exceeds its rate). They pause the whole channel and count against the throttle allowance.
   */
  throttleStatuses?: readonly number[];
  /**
   * The channel the requests are for, in the metrics (src/observe/sink.ts). Default: the logger's
   * `merchant` and `channel` bindings (the daemon's connector loggers carry them), else empty.
   */
  channel?: { merchant: string; channel: string };
}

export type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[];

/**
 * One request. A write (POST, PUT, PATCH, DELETE) must say whether it is `idempotent`: whether sending
 * it twice has the effect of sending it once (a read sent as POST, an absolute set, a write carrying an
 * idempotency key). A write that is not is sent once per call as soon as it may have reached the
 * server: a timeout, a dropped connection or a 5xx ends the call with a retryable TransportError, and
 * the caller reads the remote state before it sends again (a shipment note, a fulfilment). Answers
 * that say the request was not taken (429 and the other `throttleStatuses`, a refused connection, a
 * host name that does not resolve) are waited out and resent as for any request. The type makes
 * every write decide.
 */
export type RequestSpec = RequestOptions & (
  | { method?: 'GET'; idempotent?: true }
  | { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; idempotent: boolean }
);

export interface RequestOptions {
  /** Relative to the base URL (`/orders`), or an absolute URL. */
  path: string;
  /** Arrays become repeated keys (`filter[sites][]=a&filter[sites][]=b`); undefined/null are left out. */
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** How to read the body; default json (an empty body is null). */
  as?: 'json' | 'text';
  /** Skip the auth headers (the token endpoint itself). */
  noAuth?: boolean;
  /** Inspects a 2xx response; may throw RetryableResponse (retried) or any WharfError (not retried). */
  check?: (res: HttpResponse) => void;
  /** Overrides the attempts for this request (test-connection uses 1 to answer fast). */
  maxAttempts?: number;
  signal?: AbortSignal;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  /** `METHOD host/path`, safe to log. */
  where: string;
}

export class HttpClient {
  readonly connector: string;
  readonly baseUrl: string;
  readonly logger: Logger;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  /** Labels of this client's requests in the metrics. */
  private readonly labels: ApiLabels;

  constructor(private readonly o: HttpClientOptions) {
    this.connector = o.connector;
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.logger = o.logger;
    const t = o.tuning ?? {};
    this.policy = {
      maxAttempts: t.maxAttempts ?? defaultRetryPolicy.maxAttempts,
      baseDelayMs: t.baseDelayMs ?? defaultRetryPolicy.baseDelayMs,
      maxDelayMs: t.maxDelayMs ?? defaultRetryPolicy.maxDelayMs,
      maxTotalWaitMs: t.maxTotalWaitMs ?? defaultRetryPolicy.maxTotalWaitMs,
      maxThrottledAttempts: t.maxThrottledAttempts ?? defaultRetryPolicy.maxThrottledAttempts,
    };
    this.timeoutMs = t.timeoutMs ?? 30_000;
    this.sleep = t.sleep ?? defaultSleep;
    this.random = t.random ?? Math.random;
    this.now = t.now ?? Date.now;
    const bound = o.channel ?? (typeof o.logger.bindings === 'function' ? o.logger.bindings() : {});
    this.labels = { platform: o.connector, merchant: typeof bound.merchant === 'string' ? bound.merchant : '', channel: typeof bound.channel === 'string' ? bound.channel : '' };
  }

  get limiter(): RateLimiter | undefined {
    return this.o.limiter;
  }

  /** Builds the full URL of a request (exported for pagers that follow absolute `next` links). */
  url(path: string, query?: Record<string, QueryValue>): URL {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(this.baseUrl + (path === '' || path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else url.searchParams.append(k, String(v));
    }
    return url;
  }

  async request<T = unknown>(spec: RequestSpec): Promise<HttpResponse<T>> {
    const method = spec.method ?? 'GET';
    const url = this.url(spec.path, spec.query);
    const where = `${method} ${url.host}${url.pathname}`;
    // Made on first use: a child logger per request is a measurable share of a fast request's own work
    // (pino copies and redacts the bindings), and a request that succeeds at once logs only at debug.
    let child: Logger | undefined;
    const log = (): Logger => (child ??= this.logger.child({ connector: this.connector, method, host: url.host, path: url.pathname }));
    const maxAttempts = Math.max(1, spec.maxAttempts ?? this.policy.maxAttempts);
    const resendable = method === 'GET' || spec.idempotent === true;
    let waited = 0;
    let renewed = false;
    let last: WharfError | undefined;
    // 429s are the server pacing us, not failing: they are bounded by the wait budget and their own
    // larger count, not by maxAttempts (which bounds errors: network, timeouts, 5xx).
    let failures = 0;
    let throttled = 0;

    for (let attempt = 1; ; attempt++) {
      await this.o.endpoints?.wait(method, url, spec.signal);
      await this.o.limiter?.take(spec.signal);
      const started = this.now();
      let delayHint: number | undefined;
      try {
        const res = await this.once<T>(method, url, where, spec);
        if (this.logger.isLevelEnabled('debug')) log().debug({ status: res.status, attempt, ms: this.now() - started }, 'http ok');
        return res;
      } catch (err) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (err instanceof Unauthorized) {
          if (!renewed && this.o.auth?.renew && (await this.o.auth.renew())) {
            renewed = true;
            log().info({ status: 401, attempt }, 'http credentials renewed; sending once more');
            attempt--;
            continue;
          }
          log().warn({ status: 401, attempt }, 'http refused: authentication failed');
          throw err.error;
        }
        const e = err instanceof WharfError ? err : networkError(this.connector, where, url.host, err, this.timeoutMs);
        if (!e.retryable) {
          log().warn({ status: err instanceof HttpStatus ? err.status : undefined, attempt, code: e.code }, 'http refused');
          throw e instanceof HttpStatus ? e.error : e;
        }
        last = e instanceof HttpStatus ? e.error : e;
        delayHint = e instanceof HttpStatus ? e.retryAfterMs : e instanceof RetryableResponse ? e.retryAfterMs : undefined;
        const status = e instanceof HttpStatus ? e.status : undefined;
        const isThrottle = (status !== undefined && (this.o.throttleStatuses ?? [429]).includes(status)) || e instanceof RetryableResponse;
        if (isThrottle) throttled++;
        else failures++;
        if (isThrottle) metricsSink()?.apiThrottled(this.labels);
        if (!isThrottle && !resendable && !notSent(err)) {
          log().warn({ status, attempt, err: last.message }, 'http write not resent: it may have reached the server; the caller checks before sending again');
          throw this.givingUp(last, attempt, where);
        }
        if (failures >= maxAttempts || throttled >= this.policy.maxThrottledAttempts) {
          log().warn({ status, attempt, err: last.message }, 'http giving up');
          throw this.givingUp(last, attempt, where);
        }
        const delay = Math.max(delayHint ?? 0, backoffDelay(isThrottle ? throttled : failures, this.policy, this.random));
        if (waited + delay > this.policy.maxTotalWaitMs) {
          log().warn({ status, attempt, retryInMs: delay, waitedMs: waited }, 'http giving up: wait budget spent');
          throw this.givingUp(last, attempt, where, delay);
        }
        log().info({ status, attempt, retryInMs: delay, reason: last.message }, 'http retrying');
        metricsSink()?.apiRetry(this.labels);
        // A "slow down" holds every request of the channel, not just this one.
        if (isThrottle) this.o.limiter?.pauseUntil(this.now() + delay);
        waited += delay;
        await this.sleep(delay, spec.signal);
      }
    }
  }

  private givingUp(last: WharfError, attempts: number, where: string, nextDelay?: number): TransportError {
    const extra = nextDelay !== undefined ? `; the server asked to wait ${Math.ceil(nextDelay / 1000)} s more, beyond the retry budget` : '';
    return new TransportError(`${last.message} (gave up after ${attempts} attempt${attempts > 1 ? 's' : ''}${extra})`, { where, hint: 'Wharf tries again on the next scheduled run' }, last);
  }

  /** One attempt: send, read the body within the timeout, classify the status. */
  private async once<T>(method: string, url: URL, where: string, spec: RequestSpec): Promise<HttpResponse<T>> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([timeout, spec.signal]) : timeout;
    const headers: Record<string, string> = { 'user-agent': 'wharf', ...this.o.headers, ...spec.headers };
    if (!spec.noAuth && this.o.auth) Object.assign(headers, await this.o.auth.headers(signal));
    let body: string | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] ??= 'application/json';
    } else if (spec.form) {
      body = new URLSearchParams(spec.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal, redirect: 'follow' });
    } catch (err) {
      metricsSink()?.apiRequest(this.labels, 'network');
      throw err;
    }
    metricsSink()?.apiRequest(this.labels, res.status);
    this.o.onResponse?.(res);
    this.o.endpoints?.observe(method, url, res.status, res.headers);
    const text = await res.text();
    let parsed: unknown = text;
    let json: unknown;
    const looksJson = /json/i.test(res.headers.get('content-type') ?? '') || /^\s*[[{]/.test(text);
    if (looksJson && text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (res.status >= 200 && res.status < 300) {
      if ((spec.as ?? 'json') === 'json') {
        if (text.trim() === '') parsed = null;
        else if (json === undefined) {
          throw new WharfError('TRANSPORT_FAILED', `${this.connector}: expected JSON from ${url.host}${url.pathname} but got ${describeBody(res, text)}`, {
            where,
            hint: 'the URL probably points at a web page instead of the API; check the URL in the channel config',
          }, { retryable: false });
        } else parsed = json;
      }
      const out: HttpResponse<T> = { status: res.status, headers: res.headers, body: parsed as T, where };
      spec.check?.(out);
      return out;
    }
    const failed = { status: res.status, where, body: json, platformMessage: scrub(platformMessage(json, text), this.o.secrets ?? []) };
    if (res.status === 401) throw new Unauthorized(statusError(this.connector, failed, this.o.explain));
    const retryable = res.status === 429 || res.status === 408 || (res.status >= 500 && res.status !== 501);
    if (retryable) {
      const slowDown = (this.o.throttleStatuses ?? [429]).includes(res.status);
      const what = slowDown ? `rate limited (HTTP ${res.status})` : `server error (HTTP ${res.status})`;
      const said = failed.platformMessage ? `: ${failed.platformMessage}` : '';
      throw new HttpStatus(res.status, new TransportError(`${this.connector}: ${what} at ${url.host}${url.pathname}${said}`, { where }), parseRetryAfter(res.headers.get('retry-after'), this.now()));
    }
    throw new HttpStatus(res.status, statusError(this.connector, failed, this.o.explain));
  }
}

function describeBody(res: Response, text: string): string {
  const type = res.headers.get('content-type')?.split(';')[0] ?? 'no content type';
  return /^\s*</.test(text) ? `an HTML page (${type})` : `${type}`;
}

/** Internal: a 401, kept apart so the loop can renew credentials once. */
class Unauthorized extends Error {
  constructor(readonly error: WharfError) {
    super(error.message);
  }
}

/** Internal: a non-2xx status with the error to surface and, for 429/503, the server's Retry-After. */
class HttpStatus extends WharfError {
  constructor(readonly status: number, readonly error: WharfError, readonly retryAfterMs?: number) {
    super(error.code, error.message, error.details, { retryable: error.retryable });
  }
}

/**
 * Whether a failed attempt certainly never reached the server: the connection was refused or the host
 * name did not resolve (a write may then be sent again without asking).
 */
function notSent(err: unknown): boolean {
  const e = err as { cause?: { code?: string }; code?: string } | null;
  const code = e?.cause?.code ?? e?.code ?? '';
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}
