import { WharfError } from '../errors.js';
import { rowBody } from './packed.js';
import type { BundleProduct, ComputedStock, PruneTask } from './store.js';

/**
 * The keyed tables that SQLite keeps WITHOUT ROWID (see SCHEMA_SQL) as (name, CREATE statement,
 * columns); SQLite's store also rebuilds an older ledger's rowid table of that name with it.
 */
export const KEYED_TABLES = (keyText = 'TEXT', withoutRowid = ''): { name: string; sql: string; columns: string }[] => [
  {
    name: 'stock',
    sql: `CREATE TABLE IF NOT EXISTS stock (
  merchant TEXT NOT NULL, sku ${keyText} NOT NULL, location ${keyText} NOT NULL, quantity INTEGER NOT NULL, ean TEXT,
  as_of TEXT NOT NULL, file_id BIGINT NOT NULL, seen_file_id BIGINT NOT NULL, seen_record_no INTEGER NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (merchant, sku, location)
)${withoutRowid};`,
    columns: 'merchant, sku, location, quantity, ean, as_of, file_id, seen_file_id, seen_record_no, updated_at',
  },
  {
    name: 'export_items',
    sql: `CREATE TABLE IF NOT EXISTS export_items (
  run_id BIGINT NOT NULL, merchant TEXT NOT NULL, sku ${keyText} NOT NULL, location ${keyText} NOT NULL, quantity INTEGER NOT NULL,
  ean TEXT, as_of TEXT NOT NULL, PRIMARY KEY (run_id, sku, location)
)${withoutRowid};`,
    columns: 'run_id, merchant, sku, location, quantity, ean, as_of',
  },
  {
    name: 'export_baseline',
    sql: `CREATE TABLE IF NOT EXISTS export_baseline (
  export TEXT NOT NULL, sku ${keyText} NOT NULL, location ${keyText} NOT NULL, quantity INTEGER NOT NULL, PRIMARY KEY (export, sku, location)
)${withoutRowid};`,
    columns: 'export, sku, location, quantity',
  },
  {
    name: 'push_stock',
    sql: `CREATE TABLE IF NOT EXISTS push_stock (
  channel TEXT NOT NULL, sku ${keyText} NOT NULL, quantity INTEGER NOT NULL, pushed_at TEXT NOT NULL, PRIMARY KEY (channel, sku)
)${withoutRowid};`,
    columns: 'channel, sku, quantity, pushed_at',
  },
];

/**
 * Columns added after the first release, as (table, column, type): each store adds the ones an older
 * ledger lacks before SCHEMA_SQL runs (whose indexes may use them). Type BLOB is BYTEA in PostgreSQL.
 */
export const ADDED_COLUMNS: [table: string, column: string, type: string][] = [
  ['outbox', 'file_id', 'BIGINT'],
  ['records', 'parent_id', 'TEXT'],
  ['outbox', 'run_id', 'BIGINT'],
  ['export_runs', 'mode', 'TEXT'],
  ['outbox', 'sending_at', 'TEXT'],
  ['files', 'note', 'TEXT'],
  ['files', 'dismissed_at', 'TEXT'],
  ['files', 'retried_as', 'BIGINT'],
  // An order body stored compressed (src/ledger/packed.ts), its `body` then PACKED.
  ['records', 'packed', 'BLOB'],
  ['outbox', 'packed', 'BLOB'],
];

/**
 * Tables shared by both stores (written in the SQL both SQLite and PostgreSQL accept; the
 * PostgreSQL store swaps the autoincrement column type, and `keyText` makes the stock keys compare
 * bytewise in both: SQLite's TEXT already does, PostgreSQL needs COLLATE "C"). The UNIQUE constraint on
 * the outbox is the last line of the exactly-once guarantee: one order delivery and one cancellation per record.
 *
 * `stock` is the current stock level per (merchant, SKU, location) with its asOf (UTC ISO text) — a
 * dedicated table rather than a generic key/body one, because exports page through it in (sku,
 * location) order and full reports update it by location with one statement. `seen_file_id` and
 * `seen_record_no` name the last report that listed the level (a full report's absent SKUs, a SKU
 * listed twice in one report).
 *
 * Exports: `export_runs` is one row per (export, scheduled time); a claimed run's content is fixed at
 * claim time — its stock levels copied into `export_items`, its shipment outbox rows marked with its
 * `run_id` — so a run re-rendered after a crash writes identical bytes. `export_baseline` is what the
 * last successful run of an export wrote (per SKU and location), for `changes` mode.
 *
 * `withoutRowid` is ' WITHOUT ROWID' for SQLite, for the keyed tables (KEYED_TABLES: stock, export_items,
 * export_baseline, push_stock): each is then one b-tree in key order instead of a table plus its
 * primary-key index, so a report's stock writes, a claim's copy of a merchant's stock (read in key order)
 * and the finish's delete touch one tree per row, not two (PostgreSQL has no such option).
 */
