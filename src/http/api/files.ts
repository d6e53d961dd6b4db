import { readFile } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FileRow, DeliveryTrail } from '../../ledger/store.js';
import type { HttpDeps, HttpRoutes } from '../server.js';
import type { ErrorReport } from '../../pipeline/report.js';
import { notFound, refParams, deliveryView } from './shared.js';

/** Records and deliveries listed per journey at most (the counts say how many more). */
const JOURNEY_LIMIT = 1000;

/**
 * `GET /api/files/:ref/journey` and `GET /api/merchants/:merchant/files/:ref/journey`: a file's way
 * through Wharf by its ledger id (digits) or trace id (12 hex digits, in every log line of the file):
 * receipt, the read's outcome, its records (new / changed / duplicate, and the invalid ones from the
 * quarantine report), what each owes (deliveries and pushes with their state), and where the file
 * went (archive or quarantine). The merchant-scoped path answers 404 for another merchant's file.
 */
export const fileRoutes: HttpRoutes = async (app, deps) => {
  type Route = { Params: { ref: string; merchant?: string } };
  const handler = (scoped: boolean) => async (request: FastifyRequest<Route>, reply: FastifyReply) => {
    const { ref, merchant } = request.params;
    const j = await fileJourney(deps, ref, scoped ? merchant : undefined);
    if (!j) return reply.code(404).send(notFound(`no file ${ref}${scoped ? ` of merchant ${merchant}` : ''} in the ledger (a file id, or the 12-character trace id of its log lines)`));
    return j;
  };
  app.get<Route>('/api/files/:ref/journey', { schema: { params: refParams(false) } }, handler(false));
  app.get<Route>('/api/merchants/:merchant/files/:ref/journey', { schema: { params: refParams(true) } }, handler(true));
};

/** A file's journey as `GET /api/files/:ref/journey` answers it (the console's file page renders it). */
export type FileJourney = Awaited<ReturnType<typeof journey>>;

/**
 * The journey of the file `ref` (its ledger id, digits, or its 12-hex-digit trace id; the first row of
 * a trace id), only when it is `merchant`'s if given; undefined when there is no such file.
 */
export async function fileJourney(deps: HttpDeps, ref: string, merchant?: string): Promise<FileJourney | undefined> {
  const rows = /^[0-9a-f]{12}$/.test(ref) ? await deps.store.findFiles({ traceId: ref }) : /^\d{1,15}$/.test(ref) ? await deps.store.findFiles({ id: Number(ref) }) : [];
  const file = rows.find((r) => merchant === undefined || r.merchant === merchant);
  if (!file) return undefined;
  return journey(deps, file, rows.filter((r) => r.id !== file.id && r.merchant === file.merchant));
}

/** The journey of one file row (see fileRoutes); `others` are rows with the same trace id. */
async function journey(deps: HttpDeps, file: FileRow, others: FileRow[]) {
  const trail = await deps.store.fileTrail(file.id, JOURNEY_LIMIT);
  const changed = new Set(trail.duplicates.filter((d) => d.changed).map((d) => d.recordId));
  const report = file.quarantinePath ? await readReport(file.quarantinePath) : undefined;
  const entry = [...deps.config.channels, ...deps.config.reportSources].find((e) => e.merchant === file.merchant && e.channel === file.channel);
  const afterImport = entry && 'afterImport' in entry.config ? (entry.config.afterImport ?? 'archive') : undefined;
  const archiveAt = entry && 'archiveDir' in entry.config ? entry.config.archiveDir : entry && 'archiveFolder' in entry.config ? entry.config.archiveFolder : undefined;
  const byRecord = new Map<string, DeliveryTrail[]>();
  for (const d of trail.deliveries) {
    const key = d.recordId.replace(/#[0-9a-f]{16}$/, ''); // a product delivery's key carries its content hash
    byRecord.set(key, [...(byRecord.get(key) ?? []), d]);
  }
  const records = [
    ...trail.records.map((r) => ({
      recordId: r.id, kind: r.kind, externalId: r.externalId ?? null, recordNo: r.recordNo, status: r.status,
      outcome: changed.has(r.id) ? 'changed' : r.version === 1 ? 'new' : 'changed',
      ...(r.kind === 'order' ? { order: `/api/merchants/${encodeURIComponent(r.merchant)}/orders/${encodeURIComponent(r.id)}` } : {}),
      deliveries: (byRecord.get(r.id) ?? []).map(deliveryView),
    })),
    ...trail.duplicates.filter((d) => !d.changed || !trail.records.some((r) => r.id === d.recordId)).map((d) => ({
      recordId: d.recordId, kind: d.kind, externalId: d.externalId ?? null, recordNo: null, status: null, outcome: d.changed ? 'changed' : 'duplicate',
      ...(d.kind === 'order' ? { order: `/api/merchants/${encodeURIComponent(file.merchant)}/orders/${encodeURIComponent(d.recordId)}` } : {}),
      deliveries: [] as ReturnType<typeof deliveryView>[],
    })),
  ];
  return {
    file: {
      id: file.id, traceId: file.traceId, merchant: file.merchant, channel: file.channel, name: file.name, origin: file.origin,
      size: file.size, sha256: file.sha256, mapping: file.mapping, receivedAt: file.receivedAt, status: file.status,
    },
    read: {
      outcome: file.status, records: file.records, duplicates: file.duplicates, invalid: file.invalid, error: file.error,
    },
    records,
    recordsMore: trail.recordsMore,
    invalid: report ? { errors: report.errors, moreErrors: report.moreErrors, summary: report.summary, hint: report.hint } : file.invalid > 0 ? { errors: [], moreErrors: file.invalid, summary: file.error, hint: 'the quarantine report is no longer there' } : null,
    deliveries: trail.deliveries.map(deliveryView),
    location: file.quarantinePath
      ? { place: 'quarantine', path: file.quarantinePath, report: `${file.quarantinePath}.errors.json` }
      : file.status === 'imported' || file.status === 'duplicate' || file.status === 'partial' ? { place: afterImport ?? 'unknown', ...(afterImport === 'archive' && archiveAt ? { folder: archiveAt } : {}) } : { place: file.status },
    related: others.map((r) => ({ id: r.id, status: r.status, receivedAt: r.receivedAt, journey: `/api/files/${r.id}/journey` })),
  };
}

/** The quarantine report next to a quarantined copy, if it is there and readable. */
async function readReport(quarantinePath: string): Promise<ErrorReport | undefined> {
  try {
    return JSON.parse(await readFile(`${quarantinePath}.errors.json`, 'utf8')) as ErrorReport;
  } catch {
    return undefined;
  }
}
