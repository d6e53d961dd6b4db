import type { RecordKind } from '../schemas.js';

/**
 * The ledger: the durable memory of what came in (files and their content hashes), what it became
 * (canonical records, current stock levels), and what is still owed to a destination (the outbox).
 * Two implementations: SQLite (default, one instance) and PostgreSQL (several instances). Everything is
 * async so both fit. The stores decide nothing: which deliveries a record owes is src/pipeline/routing.ts.
 *
 * For the merchant exports (return flow), a run goes:
 *   1. `claimExportRun({ export: 'demo/stock', scheduledAt, fileName }, content)` — content is
 *      `{ kind: 'stock', merchant, mode: 'full' | 'changes', computed? }` (computed: bundle levels,
 *      see src/exports/stock-levels.ts) or `{ kind: 'outbox', destination: 'export:demo:shipments' }`;
 *      it is fixed now (levels copied, outbox rows marked with the run).
 *   2. render from `exportItemsPage(run.id, after, n)` (stock, keyset by sku/location) or
 *      `exportRowsPage(run.id, afterId, n)` (shipments); `run.items === 0` means nothing to say.
 *   3. `finishExportRun(run.id)` after the file is in place (baseline moved and rows delivered in one
 *      transaction; `full` runs keep no baseline), or `failExportRun(run.id, error)`. A crash between 1 and 3 leaves the run
 *      `claimed`: claiming it again returns it unchanged, so the re-render writes identical bytes.
 * `lastExportRuns()` gives the latest run per export for `wharf status` and catch-up; `stockPage` pages
 * through a merchant's current levels directly.
 */

/** `dismissed`: a quarantined file a person set aside with a note (Store.dismissFile), never retried. */
export type FileStatus = 'imported' | 'partial' | 'duplicate' | 'quarantined' | 'retried' | 'dismissed';

export interface FileInfo {
  merchant: string;
  channel: string;
  name: string;
  origin: string;
  size: number;
  sha256: string;
  mapping: string;
  traceId: string;
}

export interface FileRow extends FileInfo {
  id: number;
  status: FileStatus;
  records: number;
  duplicates: number;
  invalid: number;
  error: string | null;
  quarantinePath: string | null;
  receivedAt: string;
  /** The note given when it was dismissed from the quarantine (Store.dismissFile), else null. */
  note: string | null;
  /** When it was dismissed (UTC ISO 8601), else null. */
  dismissedAt: string | null;
  /** The file row its retry made (Store.markRetried), once a quarantined file was retried; else null. */
  retriedAs: number | null;
}

/**
 * Which file rows Store.findFiles answers: by ledger id; by trace id (oldest first); the row whose
 * retry made file `retriedAs` (a retry is a file row of its own, with a trace id of its own).
 */
export type FileRef = { id: number } | { traceId: string } | { retriedAs: number };

/** A page of Store.recentFiles: newest first, only `merchant`'s when given, ids below `beforeId` when given. */
export interface RecentFilesQuery {
  merchant?: string;
  beforeId?: number;
  limit: number;
}

export interface StoredRecord {
  kind: RecordKind;
  id: string;
  merchant: string;
  channel: string;
  /** The canonical record itself. */
  body: Record<string, unknown>;
  recordNo: number;
}

/** What the ledger holds about one record (see `IntakeTx.getRecord`). */
export interface LedgerRecord {
  kind: string;
  merchant: string;
  status: string | null;
  /** Content hash of the stored body (its provenance left out). */
  hash: string;
  /** 1 when inserted, +1 per update. */
  version: number;
}

/** A record as written: the body is canonical JSON text, serialised once by the caller. */
export interface RecordWrite {
  id: string;
  kind: RecordKind;
  merchant: string;
  channel: string;
  status: string | null;
  hash: string;
  body: string;
  recordNo: number;
  /** The record this one belongs to (a shipment's order), for `childBodies`. */
  parentId?: string;
}

/** Where a stock level is kept: one merchant's SKU at one location ('' when the report names none). */
export interface StockKey {
  merchant: string;
  sku: string;
  location: string;
}

