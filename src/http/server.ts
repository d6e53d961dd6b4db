import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { WharfError, describeError } from '../errors.js';
import type { HttpSettings } from '../config/http.js';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import type { Gateway } from '../daemon/gateway.js';
import { accessToken, registerAuth } from './auth.js';
import { html } from './console/html.js';
import { layout } from './console/layout.js';

/** How long a client may take to send one request (headers and body), ms. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The longest route parameter taken, characters as sent (URL-encoded). */
export const MAX_PARAM_LENGTH = 1500;

/** What the HTTP routes may use: the daemon's loaded config, ledger, logger and running gateway. */
export interface HttpDeps {
  config: LoadedConfig;
  store: Store;
  logger: Logger;
  gateway: Gateway;
}

/** A route group (health, metrics, webhooks, console) registered on the server with the deps. */
export type HttpRoutes = FastifyPluginAsync<HttpDeps>;

/** The running server of `wharf run`. */
export interface HttpServer {
  /** The address it listens on, e.g. `http://127.0.0.1:8780` (the real port when `listen` gave 0). */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Where the access token came from (`http.token in the config` or the token file's path), never the token. */
  readonly tokenSource: string;
  /** Stops accepting connections and waits for requests in hand (fastify's close). */
  close(): Promise<void>;
}

/**
 * Builds the server (not listening): cookies, form bodies, the token check (src/http/auth.ts),
 * `/healthz`, JSON errors that never echo a request body, then each of `routes`.
 * `token` is the access token (read or made by accessToken when not given). Throws CONFIG_SECRET when
 * the token or the TLS files cannot be read.
 */
export async function buildHttpServer(settings: HttpSettings, deps: HttpDeps, routes: HttpRoutes[] = [], token = accessToken(settings).token): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: settings.bodyLimit,
    // A client that sends its request slowly (a body trickled in) is cut off, and stopping the daemon
    // closes every connection (SSE streams, keep-alive, a half-sent request) instead of waiting for them.
    requestTimeout: REQUEST_TIMEOUT_MS,
    forceCloseConnections: true,
    // Route parameters up to the longest any route's schema takes (an order id, URL-encoded, may pass
    // fastify's default of 100 characters); a longer one is answered by frameworkError. Under
    // routerOptions: the top-level option is deprecated (FSTDEP022) and printed a warning at every start.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => frameworkError(err, request, reply),
    ...(settings.tls ? { https: { cert: readPem(settings.tls.cert, 'http.tls.certFile'), key: readPem(settings.tls.key, 'http.tls.keyFile') } } : {}),
  });
  const log = deps.logger.child({ component: 'http' });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) log.error({ method: request.method, route: request.routeOptions.url, error: describeError(err) }, 'HTTP request failed');
    else log.warn({ method: request.method, route: request.routeOptions.url, status, code: err.code }, `HTTP request refused: ${err.message}`);
    // A 4xx message from fastify (body too large, bad JSON, wrong content type) says what is wrong with the
    // request and quotes none of it; a 5xx says nothing of the inside.
    void reply.code(status).send({ error: status >= 500 ? 'internal' : (STATUS_CODES[status] ?? 'Bad Request').toLowerCase(), message: status >= 500 ? 'the request failed inside Wharf; the log has the details' : err.message });
  });
  // Every route's method and pattern, so an address that exists under another method is answered 405 with Allow.
  const known: { method: string; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) known.push({ method, pattern: routePattern(route.url ?? route.path) });
  });
  app.setNotFoundHandler((request, reply) => {
    const where = request.url.split('?')[0]!;
    const allow = [...new Set(known.filter((r) => r.pattern.test(where)).map((r) => r.method))];
    if (allow.length > 0) {
      void reply.header('allow', allow.join(', '));
      if (wantsPage(request.headers.accept, where)) {
        void reply.code(405).type('text/html; charset=utf-8').send(layout({
          title: 'Method not allowed',
          body: html`<h1>Method not allowed</h1><p class="err" role="alert">The console's page ${where} does not take ${request.method} (it takes ${allow.join(', ')}).</p><p>Use the links and buttons of the console's pages.</p><p><a href="/">Back to the overview</a></p>`,
        }).text);
        return;
      }
      void reply.code(405).send({ error: 'method not allowed', message: `${request.method} is not allowed on ${where}; allowed: ${allow.join(', ')}` });
      return;
    }
    // A browser asking for a page that is not there gets a page (the console's), any other client JSON.
    if (wantsPage(request.headers.accept, where)) {
      void reply.code(404).type('text/html; charset=utf-8').send(layout({
        title: 'Not found',
        body: html`<h1>Not found</h1><p class="err" role="alert">The console has no page ${where}.</p><p>Check the address, or start from the navigation above.</p><p><a href="/">Back to the overview</a></p>`,
      }).text);
      return;
    }
    void reply.code(404).send({ error: 'not found', message: `no route ${request.method} ${where}` });
  });

  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  registerAuth(app, token, Boolean(settings.tls));

  const started = Date.now();
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) }));

  for (const r of routes) await app.register(r, deps);
  return app;
}