export const SCHEMA_SQL = (autoId: string, keyText = 'TEXT', withoutRowid = '', blob = 'BLOB') => `
CREATE TABLE IF NOT EXISTS files (
  id ${autoId}, merchant TEXT NOT NULL, channel TEXT NOT NULL, name TEXT NOT NULL, origin TEXT NOT NULL,
  size BIGINT NOT NULL, sha256 TEXT NOT NULL, mapping TEXT NOT NULL, trace_id TEXT NOT NULL, status TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0,
  error TEXT, quarantine_path TEXT, original_id BIGINT, received_at TEXT NOT NULL, note TEXT, dismissed_at TEXT,
  retried_as BIGINT
);
CREATE INDEX IF NOT EXISTS files_by_hash ON files (merchant, channel, sha256, status);
CREATE INDEX IF NOT EXISTS files_by_status ON files (status);
-- The console's "files and orders today" (ACTIVITY_*): a range of today's files, not a scan of all.
CREATE INDEX IF NOT EXISTS files_by_received ON files (received_at);
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, merchant TEXT NOT NULL, channel TEXT NOT NULL, status TEXT,
  version INTEGER NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL, file_id BIGINT NOT NULL, record_no INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, parent_id TEXT, packed ${blob}
);
-- Records stored under another (a shipment's order): partial, as most records (orders) have no parent.
-- Every query on it compares parent_id (=, IN), which both SQLite and PostgreSQL see implies NOT NULL.
DROP INDEX IF EXISTS records_by_parent;
CREATE INDEX IF NOT EXISTS records_children ON records (parent_id) WHERE parent_id IS NOT NULL;
-- (stock_by_report, on seen_file_id, served no query: a full report's zeroing reads by merchant.)
DROP INDEX IF EXISTS stock_by_report;
CREATE TABLE IF NOT EXISTS export_runs (
  id ${autoId}, export TEXT NOT NULL, scheduled_at TEXT NOT NULL, file_name TEXT NOT NULL, status TEXT NOT NULL,
  items INTEGER NOT NULL DEFAULT 0, error TEXT, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT, UNIQUE (export, scheduled_at)
);
${KEYED_TABLES(keyText, withoutRowid).map((t) => t.sql).join('\n')}
CREATE TABLE IF NOT EXISTS duplicates (
  id ${autoId}, record_id TEXT NOT NULL, file_id BIGINT NOT NULL, changed INTEGER NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id ${autoId}, destination TEXT NOT NULL, record_id TEXT NOT NULL, merchant TEXT NOT NULL, action TEXT NOT NULL,
  body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
  next_attempt_at TEXT NOT NULL, file_name TEXT, created_at TEXT NOT NULL, delivered_at TEXT, file_id BIGINT, run_id BIGINT,
  sending_at TEXT, packed ${blob}, UNIQUE (destination, record_id, action)
);
-- A stock or shipment export run's rows: partial, as order deliveries never belong to a run.
DROP INDEX IF EXISTS outbox_by_run;
CREATE INDEX IF NOT EXISTS outbox_runs ON outbox (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_by_file ON outbox (destination, status, file_id, id);
-- Undelivered rows that reference their record's body (body ''): found when the record changes (to
-- freeze the body into them) and when retention asks whether a record body is still owed. Partial, so
-- it holds only the few rows in flight, not every delivery ever made.
CREATE INDEX IF NOT EXISTS outbox_refs ON outbox (record_id) WHERE body = '' AND status <> 'delivered';
CREATE TABLE IF NOT EXISTS channel_runs (
  merchant TEXT NOT NULL, channel TEXT NOT NULL, last_poll_at TEXT, last_ok_at TEXT, last_error TEXT,
  last_error_at TEXT, in_flight INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (merchant, channel)
);
CREATE TABLE IF NOT EXISTS cursors (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (scope TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS notices (
  merchant TEXT NOT NULL, channel TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, file TEXT NOT NULL,
  message TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (merchant, channel, key)
);
CREATE TABLE IF NOT EXISTS push_targets (
  channel TEXT NOT NULL, sku ${keyText} NOT NULL, ean TEXT, ids TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (channel, sku)
);
CREATE INDEX IF NOT EXISTS push_targets_by_ean ON push_targets (channel, ean);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TEXT NOT NULL);
`;