/** A current stock level as the ledger holds it. */
export interface StockLevel extends StockKey {
  /** Available to sell (integer >= 0). */
  quantity: number;
  ean: string | null;
  /**
   * When the warehouse counted it (UTC ISO 8601; the file's receipt time when the report gave none).
   * A computed level (ComputedStock) has its newest input's, or '' when it had no inputs.
   */
  asOf: string;
}

/** What intake needs to know about a stored level: the level, and the last report that listed it. */
export interface StockState extends StockLevel {
  /** The intake file that last listed this level (also when it was older and kept). */
  seenFileId: number;
  /** Its record number in that file. */
  seenRecordNo: number;
}

/**
 * One stock write of an intake batch (IntakeTx.writeStock); `recordNo` is the record of this file
 * that listed the level (kept as seen_file_id / seen_record_no, to tell a SKU listed twice):
 * - `insert`: a level the ledger does not hold;
 * - `set`: replaces quantity, EAN and asOf of a held level;
 * - `seen`: only notes the listing (the held level is newer and stays).
 */
export type StockWrite =
  | { op: 'insert'; level: StockLevel; recordNo: number }
  | { op: 'set'; level: StockLevel; recordNo: number }
  | { op: 'seen'; key: StockKey; recordNo: number };

/**
 * One delivery owed to a destination. `body` is what the delivery renders: canonical JSON text that
 * differs from the record's (a shipment push's body), or null for "the body of record `recordId` as
 * stored now" — the ledger then keeps no second copy. Such a reference is frozen by the store (the
 * body copied into the row) when `updateRecord` changes the record before the row is delivered, so a
 * delivery always renders what was decided when it was queued.
 */
export interface OutboxWrite {
  destination: string;
  /** Unique per destination and action: a second enqueue of the same key is ignored (exactly once). */
  recordId: string;
  merchant: string;
  action: OutboxAction;
  body: string | null;
}

/**
 * One open intake: everything written here is committed (or discarded) together with the file's status.
 * The store only stores: which record owes which delivery is decided by src/pipeline/routing.ts.
 */
export interface IntakeTx {
  readonly fileId: number;
  /**
   * What the ledger holds under `id`, if anything. PostgreSQL locks the row (FOR UPDATE) until this
   * intake ends, so a second instance deciding about the same record waits for this one's outcome.
   */
  getRecord(id: string): Promise<LedgerRecord | undefined>;
  /**
   * Inserts a record (version 1, this file). False when the id exists already: on PostgreSQL another
   * instance inserted it meanwhile (this call waited for its commit); read it again with `getRecord`.
   */
  insertRecord(rec: RecordWrite): Promise<boolean>;
  /**
   * Replaces a record's status, hash and body (version + 1, this file and record number). Undelivered
   * outbox rows that reference the record's body (OutboxWrite.body null) get the old body copied in first.
   */
  updateRecord(rec: Pick<RecordWrite, 'id' | 'kind' | 'status' | 'hash' | 'body' | 'recordNo'>): Promise<void>;
  /** Notes that this file brought `recordId` again; `changed` when its content differed. */
  addDuplicate(recordId: string, changed: boolean): Promise<void>;
  /** Queues a delivery for this file; ignored when (destination, recordId, action) is queued already. */
  enqueue(row: OutboxWrite): Promise<void>;
  /**
   * The canonical bodies of the records stored with `parentId` (e.g. an order's shipments), oldest
   * first. (Retention prunes an order's shipments' bodies together with the order's, never apart.)
   */
  childBodies(parentId: string, kind: RecordKind): Promise<Record<string, unknown>[]>;
  /**
   * The canonical body stored under `id` (read it after `getRecord` has locked the row); undefined when
   * no such record, null when its body was pruned by the retention policy (its id and hash remain).
   */
  recordBody(id: string): Promise<Record<string, unknown> | null | undefined>;
  /** Whether this merchant's catalogue (product records of any channel) holds `sku`. */
  productExists(merchant: string, sku: string): Promise<boolean>;
  /**
   * The stored levels of `keys` (those the ledger holds, in no particular order). PostgreSQL locks
   * their rows until this intake ends (as `getRecord`), in key order.
   */
  getStocks(keys: readonly StockKey[]): Promise<StockState[]>;
  /**
   * Writes one batch of levels listed by this file, as `writes` says (see StockWrite), in one
   * statement per kind of write. Returns the keys of `insert`s that found the level present already (on
   * PostgreSQL: another instance inserted it meanwhile): nothing was written for them; read them
   * again with `getStocks` and decide again.
   */
  writeStock(writes: readonly StockWrite[]): Promise<StockKey[]>;
  /**
   * A full report's absent SKUs: sets to 0 (asOf `asOf`) the merchant's non-zero levels at `locations`
   * that this file did not list and whose asOf is not after `asOf`. Returns how many it set.
   */
  zeroUnlistedStock(merchant: string, locations: string[], asOf: string): Promise<number>;
  /** The SKU of another product of this merchant that already carries `ean` (a conflict), if any. */
  productSkuForEan(merchant: string, ean: string, exceptSku: string): Promise<string | undefined>;
  /** Remembers a seen key (see `Store.addSeen`) in this transaction: it exists exactly when the commit does. */
  addSeen(scope: string, key: string): Promise<void>;
  /** Commits the records, the outbox rows and the file's final status in one transaction. */
  commit(result: { status: 'imported' | 'partial'; records: number; duplicates: number; invalid: number; error?: string; quarantinePath?: string }): Promise<void>;
  /** Discards everything added, the file row included. */
  rollback(): Promise<void>;
}

