import { Writable } from 'node:stream';
import type { LoadedConfig } from '../config/load.js';
import type { ExportDestination, ExportEntry } from '../config/return-flow.js';
import { FolderDestination } from '../destinations/folder/destination.js';
import { SftpDestination } from '../destinations/sftp/destination.js';
import { WharfError, describeError } from '../errors.js';
import type { ExportContent, ExportRun, StockLevel, Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import { loadMapping } from '../mapping/index.js';
import type { OutputMapping } from '../mapping/types.js';
import type { FileDestination } from '../pipeline/ports.js';
import { workerReadable } from '../pipeline/read-pool.js';
import { shipmentExportDestination } from '../pipeline/routing.js';
import { MAX_SAME_NAME, exportFileName, numberedNames, patternHasTime } from './file-name.js';
import { merchantBundles, stockContent } from './stock-levels.js';
import { renderExport, type ExportRenderResult } from './render.js';
import { renderStockInWorker } from './render-remote.js';
import { computedLevel, stockRecord } from './stock-record.js';

/** What one call of `runExport` did. */
export interface ExportRunResult {
  /** `<merchant>/<kind>`, e.g. `demo/stock`. */
  export: string;
  /** The ledger's run id (export_runs). */
  runId: number;
  /** The run's scheduled time, UTC ISO 8601. */
  scheduledAt: string;
  /** The file written (or found in place); undefined when the run had nothing to say and wrote nothing. */
  fileName: string | undefined;
  /**
   * written: a new file is in place; unchanged: the identical file was there already (a re-run after a
   * crash); empty: nothing to say, no file (writeEmpty false); already-done: the run was finished before.
   */
  outcome: 'written' | 'unchanged' | 'empty' | 'already-done';
  /** Canonical records rendered (stock levels incl. bundle rows, or shipments). */
  items: number;
  /** Data rows written (CSV: one per shipment line). */
  rows: number;
  /** Bytes of the file. */
  bytes: number;
}

export interface ExportDeps {
  store: Store;
  config: LoadedConfig;
  logger: Logger;
  /** Called after each page of records rendered: items so far, and the run's total when known. */
  onProgress?: (p: { items: number; total?: number }) => void;
}

/** Ledger rows read per query while rendering (memory stays bounded by this). */
const PAGE = 1000;

/**
 * Runs one merchant export for one scheduled time (UTC instant); safe to call again for the same time
 * after a crash.
 *
 * 1. Claims the run (`Store.claimExportRun`): its content is fixed then — the merchant's stock levels
 *    incl. the computed bundle levels (`claimStockRun`, src/exports/stock-levels.ts; `full`, or for
 *    `changes` those that differ from the last finished run) or the pending shipment rows of
 *    `export:<merchant>:shipments`. A run that exists already is resumed as claimed.
 * 2. Renders the content with the export's output mapping, streamed page by page into the
 *    destination's `writeStream` (temporary dot-file, then rename), under the name fixed at claim.
 * 3. Finishes the run (baseline moved, shipment rows delivered) only when the file is in place.
 *
 * A crash between 1 and 3 leaves the run claimed: the next call (for that time or any later one)
 * completes that run instead — it renders the same bytes, which the destination reports as
 * 'unchanged' when the file was already renamed into place — and returns its result (`scheduledAt`
 * says which run it was); the later time's own run is not made then (the next tick makes its own). A run with nothing
 * to say writes no file unless `writeEmpty`. Bundle levels are content like any other level: in the
 * file only when `full` or changed, counted in `items` (see docs/exports.md). Reads only the entry's
 * merchant's rows.
 *
 * Throws (after marking the run failed, so its shipment rows go back to the queue and `wharf status`
 * shows the error) when the destination cannot be written: a TransportError (SFTP refused), ENOSPC,
 * EACCES, a DELIVERY_CONFLICT (a different file already has the name), or a record the mapping cannot
 * render (ContentError RECORD_INVALID). Throws MAPPING_INVALID when the mapping is not an output mapping
 * of the export's kind, CONFIG_INVALID/UNSAFE_NAME when the file name pattern is bad.
 */
export async function runExport(entry: ExportEntry, scheduledAt: Date, deps: ExportDeps): Promise<ExportRunResult> {
  const { store, config, logger } = deps;
  const log = logger.child({ export: entry.key });
  let iso = scheduledAt.toISOString();
  const mapping = await exportMapping(entry, config);
  let fileName = exportFileName(entry.fileName, { merchant: entry.merchant, at: scheduledAt, timezone: entry.timezone }, `merchants.${entry.merchant}.exports.${entry.kind}.fileName`);
  // An earlier run left claimed (a crash, a kill) owes its file, with the content fixed then (its
  // shipment rows are held by it): finish that one now, in place of this time's run.
  const [last] = await store.lastExportRuns([entry.key]);
  const resuming = last !== undefined && last.status === 'claimed' && last.scheduledAt < iso;
  if (resuming) {
    log.warn({ runId: last.id, scheduledAt: last.scheduledAt }, `${entry.key}: the run for ${last.scheduledAt} was claimed but never finished; completing it (${last.fileName}) instead of starting the run for ${iso}`);
    iso = last.scheduledAt;
    fileName = last.fileName;
  }
  const content: ExportContent = entry.kind === 'stock'
    ? await stockContent(store, entry.merchant, entry.mode, await merchantBundles(store, config, entry.merchant, log))
    : { kind: 'outbox', destination: shipmentExportDestination(entry.merchant) };
  const { run, created } = resuming
    ? await store.claimExportRun({ export: entry.key, scheduledAt: iso, fileName }, content)
    : await claimUniquelyNamed(store, entry, iso, fileName, content, log);
  const base = { export: entry.key, runId: run.id, scheduledAt: run.scheduledAt };
  if (run.status === 'done') {
    return { ...base, fileName: run.items > 0 || entry.writeEmpty ? run.fileName : undefined, outcome: 'already-done', items: run.items, rows: 0, bytes: 0 };
  }
  if (!created) log.info({ runId: run.id, scheduledAt: run.scheduledAt }, `resuming run ${run.id} of ${entry.key} for ${run.scheduledAt} (claimed earlier, not finished): rendering it again`);
  if (run.items === 0 && !entry.writeEmpty) {
    await store.finishExportRun(run.id);
    log.info({ runId: run.id }, `${entry.key} ${run.scheduledAt}: nothing to export, no file written`);
    return { ...base, fileName: undefined, outcome: 'empty', items: 0, rows: 0, bytes: 0 };
  }

  let rendered: ExportRenderResult | undefined;
  let outcome: 'written' | 'unchanged';
  const destination = openDestination(entry, log);
  try {
    await destination.open();
    const computedSkus = content.kind === 'stock' ? (content.computed?.replaces ?? []) : [];
    const produce = async (out: Writable) => {
      if (entry.kind === 'stock' && workerReadable()) {
        // Rendered on the read worker's core (idle once the intake is done) while this thread reads the pages.
        rendered = await renderStockInWorker({ mapping: entry.mapping, mappingsDir: config.mappingsDir, computedSkus }, stockPages(store, run, entry.merchant, deps.onProgress), out);
        return;
      }
      const pages = entry.kind === 'stock' ? stockRecords(store, run, entry.merchant, deps.onProgress) : shipmentRecords(store, run, deps.onProgress);
      rendered = await renderExport(mapping, { pages }, out, entry.kind === 'stock' ? { needsCheck: computedLevel(computedSkus) } : {});
    };
    outcome = destination.writeStream
      ? await destination.writeStream(run.fileName, produce)
      : await destination.write(run.fileName, await renderToBuffer(produce));
  } catch (err) {
    const error = `${destination.describe}: ${describeError(err)}`;
    await store.failExportRun(run.id, error).catch((e: unknown) => log.error({ err: describeError(e) }, `could not mark run ${run.id} failed`));
    log.error({ runId: run.id, err: describeError(err) }, `${entry.key} ${run.scheduledAt}: export failed, no file written; the next run tries again: ${error}`);
    throw err;
  } finally {
    await destination.close().catch(() => undefined);
  }
  // The file is in place: only now may the run count as done (a crash before this re-renders the same bytes).
  await store.finishExportRun(run.id);
  const r = rendered ?? { records: 0, rows: 0, bytes: 0 };
  log.info({ runId: run.id, file: run.fileName, outcome, items: r.records, rows: r.rows, bytes: r.bytes }, `${entry.key} ${run.scheduledAt}: ${run.fileName} ${outcome} (${r.records} item(s), ${r.rows} row(s))`);
  return { ...base, fileName: run.fileName, outcome, items: r.records, rows: r.rows, bytes: r.bytes };
}

/**
 * Claims the run of `entry` at `iso` under a file name no other run of the export has: `fileName`
 * (the pattern's name), else the first free of `-2`, `-3` … (numberedNames), so a `wharf sync` in
 * the minute of a scheduled run of a minute pattern gets its own file instead of a DELIVERY_CONFLICT.
 * The name is stored with the run, so a resume renders under the same name. A pattern without a time
 * part is one fixed name by choice and is not numbered. Two processes that pick one name at the same
 * moment: the run with the lower id keeps it, the other is failed and claimed again under the next
 * name. Throws CONFIG_INVALID when all MAX_SAME_NAME names are taken (a pattern too coarse for the
 * schedule).
 */
async function claimUniquelyNamed(store: Store, entry: ExportEntry, iso: string, fileName: string, content: ExportContent, log: Logger): Promise<{ run: ExportRun; created: boolean }> {
  const where = `merchants.${entry.merchant}.exports.${entry.kind}.fileName`;
  if (!patternHasTime(entry.fileName, where)) return store.claimExportRun({ export: entry.key, scheduledAt: iso, fileName }, content);
  const candidates = numberedNames(fileName);
  for (let attempt = 1; ; attempt++) {
    // The run at this very time keeps its own name (a failed run claimed again, a run already done).
    const used = new Set((await store.exportRunsNamed(entry.key, candidates)).filter((r) => r.scheduledAt !== iso).map((r) => r.fileName));
    const name = candidates.find((c) => !used.has(c));
    if (name === undefined) {
      throw new WharfError('CONFIG_INVALID', `${entry.key}: ${MAX_SAME_NAME} runs already have the names ${fileName}, ${candidates[1] ?? ''} …; the file name pattern ${entry.fileName} is too coarse for how often the export runs`, {
        where,
        hint: 'give the pattern the time down to the minute or second, e.g. stock-{yyyyMMdd-HHmmss}.csv',
      });
    }
    if (name !== fileName) log.info({ scheduledAt: iso, file: name }, `${entry.key}: another run already has the name ${fileName}; this run writes ${name}`);
    const claimed = await store.claimExportRun({ export: entry.key, scheduledAt: iso, fileName: name }, content);
    if (!claimed.created) return claimed;
    const rival = (await store.exportRunsNamed(entry.key, [claimed.run.fileName])).find((r) => r.id < claimed.run.id && r.scheduledAt !== iso);
    if (!rival || attempt >= 3) return claimed;
    await store.failExportRun(claimed.run.id, `file name ${name} was claimed by run ${rival.id} at the same moment; claiming again under another name`);
  }
}

/** The export's output mapping; MAPPING_INVALID when it is an input mapping or of another kind. */
async function exportMapping(entry: ExportEntry, config: LoadedConfig): Promise<OutputMapping> {
  const m = await loadMapping(entry.mapping, config.mappingsDir);
  const kind = entry.kind === 'stock' ? 'stock' : 'shipment';
  if (m.direction !== 'output' || m.kind !== kind) {
    throw new WharfError('MAPPING_INVALID', `mapping ${entry.mapping} is an ${m.direction} mapping of kind ${m.kind}, but ${entry.key} needs an output mapping of kind ${kind}`, {
      where: `merchants.${entry.merchant}.exports.${entry.kind}.mapping`,
      hint: `name an output mapping with kind: ${kind} (see \`wharf check\`)`,
    });
  }
  return m;
}

/** One destination per run: a local folder, or a directory on the merchant's SFTP server. */
function openDestination(entry: ExportEntry, logger: Logger): FileDestination {
  const d: ExportDestination = entry.destination;
  return d.type === 'sftp'
    ? new SftpDestination({ config: d.sftp, directory: d.path, logger, merchant: entry.merchant, channel: `export ${entry.key}` })
    : new FolderDestination(d.path, logger);
}

/** For a destination without `writeStream`: renders into memory (small outputs only). */
async function renderToBuffer(produce: (out: Writable) => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c); cb(); } });
  await produce(sink);
  return Buffer.concat(chunks);
}