/**
 * Builds the server and listens on `settings.host:port`. Throws CONFIG_INVALID when the address is in
 * use or cannot be bound (with the address and how to fix it), and what buildHttpServer throws.
 */
export async function startHttpServer(settings: HttpSettings, deps: HttpDeps, routes: HttpRoutes[] = []): Promise<HttpServer> {
  const { token, source } = accessToken(settings);
  const app = await buildHttpServer(settings, deps, routes, token);
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new WharfError('CONFIG_INVALID', `the HTTP server cannot listen on ${settings.host}:${settings.port}: ${code === 'EADDRINUSE' ? 'the port is in use by another process' : (code ?? describeError(err))}`, {
      field: 'http.listen',
      hint: code === 'EADDRINUSE' ? 'stop the other process (another wharf run?) or set http.listen to a free port' : 'set http.listen to an address of this machine, e.g. 127.0.0.1:8780',
    });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `${settings.tls ? 'https' : 'http'}://${host}:${port}`;
  return { url, app, tokenSource: source, close: () => app.close() };
}

/**
 * An address fastify's router refuses before any route runs (a broken %-escape, a parameter longer than
 * MAX_PARAM_LENGTH): a page for a browser, JSON for anything else; neither quotes the address.
 */
function frameworkError(err: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 400;
  const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a part of the address is longer than ${MAX_PARAM_LENGTH} characters`
    : err.code === 'FST_ERR_BAD_URL' ? 'the address is not a valid URL (a broken %-escape)' : (STATUS_CODES[status] ?? 'bad request').toLowerCase();
  if (wantsPage(request.headers.accept, request.url.split('?')[0]!)) {
    void reply.code(status).type('text/html; charset=utf-8').send(layout({
      title: STATUS_CODES[status] ?? 'Bad request',
      body: html`<h1>${STATUS_CODES[status] ?? 'Bad request'}</h1><p class="err" role="alert">The address was not right: ${message}.</p><p>Check the address (a link from the console's pages is always right).</p><p><a href="/">Back to the overview</a></p>`,
    }).text);
    return;
  }
  void reply.code(status).send({ error: (STATUS_CODES[status] ?? 'bad request').toLowerCase(), message });
}

/** A route's URL pattern (`/files/:ref`, `/x/*`) as a regular expression for a request's path. */
function routePattern(url: string): RegExp {
  const parts = url.split(/(:[A-Za-z0-9_]+|\*)/).map((p) => (p === '*' ? '.*' : p.startsWith(':') ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`);
}

/** A browser page request (Accept names text/html) outside the JSON routes (/api/, /webhooks/, /metrics, /healthz, /readyz). */
function wantsPage(accept: string | undefined, where: string): boolean {
  return /text\/html/.test(accept ?? '') && !/^\/(api|webhooks)(\/|$)|^\/(metrics|healthz|readyz)$/.test(where);
}

function readPem(file: string, field: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new WharfError('CONFIG_SECRET', `cannot read ${field}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { where: file, field, hint: 'point it at a readable PEM file' });
  }
}