/**
 * A group commit over one store (Store.group). While open it holds the store's one write transaction:
 * every call made through `store` runs inside it (and sees what earlier files of the group wrote), and
 * every other caller of the store waits until `commit` or `rollback`. While closed, `store` behaves as
 * the plain store. Nothing written in a group is durable before `commit` returned, so a caller that
 * acts on a file's outcome (archives it, moves it to quarantine) does so only after the commit.
 */
export interface LedgerGroup {
  /** The store seen through this group (see above). */
  readonly store: Store;
  /** True between `begin` and `commit`/`rollback`. */
  readonly open: boolean;
  /** Waits for the store's other callers, then opens the group's transaction. LEDGER_FAILED (retryable) if it cannot. */
  begin(): Promise<void>;
  /**
   * Commits everything written since `begin` and lets the store's other callers in. On failure the
   * transaction is rolled back (nothing of the group is kept) and LEDGER_FAILED is thrown.
   */
  commit(): Promise<void>;
  /** Discards everything written since `begin` (no-op when closed). */
  rollback(): Promise<void>;
}

export type OutboxAction = 'order' | 'cancel' | 'product' | 'shipment';

export interface OutboxRow {
  id: number;
  destination: string;
  recordId: string;
  merchant: string;
  action: OutboxAction;
  attempts: number;
  status: 'pending' | 'delivered' | 'failed';
  lastError: string | null;
  /** The intake file whose commit queued this delivery (batch-per-file output groups by it). */
  fileId: number | null;
  /**
   * What the delivery renders: the record's canonical body as it was when the delivery was queued
   * (read from the record when the row references it, see OutboxWrite), or the row's own body.
   */
  body: Record<string, unknown>;
  /**
   * `body` as the ledger holds it: its JSON text, which is JSON.stringify of the body (the stores
   * write nothing else), so a delivery that writes the body as compact JSON can copy this text. The
   * stores parse `body` from it only when it is first read. Absent in rows made elsewhere.
   */
  bodyJson?: string;
  /**
   * When an attempt began sending this row (`markDeliverySending`, UTC ISO text) and no outcome was
   * recorded since: read back by a later run, the process that sent it died mid-send (kill -9, crash,
   * power loss), so the receiver may have applied it — an ambiguous failure like a lost answer. Null
   * otherwise (never sent, or its last attempt's outcome is recorded).
   */
  sendingSince: string | null;
}