/** The quarantine list: wholly quarantined files, and partly imported ones whose bad part sits in quarantine. */
export const QUARANTINED_FILES = `SELECT * FROM files WHERE status = 'quarantined' OR (status = 'partial' AND quarantine_path IS NOT NULL) ORDER BY id`;

/** Files dismissed from the quarantine (Store.dismissFile), newest first, at most 50 (for status). */
export const DISMISSED_FILES = `SELECT * FROM files WHERE dismissed_at IS NOT NULL ORDER BY dismissed_at DESC, id DESC LIMIT 50`;

/**
 * Store.dismissFile: a quarantined file becomes `dismissed`; a partly imported one keeps `partial` (for
 * the records it brought) and only leaves the quarantine list. Parameters: note, time, id.
 */
export const DISMISS_FILE = `UPDATE files SET status = CASE WHEN status = 'quarantined' THEN 'dismissed' ELSE status END,
  quarantine_path = NULL, note = ?, dismissed_at = ?
  WHERE id = ? AND (status = 'quarantined' OR (status = 'partial' AND quarantine_path IS NOT NULL))`;

/**
 * Store.activitySince: files received and new orders (order deliveries those files queued) since a time,
 * per channel; and undelivered outbox rows per merchant and destination. Parameter: the time (ISO text).
 */
export const ACTIVITY_FILES = `SELECT merchant, channel, COUNT(*) AS n FROM files WHERE received_at >= ? GROUP BY merchant, channel`;
// New orders: the order deliveries that files received since then queued for the warehouse (one per new
// order; the outbox_by_file index finds them per file, where counting records by created_at would read
// every record body of the ledger).
export const ACTIVITY_ORDERS = `SELECT f.merchant, f.channel, COUNT(*) AS n FROM files f JOIN outbox o ON o.file_id = f.id
  WHERE f.received_at >= ? AND o.destination = 'warehouse.orders' AND o.status IN ('pending','delivered','failed') AND o.action = 'order'
  GROUP BY f.merchant, f.channel`;
export const ACTIVITY_OUTBOX = `SELECT merchant, destination, status, COUNT(*) AS n FROM outbox WHERE status IN ('pending','failed') GROUP BY merchant, destination, status`;

/**
 * An outbox row's `body` that stands for "the body of the record named by `record_id`" (OutboxWrite
 * body null), and a record's `body` after retention pruned it. Empty text rather than NULL: the
 * columns are NOT NULL in every ledger made so far (SQLite cannot drop that constraint in place), and
 * '' is never canonical JSON, so it cannot be mistaken for a body. (A body stored compressed is
 * PACKED in `body`, the bytes in `packed`: see src/ledger/packed.ts.)
 */
export const NO_BODY = '';

/**
 * The columns of an outbox row as OutboxRow needs them (select it `FROM outbox`): a row that references
 * its record's body gets that body and its packed bytes (primary-key lookups); a row made before bodies
 * were referenced, or whose body was frozen into it, carries its own.
 */
export const OUTBOX_ROW = `id, destination, record_id, merchant, action, attempts, status, last_error, file_id, sending_at,
  CASE WHEN body = '' THEN (SELECT r.body FROM records r WHERE r.id = outbox.record_id) ELSE body END AS body,
  CASE WHEN body = '' THEN (SELECT r.packed FROM records r WHERE r.id = outbox.record_id) ELSE packed END AS packed`;

/**
 * Before a record's body changes: copies it (as stored, packed or not) into the undelivered outbox rows
 * that reference it, so they still render what was decided when they were queued (a pending order
 * delivery when its cancellation arrives). Parameters: the record id, twice.
 */
export const FREEZE_REFERENCES = `UPDATE outbox SET (body, packed) = (SELECT r.body, r.packed FROM records r WHERE r.id = ?)
  WHERE record_id = ? AND body = '' AND status <> 'delivered'`;

