import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllDaemons, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon } from '../helpers/http.js';
import { listeningMessage } from '../../src/http/daemon-server.js';

const workspace = workspacesPerTest();
afterEach(killAllDaemons);

describe('the HTTP server of wharf run', () => {
  it('answers /healthz without a token and everything else only with it; the generated token is kept 0600 and reused', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await h.get('/healthz', { auth: false });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const noToken = await h.get('/nowhere', { auth: false });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await noToken.json()) as unknown).toMatchObject({ error: 'unauthorized' });
    const wrong = await h.get('/nowhere', { auth: false, headers: { authorization: `Bearer ${h.token}x` } });
    expect(wrong.status).toBe(401);
    const right = await h.get('/nowhere');
    expect(right.status).toBe(404);

    const tokenFile = path.join(ws.varDir, 'http-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(h.token.length).toBeGreaterThanOrEqual(40);
    // Never logged.
    expect(h.daemon.stderr).not.toContain(h.token);
    // No library warning on stderr at start (fastify's FSTDEP022 for a deprecated option was printed).
    expect(h.daemon.stderr).not.toMatch(/Warning/);
    await h.daemon.stop();

    const again = await startHttpDaemon(ws);
    expect(again.token).toBe(h.token);
    await again.daemon.stop();
  });

  it('logs a browser in with the token (session cookie, not the token) and refuses a wrong one', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws, { token: '${WHARF_HTTP_TOKEN}' }, { WHARF_HTTP_TOKEN: 'a-token-of-at-least-16-chars' });
    const page = await h.get('/some/page?x=1', { auth: false, headers: { accept: 'text/html' } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fsome%2Fpage%3Fx%3D1');
    const form = await h.get('/login', { auth: false });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="token"');

    const origin = { origin: h.url };
    const bad = await h.get('/login', { auth: false, method: 'POST', headers: origin, body: new URLSearchParams({ token: 'wrong-token-value-here', next: '/x' }) });
    expect(bad.status).toBe(303);
    expect(bad.headers.get('location')).toMatch(/failed=1/);
    expect(bad.headers.get('set-cookie')).toBeNull();

    // An outside address as `next` is not followed.
    const good = await h.get('/login', { auth: false, method: 'POST', headers: origin, body: new URLSearchParams({ token: h.token, next: '//evil.example/' }) });
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe('/');
    const cookie = good.headers.get('set-cookie')!;
    expect(cookie).toMatch(/wharf_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(h.token);
    const withCookie = await h.get('/nowhere', { auth: false, headers: { cookie: cookie.split(';')[0]! } });
    expect(withCookie.status).toBe(404);
    const forged = await h.get('/nowhere', { auth: false, headers: { cookie: 'wharf_session=forged' } });
    expect(forged.status).toBe(401);

    // A state-changing request riding on the cookie must come from a page of this server: refused from
    // another port of the same host (SameSite does not tell ports apart) or without Origin; a script's
    // Bearer call needs no Origin. The login form itself too.
    const session = { cookie: cookie.split(';')[0]!, 'content-type': 'application/json' };
    const job = JSON.stringify({ channel: 'demo/dropbox', job: 'orders' });
    const foreign = await h.get('/api/jobs', { auth: false, method: 'POST', headers: { ...session, origin: 'http://127.0.0.1:9' }, body: job });
    expect(foreign.status).toBe(403);
    expect((await h.get('/api/jobs', { auth: false, method: 'POST', headers: session, body: job })).status).toBe(403);
    expect((await h.get('/api/preview', { auth: false, method: 'POST', headers: { ...session, origin: 'http://evil.example' }, body: '{}' })).status).toBe(403);
    expect((await h.get('/api/jobs', { auth: false, method: 'POST', headers: { ...session, origin: h.url }, body: job })).status).toBe(202);
    expect((await h.get('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: job })).status).toBeLessThan(300);
    expect((await h.get('/login', { auth: false, method: 'POST', headers: { origin: 'http://evil.example' }, body: new URLSearchParams({ token: h.token }) })).status).toBe(403);
    await h.daemon.stop();
  });

  it('answers a console form from another site (403) or without a session (401) with a page, and the API with JSON', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    const login = await h.get('/login', { auth: false, method: 'POST', headers: { origin: h.url }, body: new URLSearchParams({ token: h.token }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const form = new URLSearchParams({ note: 'no need' });

    // A page on another port of this host makes the browser post a console form with the session cookie.
    const foreign = await h.get('/quarantine/1/dismiss', { auth: false, method: 'POST', headers: { ...browser, cookie, origin: 'http://127.0.0.1:9' }, body: form });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toMatch(/^text\/html/);
    const foreignPage = await foreign.text();
    expect(foreignPage).toContain('came from another site');
    expect(foreignPage).toContain('href="/quarantine/1"');
    const foreignLogin = await h.get('/login', { auth: false, method: 'POST', headers: { ...browser, origin: 'http://evil.example' }, body: new URLSearchParams({ token: h.token }) });
    expect(foreignLogin.status).toBe(403);
    expect(foreignLogin.headers.get('content-type')).toMatch(/^text\/html/);
    expect(foreignLogin.headers.get('set-cookie')).toBeNull();

    // A form sent after the session ended (a stale cookie, or none): a page with the way back in.
    for (const headers of [{ ...browser, cookie: 'wharf_session=stale', origin: h.url }, { ...browser, origin: h.url }]) {
      const stale = await h.get('/quarantine/1/dismiss', { auth: false, method: 'POST', headers, body: form });
      expect(stale.status).toBe(401);
      expect(stale.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await stale.text()).toContain('href="/login?next=%2Fquarantine%2F1"');
    }

    // The JSON API keeps answering JSON, whatever the Accept header says.
    const job = JSON.stringify({ channel: 'demo/dropbox', job: 'orders' });
    const api = await h.get('/api/jobs', { auth: false, method: 'POST', headers: { ...browser, cookie, origin: 'http://127.0.0.1:9', 'content-type': 'application/json' }, body: job });
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ error: 'forbidden' });
    const apiNoSession = await h.get('/api/jobs', { auth: false, method: 'POST', headers: { ...browser, origin: h.url, 'content-type': 'application/json' }, body: job });
    expect(apiNoSession.status).toBe(401);
    expect(await apiNoSession.json()).toMatchObject({ error: 'unauthorized' });
    await h.daemon.stop();
  });

  it('refuses an oversized or malformed request with a clear 4xx and keeps serving', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws, { bodyLimit: 2048 });
    const big = await h.get('/login', { auth: false, method: 'POST', headers: { origin: h.url, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(5000)}` });
    expect(big.status).toBe(413);
    const badJson = await h.get('/login', { auth: false, method: 'POST', headers: { origin: h.url, 'content-type': 'application/json' }, body: '{"token":' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toMatch(/JSON/i);
    const health = await h.get('/healthz', { auth: false });
    expect(health.status).toBe(200);
    expect(h.daemon.alive).toBe(true);
    await h.daemon.stop();
  });

  it('answers another method on an existing address with 405 and Allow: a page for the console, JSON under /api/; an unknown address stays 404', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    const page = { accept: 'text/html', origin: h.url };
    for (const [method, where, allow] of [['PUT', '/', 'GET'], ['POST', '/files/1', 'GET'], ['DELETE', '/quarantine/3/retry', 'POST']] as const) {
      const r = await h.get(where, { method, headers: page });
      expect(r.status, `${method} ${where}`).toBe(405);
      expect(r.headers.get('allow')!.split(', ')).toContain(allow);
      expect(r.headers.get('content-type')).toMatch(/text\/html/);
      expect(await r.text()).toContain(`does not take ${method}`);
    }
    const api = await h.get('/api/jobs', { method: 'DELETE', headers: { accept: 'text/html' } });
    expect(api.status).toBe(405);
    expect(api.headers.get('allow')).toMatch(/GET/);
    expect(await api.json()).toMatchObject({ error: 'method not allowed' });
    const missing = await h.get('/no-such-page', { method: 'PUT', headers: page });
    expect(missing.status).toBe(404);
    await h.daemon.stop();
  });

  it('gives a usable console address when listening on all interfaces', () => {
    expect(listeningMessage('http://127.0.0.1:8780', '127.0.0.1', 'var/http-token')).toBe('HTTP server listening on http://127.0.0.1:8780 (console http://127.0.0.1:8780/, access token: var/http-token)');
    for (const host of ['0.0.0.0', '::']) {
      const line = listeningMessage(`https://${host.includes(':') ? `[${host}]` : host}:8781`, host, 'WHARF_HTTP_TOKEN');
      expect(line).toContain('listening on all interfaces');
      expect(line).toContain("console https://<this host's name or address>:8781/, e.g. https://127.0.0.1:8781/");
      expect(line).not.toMatch(/https:\/\/(0\.0\.0\.0|\[::\]):8781\//);
    }
  });

  it('says clearly when the port is taken, and wharf once starts no server', async () => {
    const ws = await workspace();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      ws.writeConfig({ http: { listen: `127.0.0.1:${port}` } });
      const run = ws.start();
      const exit = await run.exited;
      expect(exit.code).not.toBe(0);
      expect(run.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
      expect(run.stderr).toMatch(/http\.listen/);

      const once = await ws.once();
      expect(once.code).toBe(0);
      expect(once.stderr).not.toMatch(/HTTP server listening/);
    } finally {
      blocker.close();
    }
  });

  it('serves HTTPS with the configured PEM files (Secure session cookie), and names an unreadable key file', async () => {
    const ws = await workspace();
    const cert = path.join(ws.root, 'cert.pem');
    const key = path.join(ws.root, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const h = await startHttpDaemon(ws, { tls: { certFile: cert, keyFile: key } });
    expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(cert);
    const call = (p: string, method = 'GET', body?: string, origin?: string) => new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request(h.url + p, { ca, method, headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...(origin ? { origin } : {}) } : {} }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const health = await call('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    const login = await call('/login', 'POST', new URLSearchParams({ token: h.token, next: '/' }).toString(), h.url);
    expect(login.status).toBe(303);
    expect(String(login.headers['set-cookie'])).toMatch(/; Secure/);
    // Plain HTTP to the TLS port gets no answer a client could mistake for the API.
    await expect(fetch(h.url.replace('https:', 'http:') + '/healthz').then((r) => r.status)).rejects.toThrow();
    await h.daemon.stop();

    ws.writeConfig({ http: { listen: '127.0.0.1:0', tls: { certFile: cert, keyFile: path.join(ws.root, 'missing-key.pem') } } });
    const run = ws.start();
    const exit = await run.exited;
    expect(exit.code).not.toBe(0);
    expect(run.stderr).toMatch(/cannot read http\.tls\.keyFile: ENOENT/);
    expect(run.stderr).toContain('missing-key.pem');
  });

  it('a client still sending its request body does not hold up the shutdown: its connection is closed', async () => {
    const ws = await workspace();
    const h = await startHttpDaemon(ws);
    const { port, hostname } = new URL(h.url);
    const socket = createConnection({ port: Number(port), host: hostname });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.on('error', () => undefined);
    socket.write(`POST /api/preview HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${h.token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"mapping":`);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(await h.daemon.stop('SIGTERM', 20_000)).toEqual({ code: 0, signal: null });
    expect(h.daemon.stderr).not.toMatch(/still busy/);
    await closed;
  });
});