/** One scheduled run of a merchant export (`demo/stock`, `demo/shipments`). */
export interface ExportRun {
  id: number;
  /** `<merchant>/<export>`, e.g. `demo/stock`. */
  export: string;
  /** The schedule's time this run is for, UTC ISO 8601 (`toISOString()`, so that times compare as text); one run per export and time. */
  scheduledAt: string;
  fileName: string;
  status: 'claimed' | 'done' | 'failed';
  /** Stock levels or shipments the run holds (fixed at claim time). */
  items: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/**
 * Stock levels the caller computed rather than the warehouse reported (a bundle's stock from its
 * components, src/exports/stock-levels.ts), to be part of a stock run's content like reported ones.
 */
export interface ComputedStock {
  /** SKUs whose reported levels are left out of the content: the computed levels stand for them (bundle SKUs). */
  replaces: readonly string[];
  /**
   * The computed levels: of the content's merchant, each SKU one of `replaces`, at most one per (sku,
   * location). `ean` null; `asOf` the newest of its inputs, or '' when it had none.
   */
  levels: readonly StockLevel[];
}

/**
 * What a run writes, fixed when it is claimed:
 * - `stock`: a merchant's levels — the reported ones (minus the SKUs `computed.replaces`) and the
 *   `computed` ones, as one set keyed by (sku, location) — all of them (`full`), or for `changes` those
 *   whose quantity differs from what the export's last finished run wrote (a level it never wrote counts
 *   as changed). Both kinds of level are stored with the run, compared with the baseline and moved into
 *   it on finish alike, and counted in `ExportRun.items`. A `full` run needs no baseline and keeps none:
 *   its claim drops the export's baseline, its finish writes none (a later switch to `changes` then
 *   starts with everything, never from levels older than the last file sent).
 * - `outbox`: the pending rows of an outbox destination that no other run holds (`export:<merchant>:shipments`).
 */
export type ExportContent =
  | { kind: 'stock'; merchant: string; mode: 'full' | 'changes'; computed?: ComputedStock }
  | { kind: 'outbox'; destination: string };

/** A product record that lists `components` (a bundle), as `bundleProductsPage` returns it. */
export interface BundleProduct {
  /** The record's ledger id (`product:<merchant>:<channel>:<sku>`), the paging key. */
  id: string;
  channel: string;
  sku: string;
  /** As stored (validated against schemas/product.schema.json at intake): at least one. */
  components: { sku: string; quantity: number }[];
}

export interface ChannelStatus {
  merchant: string;
  channel: string;
  lastPollAt: string | null;
  lastOkAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  inFlight: number;
  files: Record<FileStatus, number>;
  records: number;
  duplicateRecords: number;
  /** Files of this channel with a notice (skipped, refused, changed after import). */
  notices: number;
}

/**
 * Something a source tells `wharf status` about one file it did not take or that changed under it:
 * a file it skips (no pattern matches, a symlink leading outside the folder, not a regular file), a
 * file it cannot stage or read, a file that changed after its import. Keyed per channel, so each is
 * reported once, however often the source looks at it.
 */
export type NoticeKind = 'skipped' | 'refused' | 'changed-after-import' | 'cleanup-failed' | 'push-unknown-sku' | 'push-refused';

export interface NoticeInput {
  /** Unique within the channel, e.g. `skipped:<name>`; a second notice with the same key is not new. */
  key: string;
  kind: NoticeKind;
  /** The file's name or path as the source knows it. */
  file: string;
  /** Why, in plain words, with what to do about it. */
  message: string;
}

export interface NoticeRow extends NoticeInput {
  merchant: string;
  channel: string;
  /** When it was first reported (ISO 8601). */
  at: string;
}

/** What Store.activitySince returns. */
export interface LedgerActivity {
  channels: { merchant: string; channel: string; files: number; orders: number }[];
  outbox: { merchant: string; destination: string; pending: number; failed: number }[];
}

/** What `Store.openCounts` returns. */
export interface OpenCounts {
  outbox: { destination: string; merchant: string; action: OutboxAction; status: 'pending' | 'failed'; n: number }[];
  quarantined: { merchant: string; channel: string; n: number }[];
}

export interface LedgerSummary {
  channels: ChannelStatus[];
  /** Per-file notices, newest first (at most 200). */
  notices: NoticeRow[];
  quarantined: FileRow[];
  outbox: { pending: number; failed: number; delivered: number };
  failedDeliveries: OutboxRow[];
  /** Files dismissed from the quarantine with a note, newest first (at most 50). */
  dismissed: FileRow[];
  recentDuplicates: { recordId: string; fileName: string; at: string; changed: boolean }[];
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** The file already imported with this content, if any (quarantined ones do not count: they may be fixed). */
  findImportedFile(merchant: string, channel: string, sha256: string): Promise<FileRow | undefined>;
  /** Records a re-dropped file whose content was already imported. */
  recordDuplicateFile(info: FileInfo, originalId: number): Promise<number>;
  /** Records a file that was quarantined as a whole (parse error, size limit, or rejectFile). */
  recordQuarantinedFile(info: FileInfo, error: string, quarantinePath: string | null, invalid: number): Promise<number>;
  /**
   * Opens the intake transaction for one file. Only one may be open per store at a time. On a group's
   * store (see `group`) while the group is open: a savepoint inside the group's transaction instead.
   */
  beginIntake(info: FileInfo): Promise<IntakeTx>;
  /**
   * A group commit (optional; SQLite): several files' intakes in one ledger transaction, each file in a
   * savepoint of its own, so that the commit's fixed cost (WAL frames of the shared pages, locks) is
   * paid once per group instead of once per file. Created closed; see LedgerGroup.
   */
  group?(): LedgerGroup;
  getFile(id: number): Promise<FileRow | undefined>;
  listQuarantined(): Promise<FileRow[]>;
  /** Where a partially accepted file's quarantined copy went (set after the source moved it). */
  setQuarantinePath(id: number, quarantinePath: string | null): Promise<void>;
  /**
   * Marks a quarantined file as handled by `wharf retry`; the retry itself is a new file row, `retriedAs`
   * (kept on the old row, so a file's journey links the two: Store.findFiles({ retriedAs })).
   */
  markRetried(id: number, retriedAs?: number): Promise<void>;
  /**
   * Dismisses a file from the quarantine list with a person's `note` (the console's Dismiss): status
   * `dismissed` (a partly imported file stays `partial`), quarantine path cleared, note and time kept.
   * The quarantined copy on disk is left alone. False when the file is not in the quarantine list.
   */
  dismissFile(id: number, note: string): Promise<boolean>;
  /**
   * Activity since `since` (UTC ISO 8601) for the console's overview: per channel the files received
   * and the new orders they brought (the order deliveries those files queued for the warehouse, so an
   * order cancelled before it was ever sent does not count); per merchant and
   * outbox destination the pending and failed rows (now, whatever their age).
   */
  activitySince(since: string): Promise<LedgerActivity>;

