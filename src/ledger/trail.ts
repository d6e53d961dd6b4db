import { toFileRow } from './sqlite.js';
import { rowBody } from './packed.js';
import type { DeliveryTrail, FileRef, FileRow, FileTrail, RecentFilesQuery, RecordTrail, RecordTrailResult } from './store.js';

/**
 * The console's read-only ledger queries (issue 11 §4: a file's journey, an order's page), written
 * once for both stores: each passes `all`, which runs one statement with `?` placeholders and returns
 * its rows (the PostgreSQL store numbers the placeholders). Nothing here writes.
 */
export type AllRows = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** Indexes the trail queries need (CREATE INDEX IF NOT EXISTS, run at every open by both stores). */
export const TRAIL_INDEXES = `CREATE INDEX IF NOT EXISTS records_by_file ON records (file_id);
CREATE INDEX IF NOT EXISTS outbox_by_file_id ON outbox (file_id);
CREATE INDEX IF NOT EXISTS outbox_by_record ON outbox (record_id);
CREATE INDEX IF NOT EXISTS duplicates_by_file ON duplicates (file_id);
CREATE INDEX IF NOT EXISTS files_by_trace ON files (trace_id);
CREATE INDEX IF NOT EXISTS files_by_retry ON files (retried_as);
CREATE INDEX IF NOT EXISTS files_by_merchant ON files (merchant, id);`;

const DELIVERY_COLUMNS = 'id, destination, record_id, merchant, action, status, attempts, last_error, file_name, file_id, created_at, delivered_at, next_attempt_at';
const RECORD_COLUMNS = 'id, kind, merchant, channel, status, version, file_id, record_no, parent_id, created_at, updated_at, body, packed';

/**
 * The file rows with this id, carrying this trace id (a retried file's rows share none: the retry has
 * a trace id of its own), oldest first, or the row whose retry made file `retriedAs`.
 */
export async function findFiles(all: AllRows, ref: FileRef): Promise<FileRow[]> {
  const rows = 'id' in ref
    ? await all('SELECT * FROM files WHERE id = ?', [ref.id])
    : 'traceId' in ref ? await all('SELECT * FROM files WHERE trace_id = ? ORDER BY id', [ref.traceId])
      : await all('SELECT * FROM files WHERE retried_as = ? ORDER BY id', [ref.retriedAs]);
  return rows.map(toFileRow);
}

/** The console's recent files: newest first (by id), only `merchant`'s when given, ids below `beforeId`, at most `limit`. */
export async function recentFiles(all: AllRows, q: RecentFilesQuery): Promise<FileRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.merchant !== undefined) {
    where.push('merchant = ?');
    params.push(q.merchant);
  }
  if (q.beforeId !== undefined) {
    where.push('id < ?');
    params.push(q.beforeId);
  }
  const rows = await all(`SELECT * FROM files${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, [...params, q.limit]);
  return rows.map(toFileRow);
}

/**
 * What file `fileId` brought: the records it wrote last (inserted, or changed by it, in record
 * order, at most `limit`; `recordsMore` counts the rest), the records it brought again (duplicates,
 * changed or not, at most `limit`), and the deliveries and pushes its commit queued (at most `limit`
 * of each list, oldest first). A record changed by a later file shows under that file, with this one
 * keeping its duplicate note only when it was itself a repeat.
 */
export async function fileTrail(all: AllRows, fileId: number, limit: number): Promise<FileTrail> {
  const records = (await all(`SELECT ${RECORD_COLUMNS} FROM records WHERE file_id = ? ORDER BY record_no, id LIMIT ?`, [fileId, limit + 1])).map(toRecordTrail);
  const recordCount = records.length > limit ? Number((await all('SELECT COUNT(*) AS n FROM records WHERE file_id = ?', [fileId]))[0]?.n ?? 0) : records.length;
  const dups = await all(
    `SELECT d.record_id, d.changed, d.at, r.kind, r.body, r.packed FROM duplicates d LEFT JOIN records r ON r.id = d.record_id WHERE d.file_id = ? ORDER BY d.id LIMIT ?`,
    [fileId, limit],
  );
  const deliveries = (await all(`SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE file_id = ? ORDER BY id LIMIT ?`, [fileId, limit])).map(toDeliveryTrail);
  return {
    records: records.slice(0, limit),
    recordsMore: Math.max(0, recordCount - limit),
    duplicates: dups.map((d) => ({
      recordId: String(d.record_id),
      kind: d.kind === null || d.kind === undefined ? null : String(d.kind),
      externalId: externalIdOfBody(rowBody(d.body, d.packed, `record ${String(d.record_id)}`)),
      changed: Number(d.changed) === 1,
      at: String(d.at),
    })),
    deliveries,
  };
}

/**
 * One record with the records stored under it (an order's shipments, oldest first) and every delivery
 * and push queued for it or for them, oldest first. Undefined when the ledger has no such record.
 */
export async function recordTrail(all: AllRows, recordId: string): Promise<RecordTrailResult | undefined> {
  const row = (await all(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ?`, [recordId]))[0];
  if (!row) return undefined;
  const children = (await all(`SELECT ${RECORD_COLUMNS} FROM records WHERE parent_id = ? ORDER BY created_at, id`, [recordId])).map(toRecordTrail);
  const ids = [recordId, ...children.map((c) => c.id)];
  const deliveries: DeliveryTrail[] = [];
  for (const id of ids) deliveries.push(...(await all(`SELECT ${DELIVERY_COLUMNS} FROM outbox WHERE record_id = ? ORDER BY id`, [id])).map(toDeliveryTrail));
  deliveries.sort((a, b) => a.id - b.id);
  return { record: toRecordTrail(row), children, deliveries };
}

function toRecordTrail(r: Record<string, unknown>): RecordTrail {
  const text = rowBody(r.body, r.packed, `record ${String(r.id)}`);
  const body = text === null ? null : (JSON.parse(text) as Record<string, unknown>);
  return {
    id: String(r.id), kind: String(r.kind), merchant: String(r.merchant), channel: String(r.channel), status: (r.status as string | null) ?? null,
    version: Number(r.version), fileId: Number(r.file_id), recordNo: Number(r.record_no), parentId: (r.parent_id as string | null) ?? null,
    createdAt: String(r.created_at), updatedAt: String(r.updated_at),
    externalId: externalIdOfBody(text), body,
  };
}

function toDeliveryTrail(r: Record<string, unknown>): DeliveryTrail {
  const opt = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: Number(r.id), destination: String(r.destination), recordId: String(r.record_id), merchant: String(r.merchant),
    action: r.action as DeliveryTrail['action'], status: r.status as DeliveryTrail['status'], attempts: Number(r.attempts),
    lastError: opt(r.last_error), fileName: opt(r.file_name), fileId: r.file_id === null || r.file_id === undefined ? null : Number(r.file_id),
    createdAt: String(r.created_at), deliveredAt: opt(r.delivered_at), nextAttemptAt: r.status === 'pending' ? opt(r.next_attempt_at) : null,
  };
}

/** The body's externalId (an order number) or SKU, else undefined (pruned body, stock, no such record). */
function externalIdOfBody(body: string | null): string | undefined {
  if (body === null) return undefined;
  try {
    const b = JSON.parse(body) as { externalId?: unknown; sku?: unknown; shipmentId?: unknown };
    const v = b.externalId ?? b.sku ?? b.shipmentId;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  } catch {
    return undefined;
  }
}
