import type { FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../../errors.js';
import type { HttpRoutes } from '../server.js';
import { gatherOverview } from '../../daemon/status.js';
import { retryQuarantined } from '../../daemon/retry.js';
import { readFileHead, readQuarantineReport, type FileHead } from '../../daemon/quarantine-file.js';
import { html, type HtmlValue } from './html.js';
import { NAV, STYLESHEET, STYLESHEET_PATH, layout, type Flash } from './layout.js';
import { overviewBody } from './overview.js';
import { quarantineFileBody, quarantineListBody } from './quarantine.js';

const FILE_ID = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
/** What a redirect after an action tells the page it lands on (codes only: no text from the URL is shown). */
const DONE = ['retried', 'still-invalid', 'dismissed'] as const;
type Done = (typeof DONE)[number];
const MERCHANT_FILTER_MAX = 200;
const NOTE_MAX = 1000;

/**
 * The console's pages (issue 11 §4): `/` the overview, `/quarantine` and `/quarantine/:id` with the
 * Retry and Dismiss actions, the stylesheet, and placeholders for the pages a later step adds. Every
 * page needs the session (src/http/auth.ts); every POST also needs a same-origin `Origin` header.
 */
export const consoleRoutes: HttpRoutes = async (app, deps) => {
  const log = deps.logger.child({ component: 'console' });
  const runningSince = Date.now();
  const retrying = new Set<number>();
  const send = (reply: FastifyReply, title: string, current: string, body: HtmlValue, flash?: Flash, code = 200) =>
    reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title, current, body, flash }).text);

  // Forms post with the session cookie (SameSite=Strict); a cross-site form or script is refused here too.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    if (!sameOrigin(request)) {
      log.warn({ route: request.routeOptions.url }, 'console form refused: Origin header missing or from another site');
      return reply.code(403).send({ error: 'forbidden', message: 'this form must be sent from the console itself (Origin header of this server)' });
    }
  });

  app.get(STYLESHEET_PATH, { config: { public: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(STYLESHEET));

  app.get('/', async (_request, reply) => {
    const o = await gatherOverview(deps.config, deps.store, { runningSince });
    return send(reply, 'Overview', '/', overviewBody(o));
  });

  app.get('/quarantine', {
    schema: { querystring: { type: 'object', properties: { merchant: { type: 'string', maxLength: MERCHANT_FILTER_MAX }, done: { enum: [...DONE] }, file: { type: 'integer', minimum: 1 }, as: { type: 'integer', minimum: 1 } } } },
  }, async (request, reply) => {
    const q = request.query as { merchant?: string; done?: Done; file?: number; as?: number };
    const merchant = q.merchant || undefined;
    const rows = (await deps.store.listQuarantined()).filter((r) => !merchant || r.merchant === merchant);
    let flash: Flash | undefined;
    if (q.done && q.file) {
      const f = await deps.store.getFile(q.file);
      const name = f ? `${f.id} (${f.name})` : String(q.file);
      if (q.done === 'retried') flash = { kind: 'ok', text: `File ${name} was retried and imported${q.as ? ` as file ${q.as}` : ''}; its orders go to the warehouse now.` };
      else if (q.done === 'dismissed') flash = { kind: 'ok', text: `File ${name} was dismissed from the quarantine with your note (wharf status lists it as dismissed).` };
    }
    return send(reply, 'Quarantine', '/quarantine', quarantineListBody(rows, Object.keys(deps.config.raw.merchants), merchant), flash);
  });

  app.get('/quarantine/:id', {
    schema: { params: FILE_ID, querystring: { type: 'object', properties: { done: { enum: [...DONE] }, from: { type: 'integer', minimum: 1 } } } },
  }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const q = request.query as { done?: Done; from?: number };
    const flash: Flash | undefined = q.done === 'still-invalid' && q.from
      ? { kind: 'error', text: `File ${q.from} was retried and is still invalid: this is its new entry in the quarantine.` }
      : undefined;
    return showFile(reply, id, flash);
  });

  app.post('/quarantine/:id/retry', { schema: { params: FILE_ID } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const row = (await deps.store.listQuarantined()).find((r) => r.id === id);
    if (!row) return showFile(reply, id, { kind: 'error', text: `File ${id} is not in the quarantine (any more); nothing was retried.` }, 409);
    if (retrying.has(id)) return showFile(reply, id, { kind: 'error', text: `File ${id} is being retried already.` }, 409);
    retrying.add(id);
    try {
      const r = await retryQuarantined(deps.config, deps.store, row, deps.logger);
      log.info({ fileId: id, outcome: r.status, newFileId: r.fileId }, `console retry: ${r.message}`);
      if (r.delivers) deps.gateway.deliverSoon();
      if (r.ok) return reply.redirect(`/quarantine?done=retried&file=${id}${r.fileId ? `&as=${r.fileId}` : ''}`, 303);
      if ((r.status === 'quarantined' || r.status === 'partial') && r.fileId) return reply.redirect(`/quarantine/${r.fileId}?done=still-invalid&from=${id}`, 303);
      return showFile(reply, id, { kind: 'error', text: r.message }, r.status === 'failed' ? 500 : 409);
    } finally {
      retrying.delete(id);
    }
  });

  app.post('/quarantine/:id/dismiss', {
    schema: { params: FILE_ID, body: { type: 'object', properties: { note: { type: 'string', minLength: 1, maxLength: NOTE_MAX } }, required: ['note'] } },
  }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const note = (request.body as { note: string }).note.trim();
    if (!note) return showFile(reply, id, { kind: 'error', text: 'Say in the note why the file needs no retry.' }, 400);
    if (retrying.has(id)) return showFile(reply, id, { kind: 'error', text: `File ${id} is being retried; dismiss it afterwards if it is still in the quarantine.` }, 409);
    if (!(await deps.store.dismissFile(id, note))) return showFile(reply, id, { kind: 'error', text: `File ${id} is not in the quarantine (any more); nothing was dismissed.` }, 409);
    log.info({ fileId: id }, `console: file ${id} dismissed from the quarantine`);
    return reply.redirect(`/quarantine?done=dismissed&file=${id}`, 303);
  });

  for (const n of NAV.filter((x) => x.coming)) {
    app.get(n.path, async (_request, reply) => send(reply, n.label, n.path, html`<h1>${n.label}</h1><p>This page is coming in a later version of the console.</p>`));
  }

  async function showFile(reply: FastifyReply, id: number, flash?: Flash, code = 200): Promise<FastifyReply> {
    const row = await deps.store.getFile(id);
    if (!row) return send(reply, 'Not found', '/quarantine', html`<h1>No file ${id}</h1><p>The ledger has no file with this id. <a href="/quarantine">Back to the quarantine</a></p>`, flash, 404);
    let report;
    let head: FileHead | { problem: string } | undefined;
    if (row.quarantinePath) {
      report = await readQuarantineReport(row);
      head = await readFileHead(row.quarantinePath).catch((err: unknown) => ({ problem: `the quarantined copy cannot be read: ${describeError(err)}` }));
    }
    return send(reply, `File ${row.id}`, '/quarantine', quarantineFileBody(row, report, head), flash, code);
  }
};

/**
 * True when the request's Origin header names this server: its host and port are the request's Host
 * header. The scheme is not compared, so that a TLS reverse proxy in front (browser on https, Wharf on
 * http) works, as long as the proxy passes the Host header on (nginx: `proxy_set_header Host $host`).
 */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