  /** Deliveries owed to a destination that are due now, oldest first. */
  dueDeliveries(destination: string, limit: number, now?: Date): Promise<OutboxRow[]>;
  /** Batch-per-file output: the oldest intake file with due deliveries to this destination. */
  nextBatchFile(destination: string, now?: Date): Promise<number | undefined>;
  /** Batch-per-file output: the pending deliveries queued by one intake file, by id, after `afterId`. */
  batchPage(destination: string, fileId: number, afterId: number, limit: number): Promise<OutboxRow[]>;
  /**
   * Marks that an attempt of this delivery is being sent now, before the send (`sendingSince`);
   * `markDelivered` and `markDeliveryFailed` clear the mark. Used by pushes whose write is not
   * idempotent, so that a run after a crash mid-send knows to read the receiver's state first.
   */
  markDeliverySending(id: number): Promise<void>;
  markDelivered(ids: number[], fileName: string): Promise<void>;
  /**
   * Marks many deliveries delivered, each under its own file name, in one transaction (a delivery
   * page: one ledger write for the page instead of one per file).
   */
  markDeliveredEach(items: { id: number; fileName: string }[]): Promise<void>;
  /** A failed attempt: retryable ones come back at `retryAt`, others become `failed` until `wharf retry`. */
  markDeliveryFailed(id: number, error: string, retryAt: Date | null): Promise<void>;
  /** The status of outbox row `id`; undefined when the ledger has no such row (never made, or delivered and pruned). */
  deliveryState(id: number): Promise<OutboxRow['status'] | undefined>;
  /** Puts failed deliveries back in the queue; returns how many. */
  requeueFailedDeliveries(ids: number[] | 'all'): Promise<number>;

