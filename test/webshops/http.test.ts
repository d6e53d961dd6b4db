import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { backoffDelay, defaultRetryPolicy, EndpointLimits, HttpClient, parseRetryAfter, pullWithCursor, RateLimiter, scrub, type OrderStream } from '../../src/connectors/http/index.js';
import { bolEndpoint } from '../../src/connectors/bol/index.js';
import { captureLogger, collect, fastHttp, TestServer } from '../helpers/webshops/server.js';

describe('Retry-After and back-off', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped', () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, p, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, p, () => 0)).toBe(0);
  });
});

describe('rate limiter', () => {
  it('lets a burst through, then spaces requests at the rate; a pause holds everything', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 3 }, { now: () => now, sleep: async (ms) => { waits.push(ms); now += ms; } });
    for (let i = 0; i < 5; i++) await limiter.take();
    expect(waits).toEqual([100, 100]);
    limiter.pauseUntil(now + 2000);
    await limiter.take();
    expect(waits.at(-1)).toBe(2000);
  });
});

describe('request helper', () => {
  let server: TestServer;
  let reply: (path: string) => { status: number; headers?: Record<string, string>; body?: unknown; text?: string };
  beforeEach(async () => {
    reply = () => ({ status: 200, body: { ok: true } });
    server = await new TestServer((r) => reply(r.path)).start();
  });
  afterEach(async () => server.stop());
  const client = (over: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) =>
    new HttpClient({ connector: 'test', baseUrl: server.url, logger: silentLogger(), tuning: fastHttp, ...over });

  it('honours a Retry-After HTTP date', async () => {
    server.failNext(1, { status: 503, retryAfter: new Date(Date.now() + 2000).toUTCString() });
    const started = Date.now();
    await client().request({ path: '/x' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // HTTP dates have whole seconds
  });

  it('gives up at once when Retry-After exceeds the wait budget, as a retryable error', async () => {
    server.failNext(1, { status: 429, retryAfter: '600' });
    const err = await client().request({ path: '/x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRANSPORT_FAILED', retryable: true });
    expect((err as Error).message).toMatch(/rate limited \(HTTP 429\).*asked to wait 600 s more/);
    expect(server.requests).toHaveLength(1);
  });

  it('explains 403 and 404, and does not retry them', async () => {
    reply = (p) => (p === '/forbidden' ? { status: 403, body: { message: 'not allowed' } } : { status: 404, text: 'no' });
    await expect(client().request({ path: '/forbidden' })).rejects.toMatchObject({ code: 'AUTH_FAILED', retryable: false, message: expect.stringMatching(/permission denied.*not allowed/) });
    await expect(client().request({ path: '/missing' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/wrong URL/) });
    expect(server.requests).toHaveLength(2);
  });

  it('says so when a URL answers with a web page instead of JSON', async () => {
    reply = () => ({ status: 200, text: '<!doctype html><html>shop</html>' });
    await expect(client().request({ path: '/' })).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/expected JSON.*HTML page/) });
  });

  it('retries a refused connection and then reports it plainly', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = new HttpClient({ connector: 'test', baseUrl: `http://127.0.0.1:${port}`, logger: silentLogger(), tuning: { ...fastHttp, maxAttempts: 2 } });
    const err = await c.request({ path: '/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/connection refused.*gave up after 2 attempts/);
  });

  it('a write that is not idempotent is sent once per call when it may have arrived (5xx, dropped answer); an idempotent one is resent; a 429 is waited out for both', async () => {
    server.failNext(1, { status: 502 });
    const err = await client().request({ method: 'POST', idempotent: false, path: '/notes', json: { note: 'shipped' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRANSPORT_FAILED', retryable: true });
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    server.dropAnswerNext(1);
    await expect(client().request({ method: 'POST', idempotent: false, path: '/notes', json: {} })).rejects.toMatchObject({ retryable: true });
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    server.failNext(1, { status: 502 });
    await client().request({ method: 'PUT', idempotent: true, path: '/stock', json: { quantity: 3 } });
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.dropAnswerNext(1);
    await client().request({ method: 'PUT', idempotent: true, path: '/stock', json: { quantity: 3 } });
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.failNext(1, { status: 429, retryAfter: '0' });
    await client().request({ method: 'POST', idempotent: false, path: '/notes', json: {} });
    expect(server.requests).toHaveLength(2);
  });

  it('renews credentials once on a 401 (token expired), then gives up', async () => {
    let token = 'old';
    let renewals = 0;
    reply = () => ({ status: 401, body: { message: 'expired' } });
    server.requests.length = 0;
    const auth = { headers: () => ({ authorization: `Bearer ${token}` }), renew: async () => { renewals++; token = 'new'; return true; } };
    await expect(client({ auth }).request({ path: '/x' })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(renewals).toBe(1);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('logs method, host, path, status and attempt, never the query string or secrets in platform messages', async () => {
    const cap = captureLogger();
    reply = () => ({ status: 400, body: { message: 'bad key s3cr3t-value given' } });
    const err = await client({ logger: cap.logger, secrets: ['s3cr3t-value'] }).request({ path: '/orders', query: { key: 's3cr3t-value' } }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('[redacted]');
    expect((err as Error).message).not.toContain('s3cr3t-value');
    const line = JSON.parse(cap.text().trim().split('\n').at(-1)!);
    expect(line).toMatchObject({ connector: 'test', method: 'GET', path: '/orders', status: 400, attempt: 1 });
    expect(cap.text()).not.toContain('s3cr3t-value');
    expect(scrub('a-b-c', ['ab'])).toBe('a-b-c');
  });
});

describe('cursor across streams', () => {
  const stream = (name: string, times: number[][], sorted = true, onlyIncremental = false): OrderStream => ({
    name, sorted, onlyIncremental,
    modifiedAt: (r) => r as number,
    pages: async function* () { for (const p of times) yield p; },
  });

  it('an unsorted stream moves the cursor only at its end, never backwards', async () => {
    const pages = await collect(pullWithCursor([stream('a', [[5000, 1000], [3000]], false)], new Date(2000).toISOString(), { overlapSeconds: 0 }));
    expect(pages.map((p) => p.cursor)).toEqual([new Date(2000).toISOString(), new Date(2000).toISOString(), new Date(5000).toISOString()]);
  });

  it('skips incremental-only streams on the first pull and keeps an empty cursor when nothing came', async () => {
    const pages = await collect(pullWithCursor([stream('a', []), stream('b', [[1]], true, true)], undefined, { overlapSeconds: 300 }));
    expect(pages).toEqual([]);
  });
});

describe('EndpointLimits (per-endpoint budgets from x-ratelimit headers)', () => {
  it('pauses only the endpoint whose budget is spent, until its reset; a 429 waits for Retry-After', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const limits = new EndpointLimits(bolEndpoint, { now: () => now, sleep: async (ms) => void slept.push(ms) });
    const u = (p: string) => new URL(`https://api.bol.com${p}`);
    limits.observe('GET', u('/retailer/orders/A1'), 200, new Headers({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '20' }));
    expect(limits.pausedFor('GET', '/retailer/orders/A2')).toBe(0);
    limits.observe('GET', u('/retailer/orders/A1'), 200, new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '20' }));
    expect(limits.pausedFor('GET', '/retailer/orders/B7')).toBe(20_000); // same endpoint: any order id
    expect(limits.pausedFor('GET', '/retailer/orders')).toBe(0); // the list has its own budget
    expect(limits.pausedFor('PUT', '/retailer/orders/B7')).toBe(0);
    await limits.wait('GET', u('/retailer/orders/B7'));
    expect(slept).toEqual([20_000]);
    now += 20_000;
    expect(limits.pausedFor('GET', '/retailer/orders/B7')).toBe(0);
    limits.observe('GET', u('/retailer/orders'), 429, new Headers({ 'retry-after': '5', 'x-ratelimit-reset': '9' }));
    expect(limits.pausedFor('GET', '/retailer/orders')).toBe(5_000);
  });
});
