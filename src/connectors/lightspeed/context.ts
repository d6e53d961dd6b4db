import { TransportError } from '../../errors.js';
import { HttpClient, type HttpResponse, type RequestSpec } from '../http/client.js';
import { cursorSettingsOf, limiterOf, secretsOf, tuningOf } from '../http/config.js';
import type { CursorSettings } from '../http/pager.js';
import type { ConnectorOptions } from '../types.js';
import { lightspeedAuth, lightspeedExplain } from './auth.js';
import { lightspeedApiRoot, lightspeedDefaults, lightspeedSecretKeys, type LightspeedConfig } from './config.js';

export interface LightspeedContext {
  config: LightspeedConfig;
  http: HttpClient;
  cursor: CursorSettings;
  signal?: AbortSignal;
  /** Longest pause Wharf sits out inside one run; a longer one (the daily window) ends the run. */
  maxPauseMs: number;
}

/**
 * Lightspeed counts requests per key in three windows (5 minutes, 1 hour, 1 day) and reports them as
 * `X-RateLimit-Limit: 300/3000/12000`, `X-RateLimit-Remaining: …/…/…`, `X-RateLimit-Reset: <seconds
 * to reset>/…/…`. When a window is about to run dry, every request waits for its reset.
 */
export function rateLimitPause(headers: Headers, nowMs: number): number | undefined {
  const remaining = headers.get('x-ratelimit-remaining')?.split('/').map(Number);
  const reset = headers.get('x-ratelimit-reset')?.split('/').map(Number);
  if (!remaining || !reset) return undefined;
  let until: number | undefined;
  remaining.forEach((left, i) => {
    const secs = reset[i];
    if (Number.isFinite(left) && left <= 1 && secs !== undefined && Number.isFinite(secs)) until = Math.max(until ?? 0, nowMs + secs * 1000);
  });
  return until;
}

export function createLightspeedContext(config: LightspeedConfig, options: ConnectorOptions): LightspeedContext {
  const now = options.http?.now ?? Date.now;
  const limiter = limiterOf(config, lightspeedDefaults.rateLimit, options);
  const http = new HttpClient({
    connector: 'lightspeed',
    baseUrl: lightspeedApiRoot(config),
    logger: options.logger,
    auth: lightspeedAuth(config),
    limiter,
    secrets: secretsOf(config, lightspeedSecretKeys),
    explain: lightspeedExplain,
    tuning: tuningOf(config, options),
    headers: { accept: 'application/json' },
    onResponse: (res) => {
      const until = rateLimitPause(res.headers, now());
      if (until !== undefined) limiter.pauseUntil(until);
    },
  });
  return { config, http, cursor: cursorSettingsOf(config), signal: options.signal, maxPauseMs: options.http?.maxTotalWaitMs ?? 120_000 };
}

/** A request that refuses to sit out a pause longer than the run may wait (retryable: next run). */
export async function lsRequest<T>(ctx: LightspeedContext, spec: RequestSpec): Promise<HttpResponse<T>> {
  const paused = ctx.http.limiter?.pausedFor() ?? 0;
  if (paused > ctx.maxPauseMs) {
    throw new TransportError(`lightspeed: the API key's request allowance is used up for the next ${Math.ceil(paused / 60_000)} min (x-ratelimit headers)`, { hint: 'Wharf continues on a later run' });
  }
  return ctx.http.request<T>({ ...spec, signal: ctx.signal });
}
