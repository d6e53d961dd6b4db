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
  deps.logger.info(`HTTP server listening on ${server.url} (console ${server.url}/, access token: ${server.tokenSource})`);
  if (!loopback && !settings.tls) deps.logger.warn(`the HTTP server listens on ${settings.host}, not on loopback, without TLS: the access token crosses the network in clear text; set http.tls or put a TLS proxy in front`);
  return server;
}
