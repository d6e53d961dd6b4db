import { WharfError } from '../errors.js';
import type { BundleProduct, ComputedStock } from './store.js';

/**
 * Columns added after the first release, as (table, column, type): each store adds the ones an older
 * ledger lacks before SCHEMA_SQL runs (whose indexes may use them).
 */
export const ADDED_COLUMNS: [table: string, column: string, type: string][] = [
  ['outbox', 'file_id', 'BIGINT'],
  ['records', 'parent_id', 'TEXT'],
  ['outbox', 'run_id', 'BIGINT'],
  ['export_runs', 'mode', 'TEXT'],
  ['outbox', 'sending_at', 'TEXT'],
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
 */
export const SCHEMA_SQL = (autoId: string, keyText = 'TEXT') => `
CREATE TABLE IF NOT EXISTS files (
  id ${autoId}, merchant TEXT NOT NULL, channel TEXT NOT NULL, name TEXT NOT NULL, origin TEXT NOT NULL,
  size BIGINT NOT NULL, sha256 TEXT NOT NULL, mapping TEXT NOT NULL, trace_id TEXT NOT NULL, status TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0,
  error TEXT, quarantine_path TEXT, original_id BIGINT, received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_hash ON files (merchant, channel, sha256, status);
CREATE INDEX IF NOT EXISTS files_by_status ON files (status);
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, merchant TEXT NOT NULL, channel TEXT NOT NULL, status TEXT,
  version INTEGER NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL, file_id BIGINT NOT NULL, record_no INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, parent_id TEXT
);
CREATE INDEX IF NOT EXISTS records_by_parent ON records (parent_id);
CREATE TABLE IF NOT EXISTS stock (
  merchant TEXT NOT NULL, sku ${keyText} NOT NULL, location ${keyText} NOT NULL, quantity INTEGER NOT NULL, ean TEXT,
  as_of TEXT NOT NULL, file_id BIGINT NOT NULL, seen_file_id BIGINT NOT NULL, seen_record_no INTEGER NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (merchant, sku, location)
);
-- (stock_by_report, on seen_file_id, served no query: a full report's zeroing reads by merchant.)
DROP INDEX IF EXISTS stock_by_report;
CREATE TABLE IF NOT EXISTS export_runs (
  id ${autoId}, export TEXT NOT NULL, scheduled_at TEXT NOT NULL, file_name TEXT NOT NULL, status TEXT NOT NULL,
  items INTEGER NOT NULL DEFAULT 0, error TEXT, started_at TEXT NOT NULL, finished_at TEXT, mode TEXT, UNIQUE (export, scheduled_at)
);
CREATE TABLE IF NOT EXISTS export_items (
  run_id BIGINT NOT NULL, merchant TEXT NOT NULL, sku ${keyText} NOT NULL, location ${keyText} NOT NULL, quantity INTEGER NOT NULL,
  ean TEXT, as_of TEXT NOT NULL, PRIMARY KEY (run_id, sku, location)
);
CREATE TABLE IF NOT EXISTS export_baseline (
  export TEXT NOT NULL, sku ${keyText} NOT NULL, location ${keyText} NOT NULL, quantity INTEGER NOT NULL, PRIMARY KEY (export, sku, location)
);
CREATE TABLE IF NOT EXISTS duplicates (
  id ${autoId}, record_id TEXT NOT NULL, file_id BIGINT NOT NULL, changed INTEGER NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id ${autoId}, destination TEXT NOT NULL, record_id TEXT NOT NULL, merchant TEXT NOT NULL, action TEXT NOT NULL,
  body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
  next_attempt_at TEXT NOT NULL, file_name TEXT, created_at TEXT NOT NULL, delivered_at TEXT, file_id BIGINT, run_id BIGINT,
  sending_at TEXT, UNIQUE (destination, record_id, action)
);
CREATE INDEX IF NOT EXISTS outbox_by_run ON outbox (run_id);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination, status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_by_file ON outbox (destination, status, file_id, id);
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
CREATE TABLE IF NOT EXISTS push_stock (
  channel TEXT NOT NULL, sku ${keyText} NOT NULL, quantity INTEGER NOT NULL, pushed_at TEXT NOT NULL, PRIMARY KEY (channel, sku)
);
`;

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
export function externalIdOf(row: { id: string; body: string }): string {
  try {
    const ext = (JSON.parse(row.body) as { externalId?: unknown }).externalId;
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
