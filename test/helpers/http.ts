import { readFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor, type Daemon, type Workspace, type WorkspaceOptions } from './e2e.js';

/** A `wharf run` daemon with its HTTP server: where it listens and the access token. */
export interface HttpDaemon {
  daemon: Daemon;
  /** e.g. http://127.0.0.1:41234 (the config listens on port 0). */
  url: string;
  token: string;
  /** fetch(url + p) with `Authorization: Bearer <token>` unless `auth: false`. */
  get(p: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
}

/**
 * Writes `ws`'s config with `http: { listen: 127.0.0.1:0, ...http }`, starts `wharf run`, waits for the
 * "HTTP server listening on …" line and reads the token (the config's, or `<var>/http-token`).
 */
export async function startHttpDaemon(ws: Workspace, http: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv, options: WorkspaceOptions = {}): Promise<HttpDaemon> {
  ws.writeConfig({ ...options, http: { listen: '127.0.0.1:0', ...http } });
  const daemon = ws.start(env);
  const line = await waitFor(() => daemon.logs().find((l) => /^HTTP server listening on /.test(l.msg)), { what: 'the HTTP server to listen', daemon });
  const url = /listening on (\S+)/.exec(line.msg)![1]!;
  await daemon.ready();
  const token = env?.WHARF_HTTP_TOKEN ?? readFileSync(path.join(ws.varDir, 'http-token'), 'utf8').trim();
  return {
    daemon,
    url,
    token,
    get: (p, init = {}) => {
      const { auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth) headers.set('authorization', `Bearer ${token}`);
      return fetch(url + p, { ...rest, headers, redirect: 'manual' });
    },
  };
}