/** An outbox row's body as OutboxRow gives it: throws when it was pruned (only delivered rows can be). */
export function outboxBody(r: { id: unknown; record_id: unknown; body: unknown; packed?: unknown }): Record<string, unknown> {
  return JSON.parse(outboxBodyText(r)) as Record<string, unknown>;
}

/** The JSON text of an outbox row's body as stored, unpacked (see outboxBody, whose error it throws). */
export function outboxBodyText(r: { id: unknown; record_id: unknown; body: unknown; packed?: unknown }): string {
  const body = rowBody(r.body, r.packed, `delivery d${String(r.id)} (record ${String(r.record_id)})`);
  if (body === null) {
    throw new WharfError('LEDGER_FAILED', `the content of delivery d${String(r.id)} (record ${String(r.record_id)}) is no longer in the ledger: it was pruned by ledger.retention`, {
      hint: 'only a delivered delivery can lose its content this way (after ledger.retention.bodiesDays); it is not sent again',
    });
  }
  return body;
}

/**
 * The statements of one retention step (Store.pruneStep, PruneTask), with `?` placeholders (the
 * PostgreSQL store numbers them, see `numbered`). `chunk` returns the upper key `hi` of the next
 * `limit` rows after the lower key (params: after, limit); the task's statements then work on the key
 * range (after, hi]. `c` is the collation clause that makes ISO timestamps compare as text bytewise
 * (PostgreSQL: ` COLLATE "C"`; SQLite: ''). For `bodies` and `records`, `pick` selects the orders of
 * the range to prune (params: after, hi, cutoff, cutoff), locked first on PostgreSQL (`lock`: rows an
 * intake holds are skipped, and an intake that comes later waits for this one short transaction);
 * `apply` then runs with the picked ids (`IN (IDS)`, which each store fills in). Other tasks have one `apply` with params (after, hi, cutoff).
 */
export function pruneSql(task: PruneTask, c: string, lock: string): { table: string; chunk: string; pick?: string; apply: string[] } {
  const chunk = (table: string) => `SELECT MAX(id) AS hi FROM (SELECT id FROM ${table} WHERE id > ? ORDER BY id LIMIT ?) t`;
  // Still owed: an undelivered outbox row that references this record's body.
  const owed = (alias: string) => `EXISTS (SELECT 1 FROM outbox x WHERE x.record_id = ${alias}.id AND x.body = '' AND x.status <> 'delivered')`;
  switch (task) {
    case 'outbox':
      return { table: 'outbox', chunk: chunk('outbox'), apply: [`DELETE FROM outbox WHERE id > ? AND id <= ? AND status = 'delivered' AND delivered_at${c} < ?`] };
    case 'bodies':
      return {
        table: 'records',
        chunk: chunk('records'),
        pick: `SELECT o.id FROM records o WHERE o.id > ? AND o.id <= ? AND o.kind = 'order' AND o.body <> '' AND o.updated_at${c} < ?
          AND NOT ${owed('o')}
          AND NOT EXISTS (SELECT 1 FROM records s WHERE s.parent_id = o.id AND (s.updated_at${c} >= ? OR ${owed('s')}))
          ORDER BY o.id${lock}`,
        apply: [`UPDATE records SET body = '', packed = NULL WHERE parent_id IN (IDS) AND body <> ''`, `UPDATE records SET body = '', packed = NULL WHERE id IN (IDS)`],
      };
    case 'records':
      return {
        table: 'records',
        chunk: chunk('records'),
        pick: `SELECT o.id FROM records o WHERE o.id > ? AND o.id <= ? AND o.kind = 'order' AND o.body = '' AND o.updated_at${c} < ?
          AND NOT EXISTS (SELECT 1 FROM records s WHERE s.parent_id = o.id AND s.updated_at${c} >= ?)
          ORDER BY o.id${lock}`,
        apply: [`DELETE FROM records WHERE parent_id IN (IDS)`, `DELETE FROM records WHERE id IN (IDS)`],
      };
    case 'files':
      return {
        table: 'files',
        chunk: chunk('files'),
        apply: [`DELETE FROM files WHERE id > ? AND id <= ? AND received_at${c} < ? AND status IN ('imported','partial','duplicate','retried','dismissed') AND quarantine_path IS NULL`],
      };
    case 'duplicates':
      return { table: 'duplicates', chunk: chunk('duplicates'), apply: [`DELETE FROM duplicates WHERE id > ? AND id <= ? AND at${c} < ?`] };
    case 'exportRuns':
      return {
        table: 'export_runs',
        chunk: chunk('export_runs'),
        apply: [`DELETE FROM export_runs WHERE id > ? AND id <= ? AND status IN ('done','failed') AND started_at${c} < ?
          AND scheduled_at${c} < (SELECT MAX(x.scheduled_at${c}) FROM export_runs x WHERE x.export = export_runs.export)`],
      };
    case 'notices':
      // Few rows (one per file a source complains about): one statement, no keyset.
      return { table: 'notices', chunk: '', apply: [`DELETE FROM notices WHERE at${c} < ?`] };
  }
}

