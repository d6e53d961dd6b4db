/** Shared HTTP plumbing of the webshop connectors: one request helper, a rate limiter, a pager. */
export { HttpClient, type HttpAuth, type HttpClientOptions, type HttpResponse, type HttpTuning, type RequestSpec, type QueryValue } from './client.js';
export { RateLimiter, type RateLimitSettings } from './limiter.js';
export { EndpointLimits } from './endpoint-limits.js';
export { backoffDelay, parseRetryAfter, defaultRetryPolicy, sleep, type RetryPolicy } from './backoff.js';
export { RetryableResponse, scrub, platformMessage, statusError, networkError, type Explainer, type FailedResponse } from './errors.js';
export { paginate, pullWithCursor, sinceOf, type OrderStream, type CursorSettings } from './pager.js';
export { Steps } from './steps.js';
export { commonDefaults, parseChannelConfig, tuningOf, limiterOf, cursorSettingsOf, secretsOf } from './config.js';
