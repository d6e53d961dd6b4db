import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WharfError } from '../errors.js';
import type { HttpSettings } from '../config/http.js';
import { html } from './console/html.js';
import { layout } from './console/layout.js';
import { backLink, problemBody, type ConsoleProblem } from './console/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route anyone may call: /healthz, the login page, the webhooks (they carry their own signature). */
    public?: boolean;
  }
}

/** Name of the console's session cookie: HttpOnly, SameSite=Strict, Secure under TLS. */
export const SESSION_COOKIE = 'wharf_session';

/**
 * The access token: `http.token` from the config, else the one kept in `settings.tokenFile` (made on
 * first use: 32 random bytes, base64url, file mode 0600). Throws CONFIG_SECRET when the file exists
 * but cannot be read, or holds fewer than 16 characters.
 */
export function accessToken(settings: HttpSettings): { token: string; source: string } {
  if (settings.token) return { token: settings.token, source: 'http.token in the config' };
  let token: string | undefined;
  try {
    token = readFileSync(settings.tokenFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new WharfError('CONFIG_SECRET', `cannot read the HTTP access token file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
        where: settings.tokenFile,
        hint: 'make it readable by the user running wharf, delete it to get a new token, or set http.token',
      });
    }
  }
  if (token === undefined) {
    token = randomBytes(32).toString('base64url');
    mkdirSync(path.dirname(settings.tokenFile), { recursive: true });
    writeFileSync(settings.tokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(settings.tokenFile, 0o600);
  }
  if (token.length < 16) {
    throw new WharfError('CONFIG_SECRET', 'the HTTP access token file holds fewer than 16 characters', { where: settings.tokenFile, hint: 'delete the file to get a new random token, or set http.token' });
  }
  return { token, source: settings.tokenFile };
}

/** The session cookie's value for `token`: an HMAC of it, so the token itself never sits in a cookie. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('wharf console session v1').digest('base64url');
}

/** `a === b` in time independent of where they differ (both hashed first, so lengths leak nothing). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHmac('sha256', 'wharf compare').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** True when the request carries the token as `Authorization: Bearer …` or a valid session cookie. */
export function authenticated(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^Bearer\s+/i.test(header)) return sameSecret(header.replace(/^Bearer\s+/i, '').trim(), token);
  const cookie = request.cookies[SESSION_COOKIE];
  return typeof cookie === 'string' && sameSecret(cookie, sessionValue(token));
}

/**
 * True when the request's Origin header names this server: its host and port are the request's Host
 * header. The scheme is not compared, so that a TLS reverse proxy in front (browser on https, Wharf on
 * http) works, as long as the proxy passes the Host header on (nginx: `proxy_set_header Host $host`).
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** A path the login may send the browser back to: same site only (no `//host`, no scheme). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

/**
 * Registers the token check for every non-public route, `GET/POST /login` and `POST /logout`.
 * A browser asking for a page without a session is sent to /login; a console form sent without one
 * (401) or from another site (403) gets an HTML page saying so; anything else gets JSON.
 */
export function registerAuth(app: FastifyInstance, token: string, tls: boolean): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // A browser sends the session cookie with any request to this site, also one a page on another
    // port or host makes it send (SameSite=Strict does not tell ports apart): a state-changing request
    // that rides on the cookie must come from a page of this server. Bearer calls (scripts) carry no cookie risk.
    const changes = request.method !== 'GET' && request.method !== 'HEAD';
    const byCookie = changes && typeof request.headers.authorization !== 'string' && (request.cookies[SESSION_COOKIE] !== undefined || request.url.split('?')[0] === '/login');
    if (byCookie && !request.url.startsWith('/webhooks/') && !sameOrigin(request)) {
      request.log.warn('cookie request refused: Origin header missing or from another site');
      if (consolePage(request)) {
        return sendProblem(reply, {
          status: 403, title: 'Forbidden', back: backLink(request),
          what: 'This form must be sent from the console itself (the Origin header of this server); it came from another site or without one. Nothing was done.',
          fix: 'Use the form on the console\'s own page (reload it first); forms from other sites are refused.',
        });
      }
      return reply.code(403).send({ error: 'forbidden', message: 'this must be sent from a page of this server (its Origin header); scripts send `Authorization: Bearer <token>` instead' });
    }
    if (request.routeOptions.config.public) return;
    if (authenticated(request, token)) return;
    const wantsPage = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    if (wantsPage) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
    if (consolePage(request)) {
      // A form sent without a valid session (logged out in another tab, or the token changed since the
      // page was loaded): a page with the way back in, not the API's JSON.
      const back = backLink(request).href;
      return sendProblem(reply.header('www-authenticate', 'Bearer realm="wharf"'), {
        status: 401, title: 'Not logged in', back: { href: `/login?next=${encodeURIComponent(back)}`, label: 'Log in' },
        what: 'This form was sent without a valid session (you logged out, or the access token changed since the page was loaded). Nothing was done.',
        fix: 'Log in again with the access token, then send the form again.',
      });
    }
    return reply.code(401).header('www-authenticate', 'Bearer realm="wharf"').send({ error: 'unauthorized', message: 'this needs the access token: send `Authorization: Bearer <token>` (http.token, or the file named in the startup log)' });
  });

  app.get('/login', { config: { public: true } }, async (request, reply) => {
    const q = request.query as { next?: string; failed?: string };
    return reply.type('text/html; charset=utf-8').send(loginPage(safeNext(q.next), q.failed === '1'));
  });

  app.post('/login', { config: { public: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as { token?: unknown; next?: unknown };
    const next = safeNext(body.next);
    if (typeof body.token !== 'string' || !sameSecret(body.token.trim(), token)) {
      request.log.warn('console login with a wrong token');
      return reply.redirect(`/login?failed=1&next=${encodeURIComponent(next)}`, 303);
    }
    reply.setCookie(SESSION_COOKIE, sessionValue(token), { path: '/', httpOnly: true, sameSite: 'strict', secure: tls });
    return reply.redirect(next, 303);
  });

  app.post('/logout', { config: { public: true } }, async (_request, reply) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}

/**
 * True for a browser's request to the console (it accepts HTML, and the address is no /api/ route,
 * webhook, /metrics or /readyz): refusals are answered with a page, not the API's JSON.
 */
function consolePage(request: FastifyRequest): boolean {
  const p = request.url.split('?')[0]!;
  return (request.headers.accept ?? '').includes('text/html') && !/^\/(?:api|webhooks)(?:\/|$)/.test(p) && p !== '/metrics' && p !== '/readyz' && p !== '/healthz';
}

/** Answers `p` as a console error page (no navigation: the visitor may have no session). */
function sendProblem(reply: FastifyReply, p: ConsoleProblem): FastifyReply {
  return reply.code(p.status).type('text/html; charset=utf-8').header('cache-control', 'no-store')
    .send(layout({ title: p.title, nav: false, body: problemBody(p) }).text);
}

function loginPage(next: string, failed: boolean): string {
  return layout({
    title: 'Log in',
    nav: false,
    flash: failed ? { kind: 'error', text: 'That token is not right.' } : undefined,
    body: html`<h1>Log in</h1>
<form method="post" action="/login" class="login">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${next}">
<p><button type="submit">Log in</button></p>
</form>
<p><small>The token is <code>http.token</code> in the config, or the file named in Wharf's startup log (<code>var/http-token</code> by default).</small></p>`,
  }).text;
}