/** `?` placeholders as PostgreSQL's `$1`, `$2`, … (the shared SQL above has no `?` inside literals). */
export function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * The product lookups of intake — does the merchant's catalogue have this SKU (`unknownSku: report`),
 * which other SKU has this EAN — with the partial expression indexes that serve them, so a stock
 * report of 10,000 rows makes 10,000 index lookups instead of 10,000 scans of every record. `field`
 * is the store's SQL for a JSON field of `body` (the queries and indexes use the very same text, else
 * the planner would not match them); `param(i)` its placeholder. `indexes` runs at every open
 * (CREATE INDEX IF NOT EXISTS), so an existing ledger gets them.
 */
export function productLookups(field: (name: 'sku' | 'ean') => string, param: (i: number) => string): { exists: string; skuForEan: string; indexes: string } {
  return {
    exists: `SELECT 1 FROM records WHERE kind = 'product' AND merchant = ${param(1)} AND ${field('sku')} = ${param(2)} LIMIT 1`,
    skuForEan: `SELECT ${field('sku')} AS sku FROM records WHERE kind = 'product' AND merchant = ${param(1)} AND ${field('ean')} = ${param(2)} AND ${field('sku')} <> ${param(3)} LIMIT 1`,
    indexes: `CREATE INDEX IF NOT EXISTS records_product_sku ON records (merchant, ${field('sku')}) WHERE kind = 'product';
CREATE INDEX IF NOT EXISTS records_product_ean ON records (merchant, ${field('ean')}) WHERE kind = 'product';`,
  };
}

/** A stored record as people know it: the body's `externalId` (an order's number), else its record id. */
export function externalIdOf(row: { id: string; body: string; packed?: unknown }): string {
  try {
    const ext = (JSON.parse(rowBody(row.body, row.packed, `record ${row.id}`) ?? '') as { externalId?: unknown }).externalId;
    return typeof ext === 'string' || typeof ext === 'number' ? String(ext) : row.id;
  } catch {
    return row.id;
  }
}

/**
 * Checks the computed levels of a stock claim against ComputedStock's contract (the content's merchant,
 * SKUs among `replaces`, one level per (sku, location)); throws LEDGER_FAILED (a caller's bug) before
 * anything is claimed.
 */
export function checkComputed(merchant: string, computed: ComputedStock | undefined): void {
  if (!computed) return;
  const replaces = new Set(computed.replaces);
  const seen = new Set<string>();
  for (const l of computed.levels) {
    const key = `${l.sku}\u0000${l.location}`;
    const problem = l.merchant !== merchant ? `is of merchant ${l.merchant}, not ${merchant}`
      : !replaces.has(l.sku) ? 'has a SKU that is not among the SKUs it replaces'
        : seen.has(key) ? 'is listed twice'
          : !Number.isInteger(l.quantity) || l.quantity < 0 ? `has quantity ${l.quantity} (an integer >= 0 is needed)`
            : undefined;
    if (problem) {
      throw new WharfError('LEDGER_FAILED', `computed stock level ${JSON.stringify(l.sku)} at ${JSON.stringify(l.location)} ${problem}; nothing was claimed`, {
        where: `stock export of merchant ${merchant}`,
        hint: 'this is a bug in the caller of claimExportRun: report it',
      });
    }
    seen.add(key);
  }
}

/** A product record row (id, channel, body) whose body lists components (the query checked) as a BundleProduct. */
export function toBundleProduct(row: { id: unknown; channel: unknown; body: unknown }): BundleProduct {
  const body = JSON.parse(String(row.body)) as { sku?: unknown; components?: BundleProduct['components'] };
  return { id: String(row.id), channel: String(row.channel), sku: String(body.sku), components: body.components ?? [] };
}