  /** Transport bookkeeping for `wharf status`. */
  recordPoll(merchant: string, channel: string, result: { ok: true; inFlight?: number } | { ok: false; error: string }): Promise<void>;
  /** Per-channel keys the transports remember (SFTP `keep`, API cursors). */
  getCursor(key: string): Promise<string | undefined>;
  setCursor(key: string, value: string): Promise<void>;
  hasSeen(scope: string, key: string): Promise<boolean>;
  addSeen(scope: string, key: string): Promise<void>;

  /**
   * Replaces the channel's notices of `kinds` by `current` (those no longer current are removed: the
   * file went away or was taken after all). Returns the notices that were not there before, so the
   * caller logs each one once.
   */
  syncNotices(merchant: string, channel: string, kinds: NoticeKind[], current: NoticeInput[]): Promise<NoticeInput[]>;
  /** Adds one notice; false when one with the same key exists already. */
  addNotice(merchant: string, channel: string, notice: NoticeInput): Promise<boolean>;
  /** Removes one notice (a stuck file that got moved after all); false when there was none. */
  removeNotice(merchant: string, channel: string, key: string): Promise<boolean>;
  /**
   * The imported (or partly imported) file with this content and the records it brought, as external
   * ids (record ids where the body has none), at most `limit` of them in file order; `more` counts the
   * rest. Undefined when no such file is in the ledger.
   */
  importedRecords(merchant: string, channel: string, sha256: string, limit: number): Promise<{ fileId: number; ids: string[]; more: number } | undefined>;
  /** Forgets a seen key (a finished step that should not shadow a later file of the same name). */
  removeSeen(scope: string, key: string): Promise<void>;

  /**
   * A merchant's current stock levels, ordered by (sku, location) compared bytewise, at most `limit`
   * (keyset paging: pass the last level of a page as `after` for the next). For the stock export.
   */
  stockPage(merchant: string, after: { sku: string; location: string } | undefined, limit: number): Promise<StockLevel[]>;

  /**
   * A merchant's current product records (of any channel) that list components, by record id,
   * after `afterId` (keyset paging), at most `limit`. For the bundle definitions of stock exports.
   */
  bundleProductsPage(merchant: string, afterId: string | undefined, limit: number): Promise<BundleProduct[]>;

  /**
   * Claims the run of `export` at `scheduledAt` and fixes its content in one transaction (see
   * ExportContent; `export` is any key, e.g. `demo/stock` for a merchant export or `push:<channel>/stock`
   * for a push, and its baseline is its own). When that run exists already, returns it as it is
   * (`created` false) and `content` is not looked at: `claimed` means an earlier attempt (this instance
   * before a crash, or another instance) holds it — render it from `exportItemsPage`/`exportRowsPage`
   * and it gives the same bytes, even when stock changed since; `done` means nothing to do.
   * A `failed` run is claimed again with fresh content. `items` counts the content: reported and
   * computed levels, or outbox rows.
   * Throws LEDGER_FAILED when `content.computed` breaks its contract (another merchant, a SKU not in
   * `replaces`, a (sku, location) twice); nothing is claimed then.
   */
  claimExportRun(run: { export: string; scheduledAt: string; fileName: string }, content: ExportContent): Promise<{ run: ExportRun; created: boolean }>;
  /** A claimed run's stock levels (reported and computed alike) in (sku, location) order, keyset paged like `stockPage`. */
  exportItemsPage(runId: number, after: { sku: string; location: string } | undefined, limit: number): Promise<StockLevel[]>;
  /** A claimed run's outbox rows (shipments) by id, after `afterId`. */
  exportRowsPage(runId: number, afterId: number, limit: number): Promise<OutboxRow[]>;
  /**
   * Marks a claimed run done, in one transaction: its stock levels become the export's baseline (for
   * `changes`), its outbox rows are delivered (under the run's file name). False when it was not claimed.
   */
  finishExportRun(runId: number): Promise<boolean>;
  /** Marks a claimed run failed with `error`; its outbox rows go back to the queue for the next run. */
  failExportRun(runId: number, error: string): Promise<void>;
  /**
   * The runs of `export` whose file name is one of `fileNames` (any status), by id. For choosing a
   * claim's file name that no other run of the export has (two runs in one minute of a minute pattern).
   */
  exportRunsNamed(exportKey: string, fileNames: string[]): Promise<ExportRun[]>;
  /** The latest run (by scheduled time) of each export, or of the exports named. For status and catch-up. */
  lastExportRuns(exports?: string[]): Promise<ExportRun[]>;
  /** Pending rows of an outbox destination (held by a claimed run or not), e.g. a merchant's unexported shipments. */
  pendingCount(destination: string): Promise<number>;
  /**
   * For the metrics scrape: the pending and failed outbox rows of `destinations` by destination,
   * merchant, action and status, and the files in quarantine (quarantined, or partly imported with a
   * quarantined copy) by merchant and channel. Reads through the status indexes only (outbox_due,
   * files_by_status): its cost grows with the open rows, not with the delivered history.
   */
  openCounts(destinations: readonly string[]): Promise<OpenCounts>;

