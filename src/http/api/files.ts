import { readFile } from 'node:fs/promises';
import { isPlatform } from '../../connectors/platforms.js';
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

/**
 * Where a file went (`location` of its journey), by `place`:
 * - `archive` (with the `folder` when known), `delete`, `keep`: imported, then as the channel's `afterImport` says;
 * - `api`: a page of a webshop pull or a webhook body: nothing on disk to move;
 * - `quarantine`: the quarantined copy (`path`, null when it could not be moved) and its `report`;
 * - `retried`: the quarantined copy was run through intake again (`wharf retry`, the console's Retry)
 *   as file `retriedAs` (null when the ledger does not know which: a retry before Wharf kept the link);
 * - `dismissed`: taken off the quarantine by a person, with the `note` and `at`;
 * - `unknown`: imported, but its channel is no longer in the config.
 */
export type FileLocation =
  | { place: 'archive'; folder?: string }
  | { place: 'delete' | 'keep' | 'api' | 'unknown' }
  | { place: 'quarantine'; path: string | null; report: string | null }
  | { place: 'retried'; retriedAs: number | null }
  | { place: 'dismissed'; note: string | null; at: string | null };

/**
 * Another file row of a journey: `retriedAs` the file this one's retry made, `retryOf` the quarantined
 * file whose retry this one is, `sameTrace` a row with the same trace id.
 */
export interface RelatedFile {
  relation: 'retriedAs' | 'retryOf' | 'sameTrace';
  id: number; name: string; status: string; receivedAt: string; journey: string;
}

function locationOf(deps: HttpDeps, file: FileRow): FileLocation {
  const entry = [...deps.config.channels, ...deps.config.reportSources].find((e) => e.merchant === file.merchant && e.channel === file.channel);
  if (file.quarantinePath) return { place: 'quarantine', path: file.quarantinePath, report: `${file.quarantinePath}.errors.json` };
  if (file.status === 'quarantined') return { place: 'quarantine', path: null, report: null };
  if (file.status === 'retried') return { place: 'retried', retriedAs: file.retriedAs };
  if (file.status === 'dismissed') return { place: 'dismissed', note: file.note, at: file.dismissedAt };
  if (!entry) return { place: 'unknown' };
  if (isPlatform(entry.config.type)) return { place: 'api' };
  const afterImport = 'afterImport' in entry.config ? (entry.config.afterImport ?? 'archive') : 'archive';
  const archiveAt = 'archiveDir' in entry.config ? entry.config.archiveDir : 'archiveFolder' in entry.config ? entry.config.archiveFolder : undefined;
  if (afterImport === 'archive') return archiveAt ? { place: 'archive', folder: archiveAt } : { place: 'archive' };
  return { place: afterImport };
}

/** The rows linked to `file` by a retry (either way; same merchant only), then those of its trace id. */
async function relatedFiles(deps: HttpDeps, file: FileRow, sameTrace: FileRow[]): Promise<RelatedFile[]> {
  const own = (r: FileRow | undefined): r is FileRow => r !== undefined && r.merchant === file.merchant;
  const retryOf = (await deps.store.findFiles({ retriedAs: file.id })).filter(own);
  const retriedAs = file.retriedAs !== null ? (await deps.store.findFiles({ id: file.retriedAs })).filter(own) : [];
  const view = (relation: RelatedFile['relation']) => (r: FileRow): RelatedFile => ({
    relation, id: r.id, name: r.name, status: r.status, receivedAt: r.receivedAt, journey: `/api/merchants/${encodeURIComponent(r.merchant)}/files/${r.id}/journey`,
  });
  return [...retryOf.map(view('retryOf')), ...retriedAs.map(view('retriedAs')), ...sameTrace.map(view('sameTrace'))];
}

/** The journey of one file row (see fileRoutes); `others` are rows with the same trace id. */
async function journey(deps: HttpDeps, file: FileRow, others: FileRow[]) {
  const trail = await deps.store.fileTrail(file.id, JOURNEY_LIMIT);
  const changed = new Set(trail.duplicates.filter((d) => d.changed).map((d) => d.recordId));
  const report = file.quarantinePath ? await readReport(file.quarantinePath) : undefined;
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
    location: locationOf(deps, file),
    related: await relatedFiles(deps, file, others),
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