async function* itemsOf(store: Store, runId: number): AsyncGenerator<StockLevel[]> {
  let after: { sku: string; location: string } | undefined;
  for (;;) {
    const page = await store.exportItemsPage(runId, after, PAGE);
    if (page.length === 0) return;
    yield page;
    if (page.length < PAGE) return;
    const last = page[page.length - 1]!;
    after = { sku: last.sku, location: last.location };
  }
}

/**
 * The run's stock levels as canonical stock records in (sku, location) order: reported and computed
 * bundle levels alike, as claimed (src/exports/stock-levels.ts). One page in memory at a time.
 */
async function* stockRecords(store: Store, run: ExportRun, merchant: string, onProgress: ExportDeps['onProgress']): AsyncGenerator<Record<string, unknown>[]> {
  for await (const page of stockPages(store, run, merchant, onProgress)) yield page.map(stockRecord);
}

/**
 * The run's stock levels page by page, as `stockRecords` reads them (each level checked to be the
 * merchant's; progress reported per page as the page is handed on).
 */
async function* stockPages(store: Store, run: ExportRun, merchant: string, onProgress: ExportDeps['onProgress']): AsyncGenerator<StockLevel[]> {
  let n = 0;
  for await (const page of itemsOf(store, run.id)) {
    for (const l of page) if (l.merchant !== merchant) throw foreignRow(run, l.merchant, merchant);
    n += page.length;
    yield page;
    onProgress?.({ items: n, total: run.items });
  }
}

/** The run's shipment rows, by outbox id: one canonical shipment each. */
async function* shipmentRecords(store: Store, run: ExportRun, onProgress: ExportDeps['onProgress']): AsyncGenerator<Record<string, unknown>[]> {
  let after = 0;
  let n = 0;
  for (;;) {
    const page = await store.exportRowsPage(run.id, after, PAGE);
    n += page.length;
    yield page.map((row) => row.body);
    onProgress?.({ items: n, total: run.items });
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

function foreignRow(run: ExportRun, found: string, merchant: string): WharfError {
  return new WharfError('LEDGER_FAILED', `run ${run.id} of ${run.export} holds a stock level of merchant ${found}, not ${merchant}; nothing was written`, {
    where: `export run ${run.id}`,
    hint: 'this is a bug in the ledger: report it',
  });
}