  /**
   * Push (issue 9). `channel` is the channel's config key (`<merchant>/<channel>`, ChannelEntry.key).
   * Stores/replaces the push ids of these SKUs (from the product pull); other SKUs stay.
   */
  upsertPushTargets(channel: string, targets: PushTargetRow[]): Promise<void>;
  /** The push ids of these SKUs (those the ledger holds). */
  pushTargets(channel: string, skus: string[]): Promise<Map<string, PushTargetRow>>;
  /** The targets carrying one of these EANs (several per EAN possible: the caller refuses to guess). */
  pushTargetsByEan(channel: string, eans: string[]): Promise<PushTargetRow[]>;
  /** The quantity last pushed successfully per SKU (the channel's stock baseline), for these SKUs. */
  pushedStock(channel: string, skus: string[]): Promise<Map<string, number>>;
  /** Moves the channel's baseline for these SKUs (after the shop confirmed them), in one transaction. */
  setPushedStock(channel: string, rows: { sku: string; quantity: number }[], at: string): Promise<void>;
  /** Forgets a channel's baseline (`wharf sync CHANNEL stock --full`: every SKU is pushed again). */
  clearPushedStock(channel: string): Promise<number>;
  /**
   * Takes or renews the lease `name` for `holder` until `expiresAt` (ISO 8601 UTC): succeeds when no
   * one holds it, `holder` holds it already (renewal), or the other holder's lease ran out before `now`
   * (a process that died), or the holder is `replacing` (a holder known to be dead). Otherwise returns
   * who holds it and until when. One statement, atomic on both ledgers (two processes never both succeed).
   */
  takeLease(name: string, holder: string, expiresAt: string, now: string, replacing?: string): Promise<{ ok: true } | { ok: false; holder: string; expiresAt: string }>;
  /** Gives the lease up (only when `holder` holds it). */
  releaseLease(name: string, holder: string): Promise<void>;

  /**
   * One step of the retention policy (src/ledger/retention.ts runs the steps): looks at the next
   * `limit` rows of `task`'s table after `after` (keyset on the primary key; null: from the start) and
   * prunes those the policy lets go, in one short transaction. Returns how many rows it changed and
   * where the next step starts (null: the table is done). See PruneTask for what each task prunes.
   */
  pruneStep(task: PruneTask, after: string | number | null, cutoffs: PruneCutoffs, limit: number): Promise<{ changed: number; next: string | number | null }>;
  /** The ledger's size on disk in bytes (SQLite: file + WAL; PostgreSQL: pg_total_relation_size of its tables). */
  size(): Promise<number>;

  summary(): Promise<LedgerSummary>;

