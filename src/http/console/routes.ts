import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameOrigin } from '../auth.js';
import { describeError } from '../../errors.js';
import type { SyncRequest } from '../../daemon/gateway.js';
import type { HttpRoutes } from '../server.js';
import { gatherOverview } from '../../daemon/status.js';
import { retryQuarantined } from '../../daemon/retry.js';
import { readFileHead, readQuarantineReport, type FileHead } from '../../daemon/quarantine-file.js';
import { html, type HtmlValue } from './html.js';
import { STYLESHEET, STYLESHEET_PATH, layout, scoped, type Flash } from './layout.js';
import { overviewBody } from './overview.js';
import { quarantineFileBody, quarantineListBody } from './quarantine.js';
import { fileJourney } from '../api/files.js';
import { orderView } from '../api/orders.js';
import { listMappings, refuse, type PreviewResult } from '../api/mappings.js';
import { previewInWorker } from '../../pipeline/preview-remote.js';
import { jobBody, syncBody } from './sync.js';
import { filesBody, journeyBody, orderBody, type FilesPage } from './journey.js';
import { previewBody } from './preview.js';
import { consoleProblem, problemBody, type RouteError } from './errors.js';

const FILE_ID = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
/** What a redirect after an action tells the page it lands on (codes only: no text from the URL is shown). */
const DONE = ['retried', 'still-invalid', 'dismissed'] as const;
type Done = (typeof DONE)[number];
const MERCHANT_FILTER_MAX = 200;

/** The navigation entry a console address belongs to (marked as current on its pages). */
function currentOf(url: string): string {
  const section = url.split('?')[0]!.split('/')[1] ?? '';
  return section === 'orders' ? '/files' : `/${section}`;
}
const NOTE_MAX = 1000;
/** Files per page of the Files page's recent list. */
const RECENT_FILES = 50;

/**
 * The console's pages (issue 11 §4): `/` the overview, `/quarantine` and `/quarantine/:id` with the
 * Retry and Dismiss actions, `/sync` and `/sync/jobs/:id` (sync now with live progress), `/files`,
 * `/files/:ref` and `/orders/:recordId` (a file's journey, an order), `/preview` (the mapping preview),
 * and the stylesheet. The data comes from the same functions as the JSON API's (src/http/api/). Every
 * page needs the session (src/http/auth.ts); every POST also needs a same-origin `Origin` header.
 * `?merchant=` (the merchant filter) scopes the lists and the file, quarantined-file and order pages
 * to one merchant. What a route cannot serve is answered with an HTML page (src/http/console/errors.ts).
 */
