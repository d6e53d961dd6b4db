import type { HttpSettings } from '../config/http.js';
import { apiRoutes } from './api/index.js';
import { consoleRoutes } from './console/routes.js';
import { startHttpServer, type HttpDeps, type HttpRoutes, type HttpServer } from './server.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { webhookRoutes } from './webhooks.js';

/** The route groups `wharf run` serves besides /healthz and the login (registered in this order). */
export const DAEMON_ROUTES: HttpRoutes[] = [healthRoutes, metricsRoutes, webhookRoutes, apiRoutes, consoleRoutes];

/**
 * Starts the HTTP server of `wharf run` with every route group and logs where it listens and where
 * the access token comes from (never the token). Throws what startHttpServer throws.
 */
export async function startDaemonHttp(settings: HttpSettings, deps: HttpDeps): Promise<HttpServer> {
  const server = await startHttpServer(settings, deps, DAEMON_ROUTES);
  const loopback = /^(127\.|::1$|localhost$)/.test(settings.host);
  deps.logger.info(listeningMessage(server.url, settings.host, server.tokenSource));
  if (!loopback && !settings.tls) deps.logger.warn(`the HTTP server listens on ${settings.host}, not on loopback, without TLS: the access token crosses the network in clear text; set http.tls or put a TLS proxy in front`);
  return server;
}

/** 0.0.0.0 and :: (and their spellings): listening on every interface, not an address to browse to. */
const ALL_INTERFACES = /^(0\.0\.0\.0|::|\[::\]|0:0:0:0:0:0:0:0)$/;

/**
 * The startup line saying where the server listens and where the console is. On a specific address
 * the console's address is that one; on all interfaces (0.0.0.0, ::), which no browser can open,
 * it says so and gives usable examples: `<scheme>://<this host>:<port>/`, and 127.0.0.1 on this machine.
 * `url` is the server's `<scheme>://<host>:<port>` (HttpServer.url).
 */
export function listeningMessage(url: string, host: string, tokenSource: string): string {
  if (!ALL_INTERFACES.test(host)) return `HTTP server listening on ${url} (console ${url}/, access token: ${tokenSource})`;
  const u = new URL(url);
  const scheme = u.protocol.replace(':', '');
  return `HTTP server listening on all interfaces (${host}), port ${u.port} (${scheme}) (console ${scheme}://<this host's name or address>:${u.port}/, e.g. ${scheme}://127.0.0.1:${u.port}/ on this machine; access token: ${tokenSource})`;
}