  /** The console (issue 11): the file rows with this id, with this trace id (oldest first), or the one retried as a file. See src/ledger/trail.ts. */
  findFiles(ref: FileRef): Promise<FileRow[]>;
  /** The console's recent files: newest first, at most `limit`, keyset-paged by id (see RecentFilesQuery). */
  recentFiles(q: RecentFilesQuery): Promise<FileRow[]>;
  /** The console: what file `fileId` brought and what its commit queued, each list at most `limit` long (see FileTrail). */
  fileTrail(fileId: number, limit: number): Promise<FileTrail>;
  /** The console: one record, the records stored under it (an order's shipments) and every delivery and push of either; undefined when unknown. */
  recordTrail(recordId: string): Promise<RecordTrailResult | undefined>;
  close(): Promise<void>;
}

/** One stored record as the console shows it (Store.fileTrail, Store.recordTrail). */
export interface RecordTrail {
  id: string;
  kind: string;
  merchant: string;
  channel: string;
  status: string | null;
  /** 1 when inserted, +1 per change. */
  version: number;
  /** The file that wrote its current version, and its record number there. */
  fileId: number;
  recordNo: number;
  /** The record it belongs to (a shipment's order). */
  parentId: string | null;
  createdAt: string;
  updatedAt: string;
  /** The body's externalId (order number), SKU or shipment id; undefined when the body holds none or was pruned. */
  externalId: string | undefined;
  /** The canonical body; null when ledger.retention pruned it. */
  body: Record<string, unknown> | null;
}

/** One delivery or push (an outbox row) as the console shows it, without its body. */
export interface DeliveryTrail {
  id: number;
  /** `warehouse.orders`, `warehouse.products`, `push:<merchant>/<channel>:shipments`, `export:<merchant>:shipments`. */
  destination: string;
  recordId: string;
  merchant: string;
  action: OutboxAction;
  status: OutboxRow['status'];
  attempts: number;
  lastError: string | null;
  /** The file it went out in (warehouse deliveries, exports) once delivered. */
  fileName: string | null;
  /** The intake file whose commit queued it. */
  fileId: number | null;
  createdAt: string;
  deliveredAt: string | null;
  /** When the next attempt is due (pending rows only). */
  nextAttemptAt: string | null;
}

/** What one file brought (Store.fileTrail). */
export interface FileTrail {
  /** Records whose current version this file wrote (new, or changed by it), in record order. */
  records: RecordTrail[];
  /** Such records left out of `records` (the limit). */
  recordsMore: number;
  /** Records this file brought again: `changed` when its content differed (then the record is also in `records`, unless a later file changed it again). */
  duplicates: { recordId: string; kind: string | null; externalId: string | undefined; changed: boolean; at: string }[];
  /** The deliveries and pushes its commit queued, oldest first. */
  deliveries: DeliveryTrail[];
}

/** One record with its children and every delivery and push made for them (Store.recordTrail). */
export interface RecordTrailResult {
  record: RecordTrail;
  children: RecordTrail[];
  deliveries: DeliveryTrail[];
}

/**
 * What one retention task prunes (config `ledger.retention`, docs/config.md "Retention"). Never a
 * pending or failed outbox row, never a record body an undelivered outbox row references, never a
 * product (the current catalogue), never a quarantined file:
 * - `outbox`: delivered rows delivered before `bodiesBefore` (deleted);
 * - `bodies`: the bodies of orders last changed before `bodiesBefore`, with the bodies of their
 *   shipments, when neither the order nor any of its shipments is still owed and no shipment is newer
 *   (body emptied; id, status and content hash stay for duplicate detection);
 * - `records`: orders (with their shipments) whose bodies are pruned and that last changed before
 *   `idsBefore` (deleted: an order sent again after this counts as new);
 * - `files`: file rows (imported, partial, duplicate, retried; not quarantined) received before `idsBefore`;
 * - `duplicates`: duplicate notes made before `bodiesBefore`;
 * - `exportRuns`: finished export runs started before `bodiesBefore`, except each export's latest;
 * - `notices`: notices first reported before `idsBefore`.
 */
export type PruneTask = 'outbox' | 'bodies' | 'records' | 'files' | 'duplicates' | 'exportRuns' | 'notices';

/** Times as UTC ISO 8601 text (`toISOString()`). */
export interface PruneCutoffs {
  bodiesBefore: string;
  idsBefore: string;
}

/** One SKU's push ids as the ledger keeps them (table push_targets); `ids` is the platform's own JSON. */
export interface PushTargetRow {
  sku: string;
  ean: string | null;
  ids: Record<string, string | number>;
}