export const consoleRoutes: HttpRoutes = async (app, deps) => {
  const log = deps.logger.child({ component: 'console' });
  // The overview counts only looks by this process (as /readyz does): older ones are a previous run's.
  const runningSince = deps.gateway.activity.startedAt;
  const retrying = new Set<number>();
  const send = (reply: FastifyReply, title: string, current: string, body: HtmlValue, flash?: Flash, code = 200) =>
    reply.code(code).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title, current, body, flash }).text);

  // Whatever a console route cannot serve (a value in the address or form its schema refuses, a form
  // from another site, a failure inside) is answered with a page saying what was wrong, how to fix it,
  // and a link back — never JSON (the /api/ routes keep the server's JSON errors).
  app.setErrorHandler((err: RouteError, request, reply) => {
    const p = consoleProblem(err, request);
    if (p.status >= 500) log.error({ method: request.method, route: request.routeOptions.url, error: describeError(err) }, 'HTTP request failed');
    else log.warn({ method: request.method, route: request.routeOptions.url, status: p.status, code: err.code }, `console request refused: ${p.what}`);
    return send(reply, p.title, currentOf(request.url), problemBody(p), undefined, p.status);
  });

  // Forms post with the session cookie (SameSite=Strict); a cross-site form or script is refused here too.
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST') return;
    if (!sameOrigin(request)) {
      log.warn({ route: request.routeOptions.url }, 'console form refused: Origin header missing or from another site');
      throw Object.assign(new Error('This form must be sent from the console itself (the Origin header of this server); it came from another site or without one.'), { statusCode: 403 });
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
    schema: { params: FILE_ID, querystring: { type: 'object', properties: { done: { enum: [...DONE] }, from: { type: 'integer', minimum: 1 }, merchant: { type: 'string', maxLength: MERCHANT_FILTER_MAX } } } },
  }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const q = request.query as { done?: Done; from?: number; merchant?: string };
    const flash: Flash | undefined = q.done === 'still-invalid' && q.from
      ? { kind: 'error', text: `File ${q.from} was retried and is still invalid: this is its new entry in the quarantine.` }
      : undefined;
    return showFile(reply, id, flash, 200, q.merchant || undefined);
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

  // Sync now: the buttons (here and on the overview) post here; the job's page follows its progress.
  const syncPage = async (reply: FastifyReply, flash?: Flash, code = 200) =>
    send(reply, 'Sync', '/sync', syncBody(await gatherOverview(deps.config, deps.store, { runningSince }), deps.gateway.jobs.list()), flash, code);
  app.get('/sync', async (_request, reply) => syncPage(reply));
  app.post('/sync', {
    schema: { body: { type: 'object', properties: { channel: { type: 'string', minLength: 1, maxLength: 200 }, job: { enum: ['orders', 'products', 'stock', 'shipments'] }, export: { type: 'string', minLength: 3, maxLength: 200 } }, additionalProperties: false } },
  }, async (request, reply) => {
    const b = request.body as { channel?: string; job?: 'orders' | 'products' | 'stock' | 'shipments'; export?: string };
    const req: SyncRequest | undefined = b.export !== undefined && b.channel === undefined ? { export: b.export } : b.channel !== undefined && b.job !== undefined && b.export === undefined ? { channel: b.channel, job: b.job } : undefined;
    if (!req) return syncPage(reply, { kind: 'error', text: 'Choose a channel and its job, or an export.' }, 400);
    const r = deps.gateway.syncNow(req);
    if ('status' in r) return syncPage(reply, { kind: 'error', text: r.message }, r.status);
    log.info({ job: r.job.id, target: r.job.target, kind: r.job.job, created: r.created }, 'console: sync now');
    return reply.redirect(`/sync/jobs/${r.job.id}${r.created ? '' : '?joined=1'}`, 303);
  });
  app.get('/sync/jobs/:id', {
    config: { fields: { id: 'the job id' } },
    schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^j-[0-9a-f]{12}$' } } }, querystring: { type: 'object', properties: { joined: { const: '1' } } } },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const job = deps.gateway.jobs.get(id);
    if (!job) return send(reply, 'Not found', '/sync', html`<h1>No job ${id}</h1><p>Jobs are kept in memory until the daemon restarts. <a href="/sync">Back to Sync</a></p>`, undefined, 404);
    const joined = (request.query as { joined?: string }).joined === '1';
    return send(reply, `Job ${job.id}`, '/sync', jobBody(job), joined ? { kind: 'ok', text: 'This job was running already: here is its progress.' } : undefined);
  });

  // Files: the recent files and the search; a file's journey (by id or trace id) and an order's page.
  // Under the merchant filter (`?merchant=`) each answers only that merchant's files and orders.
  const REF = { type: 'string', minLength: 1, maxLength: 100 } as const;
  const MERCHANT = { type: 'string', maxLength: MERCHANT_FILTER_MAX } as const;
  const merchants = Object.keys(deps.config.raw.merchants);
  const filesPage = async (reply: FastifyReply, q: { merchant?: string; before?: number; limit?: number }, search?: Pick<FilesPage, 'ref' | 'problem'>, code = 200) => {
    const limit = q.limit ?? RECENT_FILES;
    const rows = await deps.store.recentFiles({ merchant: q.merchant, beforeId: q.before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return send(reply, 'Files', '/files', filesBody({
      merchants, merchant: q.merchant, rows: page, before: q.before, olderBefore: rows.length > limit ? page.at(-1)!.id : undefined, limit: q.limit, ...search,
    }), undefined, code);
  };
  const notFoundText = (what: string, merchant: string | undefined) => `No ${what} in the ledger${merchant ? ` for merchant ${merchant}` : ''}`;
  app.get('/files', {
    config: { fields: { limit: 'the number of files per page' } },
    schema: { querystring: { type: 'object', properties: { ref: REF, merchant: MERCHANT, before: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 1, maximum: 500 } } } },
  }, async (request, reply) => {
    const q = request.query as { ref?: string; merchant?: string; before?: number; limit?: number };
    const merchant = q.merchant || undefined;
    const ref = q.ref?.trim();
    if (!ref) return filesPage(reply, { merchant, before: q.before, limit: q.limit });
    const found = await fileJourney(deps, ref.toLowerCase(), merchant);
    if (!found) return filesPage(reply, { merchant }, { ref, problem: `${notFoundText(`file ${ref}`, merchant)}: give a file id (digits) or a 12-character trace id.` }, 404);
    return reply.redirect(scoped(`/files/${found.file.id}`, merchant), 303);
  });
  app.get('/files/:ref', { schema: { params: { type: 'object', required: ['ref'], properties: { ref: REF } }, querystring: { type: 'object', properties: { merchant: MERCHANT } } } }, async (request, reply) => {
    const { ref } = request.params as { ref: string };
    const merchant = (request.query as { merchant?: string }).merchant || undefined;
    const j = await fileJourney(deps, ref.toLowerCase(), merchant);
    if (!j) return filesPage(reply, { merchant }, { ref, problem: `${notFoundText(`file ${ref}`, merchant)}: give a file id (digits) or a 12-character trace id.` }, 404);
    return send(reply, `File ${j.file.id}`, '/files', journeyBody(j, merchant));
  });
  app.get('/orders/:recordId', { schema: { params: { type: 'object', required: ['recordId'], properties: { recordId: { type: 'string', minLength: 1, maxLength: 500 } } }, querystring: { type: 'object', properties: { merchant: MERCHANT } } } }, async (request, reply) => {
    const { recordId } = request.params as { recordId: string };
    const merchant = (request.query as { merchant?: string }).merchant || undefined;
    const v = await orderView(deps, recordId, merchant);
    if (!v) return send(reply, 'Not found', '/files', html`<h1>No order ${recordId}</h1><p>${notFoundText('order with this id', merchant)} (order ids are <code>merchant:channel:order number</code>). <a href="${scoped('/files', merchant)}">Find a file</a></p>`, undefined, 404);
    return send(reply, `Order ${v.order.externalId ?? v.order.id}`, '/files', orderBody(v, merchant));
  });

  // Mapping preview: `wharf map` in the browser; nothing is stored.
  app.get('/preview', async (_request, reply) => send(reply, 'Mapping preview', '/preview', previewBody(await listMappings(deps.config.mappingsDir), {})));
  app.post('/preview', {
    schema: { body: { type: 'object', required: ['mapping'], properties: { mapping: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }, content: { type: 'string' }, fileName: { type: 'string', maxLength: 255 } } } },
  }, async (request, reply) => {
    const b = request.body as { mapping: string; content?: string; fileName?: string };
    const input = { mapping: b.mapping, content: b.content ?? '', fileName: b.fileName || undefined };
    const mappings = await listMappings(deps.config.mappingsDir);
    const r = await previewInWorker(deps.config.mappingsDir, input.mapping, input.content, input.fileName);
    if ('status' in r) return send(refuse(reply, r), 'Mapping preview', '/preview', previewBody(mappings, input), { kind: 'error', text: r.message }, r.status);
    return send(reply, 'Mapping preview', '/preview', previewBody(mappings, input, JSON.parse(r.json) as PreviewResult));
  });

  async function showFile(reply: FastifyReply, id: number, flash?: Flash, code = 200, merchant?: string): Promise<FastifyReply> {
    const found = await deps.store.getFile(id);
    // Under a merchant filter another merchant's file is not there (the same page as for no file at all).
    const row = found && (merchant === undefined || found.merchant === merchant) ? found : undefined;
    if (!row) return send(reply, 'Not found', '/quarantine', html`<h1>No file ${id}</h1><p>${notFoundText('file with this id', merchant)}. <a href="${scoped('/quarantine', merchant)}">Back to the quarantine</a></p>`, flash, 404);
    let report;
    let head: FileHead | { problem: string } | undefined;
    if (row.quarantinePath) {
      report = await readQuarantineReport(row);
      head = await readFileHead(row.quarantinePath).catch((err: unknown) => ({ problem: `the quarantined copy cannot be read: ${describeError(err)}` }));
    }
    return send(reply, `File ${row.id}`, '/quarantine', quarantineFileBody(row, report, head, merchant), flash, code);
  }
};
