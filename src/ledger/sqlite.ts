import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WharfError } from '../errors.js';
import type {
  BundleProduct, ChannelStatus, FileTrail, RecordTrailResult, ExportContent, ExportRun, FileInfo, FileRow, FileStatus, IntakeTx, LedgerActivity, LedgerSummary, NoticeInput, NoticeKind, NoticeRow, OutboxRow, PruneCutoffs, PruneTask, PushTargetRow, StockKey, StockLevel, StockState, Store,
} from './store.js';
import type { FileRef, LedgerGroup, RecentFilesQuery, OpenCounts, OutboxAction } from './store.js';
import { ACTIVITY_FILES, ACTIVITY_ORDERS, ACTIVITY_OUTBOX, ADDED_COLUMNS, DISMISSED_FILES, DISMISS_FILE, FREEZE_REFERENCES, KEYED_TABLES, QUARANTINED_FILES, NO_BODY, OUTBOX_ROW, SCHEMA_SQL, checkComputed, externalIdOf, outboxBodyText, productLookups, pruneSql, toBundleProduct } from './sql.js';
import { Mutex } from './mutex.js';
import { rowBody, storedColumns } from './packed.js';
import { TRAIL_INDEXES, fileTrail, findFiles, recentFiles, recordTrail, type AllRows } from './trail.js';

type Row = Record<string, unknown>;
/** An export item as a raw row: the columns of ITEM_COLUMNS, in that order. */
type ItemRow = [merchant: string, sku: string, location: string, quantity: number, ean: string | null, asOf: string];
const ITEM_COLUMNS = 'merchant, sku, location, quantity, ean, as_of';
const ASCII = /^[\x00-\x7f]*$/;
let lastNowMs = Number.NaN;
let lastNowIso = '';
/** The time as UTC ISO text; formatted once per millisecond (an intake asks once or twice per record). */
const now = (): string => {
  const ms = Date.now();
  if (ms !== lastNowMs) {
    lastNowMs = ms;
    lastNowIso = new Date(ms).toISOString();
  }
  return lastNowIso;
};
/**
 * A list of keys bound as one JSON array text (`IN (SELECT value FROM json_each(?))`): one prepared
 * statement for any number of keys. An `IN (?,?,…)` list per call was prepared anew each time (its text
 * depends on the count), ~1 ms per 500 keys, 40 prepares in a 10,000-SKU stock push.
 */
const JSON_LIST = '(SELECT value FROM json_each(?))';

/** What a group's view of the store asks of its group. */
interface SqliteGroup {
  readonly open: boolean;
}

/**
 * The embedded ledger: one SQLite file in WAL mode. better-sqlite3 is synchronous, so an intake that
 * streams a large file keeps one explicit transaction open across awaits; the mutex makes every other
 * call of this process wait for it instead of slipping into that transaction.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly mutex = new Mutex();

  constructor(private readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash (kill -9); only an OS crash may lose the last one.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 10000');
      // Statement and savepoint journals (a group commit's per-file savepoints, see `group`) in memory:
      // they only serve rolling back inside this process, never recovery after a crash (the WAL does
      // that), and as temporary files they cost a write system call per page.
      this.db.pragma('temp_store = MEMORY');
      migrate(this.db);
    } catch (err) {
      throw new WharfError('LEDGER_FAILED', `cannot open the SQLite ledger: ${(err as Error).message}`, {
        where: file,
        hint: 'check that the folder is writable and that no other program holds the file',
      });
    }
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing is a measurable share of a small file's intake. */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /**
   * The held levels of a batch of one merchant's keys in SKU order (a warehouse report sorted by SKU,
   * the usual case) read as one range of the primary key instead of a lookup per key. Undefined when
   * the batch is not such a run, or the range holds many more levels than the batch (then per key).
   */
  private stocksInRange(keys: readonly StockKey[]): StockState[] | undefined {
    if (keys.length < 16) return undefined;
    const merchant = keys[0]!.merchant;
    // ASCII only: then JavaScript's order (UTF-16 units) is SQLite's (UTF-8 bytes) and the range is exact.
    if (!ASCII.test(keys[0]!.sku) || !ASCII.test(keys[0]!.location)) return undefined;
    for (let i = 1; i < keys.length; i++) {
      const a = keys[i - 1]!;
      const b = keys[i]!;
      if (b.merchant !== merchant || !ASCII.test(b.sku) || !ASCII.test(b.location) || a.sku > b.sku || (a.sku === b.sku && a.location > b.location)) return undefined;
    }
    const limit = keys.length * 2;
    const rows = this.stmt('SELECT * FROM stock WHERE merchant = ? AND sku >= ? AND sku <= ? ORDER BY sku, location LIMIT ?')
      .all(merchant, keys[0]!.sku, keys[keys.length - 1]!.sku, limit + 1) as Row[];
    if (rows.length > limit) return undefined;
    const wanted = new Set(keys.map((k) => `${k.sku}\u0000${k.location}`));
    const held: StockState[] = [];
    for (const r of rows) if (wanted.has(`${String(r.sku)}\u0000${String(r.location)}`)) held.push(toStockState(r));
    return held;
  }

  /** A prepared statement that returns rows as arrays (cached apart from `stmt`'s, whose rows are objects). */
  private rawStmt(sql: string): Database.Statement {
    const key = `raw:${sql}`;
    let st = this.statements.get(key);
    if (!st) {
      st = this.db.prepare(sql).raw(true);
      this.statements.set(key, st);
    }
    return st;
  }

  /**
   * Set only on a group's view of this store (see `group`): while that group is open, the view's calls
   * run inside its transaction instead of waiting for the mutex the group holds.
   */
  private readonly inGroup: SqliteGroup | undefined = undefined;

  private run<T>(fn: () => T): Promise<T> {
    if (this.inGroup?.open) {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    return this.mutex.run(async () => fn());
  }

  /**
   * A group commit (Store.group): one `BEGIN IMMEDIATE … COMMIT` around several files' intakes, each
   * file in a savepoint (SAVEPOINT / RELEASE, or ROLLBACK TO on failure), so a bad file leaves the
   * others of its group alone. The group holds the mutex while open, like a single intake does.
   */
  group(): LedgerGroup {
    const mutex = this.mutex;
    const db = this.db;
    let release: (() => void) | undefined;
    const end = (sql: 'COMMIT' | 'ROLLBACK') => {
      if (!release) return;
      const done = release;
      release = undefined;
      try {
        if (db.inTransaction) db.exec(sql);
        else if (sql === 'COMMIT') throw new Error('the transaction was rolled back by SQLite (an earlier statement failed with a disk or I/O error)');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw ledgerError(`ledger group ${sql} failed`, err);
      } finally {
        done();
      }
    };
    const group: SqliteGroup & LedgerGroup = {
      get open() {
        return release !== undefined;
      },
      store: undefined as unknown as Store,
      begin: async () => {
        if (release) throw new Error('ledger group already open');
        const held = await mutex.acquire();
        try {
          db.exec('BEGIN IMMEDIATE');
        } catch (err) {
          held();
          throw new WharfError('LEDGER_FAILED', `cannot start a ledger transaction: ${(err as Error).message}`, {}, { retryable: true });
        }
        release = held;
      },
      commit: async () => end('COMMIT'),
      rollback: async () => end('ROLLBACK'),
    };
    // The view shares everything with this store (database, prepared statements, mutex) but its own
    // `inGroup`, which `run` and `beginIntake` consult.
    const view = Object.create(this) as SqliteStore;
    Object.defineProperty(view, 'inGroup', { value: group });
    // The trail queries' runner is a bound field: the view needs its own, or it would wait for the group's mutex.
    Object.defineProperty(view, 'all', { value: ((sql, params) => view.run(() => view.stmt(sql).all(...params) as Row[])) satisfies AllRows });
    Object.defineProperty(group, 'store', { value: view });
    return group;
  }

  findImportedFile(merchant: string, channel: string, sha256: string): Promise<FileRow | undefined> {
    return this.run(() => {
      const row = this.stmt(`SELECT * FROM files WHERE merchant = ? AND channel = ? AND sha256 = ? AND status IN ('imported','partial') ORDER BY id LIMIT 1`)
        .get(merchant, channel, sha256) as Row | undefined;
      return row ? toFileRow(row) : undefined;
    });
  }

  private insertFile(info: FileInfo, status: FileStatus, extra: { error?: string | null; quarantinePath?: string | null; originalId?: number; invalid?: number } = {}): number {
    const res = this.stmt(
        `INSERT INTO files (merchant, channel, name, origin, size, sha256, mapping, trace_id, status, error, quarantine_path, original_id, invalid, received_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(info.merchant, info.channel, info.name, info.origin, info.size, info.sha256, info.mapping, info.traceId, status,
        extra.error ?? null, extra.quarantinePath ?? null, extra.originalId ?? null, extra.invalid ?? 0, now());
    return Number(res.lastInsertRowid);
  }

  recordDuplicateFile(info: FileInfo, originalId: number): Promise<number> {
    return this.run(() => this.insertFile(info, 'duplicate', { originalId }));
  }

  recordQuarantinedFile(info: FileInfo, error: string, quarantinePath: string | null, invalid: number): Promise<number> {
    return this.run(() => this.insertFile(info, 'quarantined', { error, quarantinePath, invalid }));
  }

  async beginIntake(info: FileInfo): Promise<IntakeTx> {
    const db = this.db;
    const grouped = this.inGroup?.open === true;
    // In an open group: a savepoint of the group's transaction (the group holds the mutex); else a transaction of its own.
    const [begin, commitSql, rollbackSql]: [string, string, string] = grouped
      ? ['SAVEPOINT intake', 'RELEASE intake', 'ROLLBACK TO intake; RELEASE intake']
      : ['BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK'];
    // A group whose transaction SQLite rolled back (a disk or I/O error): a savepoint now would open a
    // transaction of its own, committed apart from the group.
    if (grouped && !db.inTransaction) throw new WharfError('LEDGER_FAILED', 'the ledger group was rolled back after an earlier error', {}, { retryable: true });
    const release = grouped ? () => undefined : await this.mutex.acquire();
    let open = true;
    try {
      db.exec(begin);
    } catch (err) {
      release();
      throw new WharfError('LEDGER_FAILED', `cannot start a ledger transaction: ${(err as Error).message}`, {}, { retryable: true });
    }
    let fileId: number;
    try {
      fileId = this.insertFile(info, 'imported');
    } catch (err) {
      if (db.inTransaction) db.exec(rollbackSql);
      release();
      throw ledgerError('cannot record the file', err);
    }
    const getRecord = this.stmt('SELECT kind, merchant, status, hash, version FROM records WHERE id = ?');
    const insertRecord = this.stmt(
      `INSERT INTO records (id, kind, merchant, channel, status, version, hash, body, packed, file_id, record_no, created_at, updated_at, parent_id)
       VALUES (?,?,?,?,?,1,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING`,
    );
    const updateRecord = this.stmt('UPDATE records SET status = ?, version = version + 1, hash = ?, body = ?, packed = ?, file_id = ?, record_no = ?, updated_at = ? WHERE id = ?');
    const freeze = this.stmt(FREEZE_REFERENCES);
    const insertDuplicate = this.stmt('INSERT INTO duplicates (record_id, file_id, changed, at) VALUES (?,?,?,?)');
    const enqueue = this.stmt(
      `INSERT INTO outbox (destination, record_id, merchant, action, body, status, next_attempt_at, created_at, file_id)
       VALUES (?,?,?,?,?,'pending',?,?,?) ON CONFLICT (destination, record_id, action) DO NOTHING`,
    );
    const findEan = this.stmt(PRODUCT_LOOKUPS.skuForEan);
    const finish = (end: 'COMMIT' | 'ROLLBACK') => {
      if (!open) throw new Error('intake transaction already finished');
      open = false;
      try {
        // A disk or I/O error may have made SQLite roll back the whole transaction (a group's too):
        // then there is nothing left to commit, and the group's own commit reports it.
        if (!db.inTransaction) {
          if (end === 'COMMIT') throw new Error('the transaction was rolled back by SQLite after an earlier error');
          return;
        }
        db.exec(end === 'COMMIT' ? commitSql : rollbackSql);
      } catch (err) {
        // A failed COMMIT can leave the transaction (or savepoint) open; end it so the next intake can begin.
        if (db.inTransaction) db.exec(rollbackSql);
        throw ledgerError(`ledger ${end} failed`, err);
      } finally {
        release();
      }
    };
    return {
      fileId,
      getRecord: async (id) => {
        const r = getRecord.get(id) as { kind: string; merchant: string; status: string | null; hash: string; version: number } | undefined;
        return r ? { kind: r.kind, merchant: r.merchant, status: r.status, hash: r.hash, version: Number(r.version) } : undefined;
      },
      insertRecord: async (r) => {
        const t = now();
        const stored = storedColumns(r.kind, r.body);
        return insertRecord.run(r.id, r.kind, r.merchant, r.channel, r.status, r.hash, stored.body, stored.packed, fileId, r.recordNo, t, t, r.parentId ?? null).changes === 1;
      },
      recordBody: async (id) => {
        const r = this.stmt('SELECT body, packed FROM records WHERE id = ?').get(id) as { body: string; packed: unknown } | undefined;
        if (!r) return undefined;
        const body = rowBody(r.body, r.packed, `record ${id}`);
        return body === null ? null : (JSON.parse(body) as Record<string, unknown>);
      },
      childBodies: async (parentId, kind) =>
        (this.stmt(`SELECT id, body, packed FROM records WHERE parent_id = ? AND kind = ? AND body <> '' ORDER BY created_at, id`).all(parentId, kind) as { id: string; body: string; packed: unknown }[])
          .map((r) => JSON.parse(rowBody(r.body, r.packed, `record ${r.id}`) ?? 'null') as Record<string, unknown>),
      productExists: async (merchant, sku) =>
        this.stmt(PRODUCT_LOOKUPS.exists).get(merchant, sku) !== undefined,
      // better-sqlite3 is synchronous: a batch is one pass of prepared statements, with no await per level.
      getStocks: async (keys) => {
        const ranged = this.stocksInRange(keys);
        if (ranged) return ranged;
        const get = this.stmt('SELECT * FROM stock WHERE merchant = ? AND sku = ? AND location = ?');
        const held: StockState[] = [];
        for (const k of keys) {
          const r = get.get(k.merchant, k.sku, k.location) as Row | undefined;
          if (r) held.push(toStockState(r));
        }
        return held;
      },
      writeStock: async (writes) => {
        const insert = this.stmt(
          `INSERT INTO stock (merchant, sku, location, quantity, ean, as_of, file_id, seen_file_id, seen_record_no, updated_at)
           VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
        );
        const set = this.stmt('UPDATE stock SET quantity = ?, ean = ?, as_of = ?, file_id = ?, seen_file_id = ?, seen_record_no = ?, updated_at = ? WHERE merchant = ? AND sku = ? AND location = ?');
        const seen = this.stmt('UPDATE stock SET seen_file_id = ?, seen_record_no = ? WHERE merchant = ? AND sku = ? AND location = ?');
        const t = now();
        const lost: StockKey[] = [];
        for (const w of writes) {
          if (w.op === 'insert') {
            const l = w.level;
            if (insert.run(l.merchant, l.sku, l.location, l.quantity, l.ean, l.asOf, fileId, fileId, w.recordNo, t).changes !== 1) lost.push(l);
          } else if (w.op === 'set') {
            const l = w.level;
            set.run(l.quantity, l.ean, l.asOf, fileId, fileId, w.recordNo, t, l.merchant, l.sku, l.location);
          } else {
            seen.run(fileId, w.recordNo, w.key.merchant, w.key.sku, w.key.location);
          }
        }
        return lost;
      },
      zeroUnlistedStock: async (merchant, locations, asOf) => {
        const zero = this.stmt(
          `UPDATE stock SET quantity = 0, as_of = ?, file_id = ?, updated_at = ?
           WHERE merchant = ? AND location = ? AND seen_file_id <> ? AND quantity <> 0 AND as_of <= ?`,
        );
        const t = now();
        return locations.reduce((n, loc) => n + zero.run(asOf, fileId, t, merchant, loc, fileId, asOf).changes, 0);
      },
      updateRecord: async (r) => {
        freeze.run(r.id, r.id);
        const stored = storedColumns(r.kind, r.body);
        updateRecord.run(r.status, r.hash, stored.body, stored.packed, fileId, r.recordNo, now(), r.id);
      },
      addDuplicate: async (recordId, changed) => {
        insertDuplicate.run(recordId, fileId, changed ? 1 : 0, now());
      },
      enqueue: async (o) => {
        const t = now();
        enqueue.run(o.destination, o.recordId, o.merchant, o.action, o.body ?? NO_BODY, t, t, fileId);
      },
      addSeen: async (scope: string, key: string) => {
        this.stmt('INSERT INTO seen (scope, key, at) VALUES (?,?,?) ON CONFLICT DO NOTHING').run(scope, key, now());
      },
      productSkuForEan: async (merchant: string, ean: string, exceptSku: string) => {
        const row = findEan.get(merchant, ean, exceptSku) as { sku: string } | undefined;
        return row?.sku;
      },
      commit: async (result) => {
        try {
          this.stmt('UPDATE files SET status = ?, records = ?, duplicates = ?, invalid = ?, error = ?, quarantine_path = ? WHERE id = ?').run(
            result.status, result.records, result.duplicates, result.invalid, result.error ?? null, result.quarantinePath ?? null, fileId,
          );
        } catch (err) {
          finish('ROLLBACK');
          throw ledgerError('cannot record the file status', err);
        }
        finish('COMMIT');
      },
      rollback: async () => {
        if (open) finish('ROLLBACK');
      },
    };
  }

  getFile(id: number): Promise<FileRow | undefined> {
    return this.run(() => {
      const row = this.stmt('SELECT * FROM files WHERE id = ?').get(id) as Row | undefined;
      return row ? toFileRow(row) : undefined;
    });
  }

  listQuarantined(): Promise<FileRow[]> {
    return this.run(() =>
      (this.stmt(QUARANTINED_FILES).all() as Row[]).map(toFileRow),
    );
  }

  setQuarantinePath(id: number, quarantinePath: string | null): Promise<void> {
    return this.run(() => {
      this.stmt('UPDATE files SET quarantine_path = ? WHERE id = ?').run(quarantinePath, id);
    });
  }

  markRetried(id: number, retriedAs?: number): Promise<void> {
    return this.run(() => {
      // A partially accepted file keeps its 'partial' status for the records it brought; only its
      // quarantine entry is cleared.
      this.stmt(`UPDATE files SET status = CASE WHEN status = 'quarantined' THEN 'retried' ELSE status END, quarantine_path = NULL, retried_as = COALESCE(?, retried_as) WHERE id = ?`).run(retriedAs ?? null, id);
    });
  }

  dismissFile(id: number, note: string): Promise<boolean> {
    return this.run(() => this.stmt(DISMISS_FILE).run(note, now(), id).changes > 0);
  }

  activitySince(since: string): Promise<LedgerActivity> {
    return this.run(() => activityOf(
      this.stmt(SQLITE_ACTIVITY_FILES).all(since) as Row[], this.stmt(SQLITE_ACTIVITY_ORDERS).all(since) as Row[], this.stmt(ACTIVITY_OUTBOX).all() as Row[],
    ));
  }

  dueDeliveries(destination: string, limit: number, at = new Date()): Promise<OutboxRow[]> {
    // The ids first, then the rows: selected together, SQLite computed every due row's columns (the
    // body looked up from its record) before sorting them by id and keeping `limit` — a page of 200
    // read all 10,000 pending bodies.
    return this.run(() =>
      (this.stmt(`SELECT ${OUTBOX_ROW} FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE destination = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?) ORDER BY id`)
        .all(destination, at.toISOString(), limit) as Row[]).map(toOutboxRow),
    );
  }

  nextBatchFile(destination: string, at = new Date()): Promise<number | undefined> {
    // `+next_attempt_at`: walks outbox_by_file in file order and stops at the first due row, instead
    // of reading every due row through outbox_due for their minimum (a call per batch file). Rows
    // without a file (MIN skipped them; ORDER BY puts NULL first) are left out.
    return this.run(() => {
      const row = this.stmt(`SELECT file_id AS f FROM outbox WHERE destination = ? AND status = 'pending' AND file_id IS NOT NULL AND +next_attempt_at <= ? ORDER BY file_id LIMIT 1`)
        .get(destination, at.toISOString()) as { f: number | null } | undefined;
      return row?.f ?? undefined;
    });
  }

  batchPage(destination: string, fileId: number, afterId: number, limit: number): Promise<OutboxRow[]> {
    return this.run(() =>
      (this.stmt(`SELECT ${OUTBOX_ROW} FROM outbox WHERE destination = ? AND status = 'pending' AND file_id = ? AND id > ? ORDER BY id LIMIT ?`)
        .all(destination, fileId, afterId, limit) as Row[]).map(toOutboxRow),
    );
  }

  markDeliverySending(id: number): Promise<void> {
    return this.run(() => {
      this.stmt(`UPDATE outbox SET sending_at = ? WHERE id = ? AND status = 'pending'`).run(now(), id);
    });
  }

  markDelivered(ids: number[], fileName: string): Promise<void> {
    return this.run(() => {
      const stmt = this.stmt(`UPDATE outbox SET status = 'delivered', delivered_at = ?, file_name = ?, attempts = attempts + 1, last_error = NULL, sending_at = NULL WHERE id = ?`);
      const t = now();
      this.db.transaction(() => ids.forEach((id) => stmt.run(t, fileName, id)))();
    });
  }

  markDeliveredEach(items: { id: number; fileName: string }[]): Promise<void> {
    return this.run(() => {
      const stmt = this.stmt(`UPDATE outbox SET status = 'delivered', delivered_at = ?, file_name = ?, attempts = attempts + 1, last_error = NULL, sending_at = NULL WHERE id = ?`);
      const t = now();
      if (items.length > 0) this.db.transaction(() => items.forEach((x) => stmt.run(t, x.fileName, x.id)))();
    });
  }

  markDeliveryFailed(id: number, error: string, retryAt: Date | null): Promise<void> {
    return this.run(() => {
      if (retryAt) {
        this.stmt('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, sending_at = NULL WHERE id = ?').run(error, retryAt.toISOString(), id);
      } else {
        this.stmt(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, status = 'failed', sending_at = NULL WHERE id = ?`).run(error, id);
      }
    });
  }

  deliveryState(id: number): Promise<OutboxRow['status'] | undefined> {
    return this.run(() => (this.stmt('SELECT status FROM outbox WHERE id = ?').get(id) as { status: OutboxRow['status'] } | undefined)?.status);
  }

  requeueFailedDeliveries(ids: number[] | 'all'): Promise<number> {
    return this.run(() => {
      const t = now();
      if (ids === 'all') return this.stmt(`UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE status = 'failed'`).run(t).changes;
      const stmt = this.stmt(`UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE status = 'failed' AND id = ?`);
      return this.db.transaction(() => ids.reduce((n, id) => n + stmt.run(t, id).changes, 0))();
    });
  }

  recordPoll(merchant: string, channel: string, result: { ok: true; inFlight?: number } | { ok: false; error: string }): Promise<void> {
    return this.run(() => {
      const t = now();
      this.stmt('INSERT INTO channel_runs (merchant, channel) VALUES (?, ?) ON CONFLICT DO NOTHING').run(merchant, channel);
      if (result.ok) {
        this.stmt('UPDATE channel_runs SET last_poll_at = ?, last_ok_at = ?, in_flight = ? WHERE merchant = ? AND channel = ?').run(t, t, result.inFlight ?? 0, merchant, channel);
      } else {
        this.stmt('UPDATE channel_runs SET last_poll_at = ?, last_error = ?, last_error_at = ? WHERE merchant = ? AND channel = ?').run(t, result.error, t, merchant, channel);
      }
    });
  }

  getCursor(key: string): Promise<string | undefined> {
    return this.run(() => (this.stmt('SELECT value FROM cursors WHERE key = ?').get(key) as { value: string } | undefined)?.value);
  }

  setCursor(key: string, value: string): Promise<void> {
    return this.run(() => {
      this.stmt('INSERT INTO cursors (key, value, updated_at) VALUES (?,?,?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(key, value, now());
    });
  }

  hasSeen(scope: string, key: string): Promise<boolean> {
    return this.run(() => this.stmt('SELECT 1 FROM seen WHERE scope = ? AND key = ?').get(scope, key) !== undefined);
  }

  addSeen(scope: string, key: string): Promise<void> {
    return this.run(() => {
      this.stmt('INSERT INTO seen (scope, key, at) VALUES (?,?,?) ON CONFLICT DO NOTHING').run(scope, key, now());
    });
  }

  removeSeen(scope: string, key: string): Promise<void> {
    return this.run(() => {
      this.stmt('DELETE FROM seen WHERE scope = ? AND key = ?').run(scope, key);
    });
  }

  syncNotices(merchant: string, channel: string, kinds: NoticeKind[], current: NoticeInput[]): Promise<NoticeInput[]> {
    return this.run(() =>
      this.db.transaction(() => {
        const keep = new Set(current.map((n) => n.key));
        const existing = this.stmt('SELECT key, kind FROM notices WHERE merchant = ? AND channel = ?').all(merchant, channel) as { key: string; kind: string }[];
        const del = this.stmt('DELETE FROM notices WHERE merchant = ? AND channel = ? AND key = ?');
        for (const e of existing) if (kinds.includes(e.kind as NoticeKind) && !keep.has(e.key)) del.run(merchant, channel, e.key);
        const insert = this.stmt('INSERT INTO notices (merchant, channel, key, kind, file, message, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING');
        const t = now();
        return current.filter((n) => insert.run(merchant, channel, n.key, n.kind, n.file, n.message, t).changes > 0);
      })(),
    );
  }

  removeNotice(merchant: string, channel: string, key: string): Promise<boolean> {
    return this.run(() => this.stmt('DELETE FROM notices WHERE merchant = ? AND channel = ? AND key = ?').run(merchant, channel, key).changes > 0);
  }

  importedRecords(merchant: string, channel: string, sha256: string, limit: number): Promise<{ fileId: number; ids: string[]; more: number } | undefined> {
    return this.run(() => {
      const file = this.stmt(`SELECT id FROM files WHERE merchant = ? AND channel = ? AND sha256 = ? AND status IN ('imported','partial') ORDER BY id LIMIT 1`).get(merchant, channel, sha256) as { id: number | bigint } | undefined;
      if (!file) return undefined;
      const fileId = Number(file.id);
      const rows = this.stmt('SELECT id, body, packed FROM records WHERE file_id = ? ORDER BY record_no, id LIMIT ?').all(fileId, limit) as { id: string; body: string; packed: unknown }[];
      const total = Number((this.stmt('SELECT COUNT(*) AS n FROM records WHERE file_id = ?').get(fileId) as { n: number | bigint }).n);
      return { fileId, ids: rows.map(externalIdOf), more: Math.max(0, total - rows.length) };
    });
  }

  addNotice(merchant: string, channel: string, n: NoticeInput): Promise<boolean> {
    return this.run(() =>
      this.stmt('INSERT INTO notices (merchant, channel, key, kind, file, message, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING')
        .run(merchant, channel, n.key, n.kind, n.file, n.message, now()).changes > 0,
    );
  }

  stockPage(merchant: string, after: { sku: string; location: string } | undefined, limit: number): Promise<StockLevel[]> {
    return this.run(() => {
      const rows = after
        ? this.stmt('SELECT * FROM stock WHERE merchant = ? AND (sku, location) > (?, ?) ORDER BY sku, location LIMIT ?').all(merchant, after.sku, after.location, limit)
        : this.stmt('SELECT * FROM stock WHERE merchant = ? ORDER BY sku, location LIMIT ?').all(merchant, limit);
      return (rows as Row[]).map(toStockLevel);
    });
  }

  bundleProductsPage(merchant: string, afterId: string | undefined, limit: number): Promise<BundleProduct[]> {
    return this.run(() =>
      (this.stmt(
        `SELECT id, channel, body FROM records WHERE kind = 'product' AND merchant = ? AND id > ?
           AND json_array_length(body, '$.components') > 0 ORDER BY id LIMIT ?`,
      ).all(merchant, afterId ?? '', limit) as { id: string; channel: string; body: string }[]).map(toBundleProduct),
    );
  }

  claimExportRun(run: { export: string; scheduledAt: string; fileName: string }, content: ExportContent): Promise<{ run: ExportRun; created: boolean }> {
    return this.run(() =>
      this.db.transaction(() => {
        const t = now();
        const existing = this.stmt('SELECT * FROM export_runs WHERE export = ? AND scheduled_at = ?').get(run.export, run.scheduledAt) as Row | undefined;
        if (existing && existing.status !== 'failed') return { run: toExportRun(existing), created: false };
        if (content.kind === 'stock') checkComputed(content.merchant, content.computed);
        const id = existing
          ? Number(existing.id)
          : Number(this.stmt(`INSERT INTO export_runs (export, scheduled_at, file_name, status, started_at) VALUES (?,?,?,'claimed',?)`).run(run.export, run.scheduledAt, run.fileName, t).lastInsertRowid);
        let items: number;
        if (content.kind === 'stock') {
          // A full run sends every level and leaves no baseline behind (see ExportContent).
          if (content.mode === 'full') this.stmt('DELETE FROM export_baseline WHERE export = ?').run(run.export);
          const replaces = JSON.stringify(content.computed?.replaces ?? []);
          items = this.stmt(
            `INSERT INTO export_items (run_id, merchant, sku, location, quantity, ean, as_of)
             SELECT ?, s.merchant, s.sku, s.location, s.quantity, s.ean, s.as_of FROM stock s
             LEFT JOIN export_baseline b ON b.export = ? AND b.sku = s.sku AND b.location = s.location
             WHERE s.merchant = ? AND s.sku NOT IN (SELECT value FROM json_each(?))
               AND (? = 'full' OR b.quantity IS NULL OR b.quantity <> s.quantity)`,
          ).run(id, run.export, content.merchant, replaces, content.mode).changes;
          // Computed levels: the same rule against the same baseline.
          const computed = this.stmt(
            `INSERT INTO export_items (run_id, merchant, sku, location, quantity, ean, as_of)
             SELECT ?, ?, ?, ?, ?, ?, ? WHERE ? = 'full' OR NOT EXISTS (
               SELECT 1 FROM export_baseline b WHERE b.export = ? AND b.sku = ? AND b.location = ? AND b.quantity = ?)`,
          );
          for (const l of content.computed?.levels ?? []) {
            items += computed.run(id, content.merchant, l.sku, l.location, l.quantity, l.ean, l.asOf, content.mode, run.export, l.sku, l.location, l.quantity).changes;
          }
        } else {
          items = this.stmt(`UPDATE outbox SET run_id = ? WHERE destination = ? AND status = 'pending' AND run_id IS NULL`).run(id, content.destination).changes;
        }
        this.stmt(`UPDATE export_runs SET status = 'claimed', file_name = ?, items = ?, error = NULL, started_at = ?, finished_at = NULL, mode = ? WHERE id = ?`)
          .run(run.fileName, items, t, content.kind === 'stock' ? content.mode : null, id);
        return { run: toExportRun(this.stmt('SELECT * FROM export_runs WHERE id = ?').get(id) as Row), created: true };
      })(),
    );
  }

  exportItemsPage(runId: number, after: { sku: string; location: string } | undefined, limit: number): Promise<StockLevel[]> {
    return this.run(() => {
      // Rows as arrays (better-sqlite3's raw mode): no object per row to build and take apart again.
      const rows = (after
        ? this.rawStmt(`SELECT ${ITEM_COLUMNS} FROM export_items WHERE run_id = ? AND (sku, location) > (?, ?) ORDER BY sku, location LIMIT ?`).all(runId, after.sku, after.location, limit)
        : this.rawStmt(`SELECT ${ITEM_COLUMNS} FROM export_items WHERE run_id = ? ORDER BY sku, location LIMIT ?`).all(runId, limit)) as ItemRow[];
      const levels: StockLevel[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        levels[i] = { merchant: r[0], sku: r[1], location: r[2], quantity: r[3], ean: r[4], asOf: r[5] };
      }
      return levels;
    });
  }

  exportRowsPage(runId: number, afterId: number, limit: number): Promise<OutboxRow[]> {
    return this.run(() => (this.stmt(`SELECT ${OUTBOX_ROW} FROM outbox WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?`).all(runId, afterId, limit) as Row[]).map(toOutboxRow));
  }

  finishExportRun(runId: number): Promise<boolean> {
    return this.run(() =>
      this.db.transaction(() => {
        const run = this.stmt(`SELECT * FROM export_runs WHERE id = ? AND status = 'claimed'`).get(runId) as Row | undefined;
        if (!run) return false;
        const t = now();
        if (run.mode !== 'full') {
          this.stmt(
            `INSERT INTO export_baseline (export, sku, location, quantity) SELECT ?, sku, location, quantity FROM export_items WHERE run_id = ?
             ON CONFLICT (export, sku, location) DO UPDATE SET quantity = excluded.quantity`,
          ).run(run.export, runId);
        }
        this.stmt('DELETE FROM export_items WHERE run_id = ?').run(runId);
        this.stmt(`UPDATE outbox SET status = 'delivered', delivered_at = ?, file_name = ?, attempts = attempts + 1, last_error = NULL WHERE run_id = ? AND status = 'pending'`).run(t, run.file_name, runId);
        this.stmt(`UPDATE export_runs SET status = 'done', finished_at = ? WHERE id = ?`).run(t, runId);
        return true;
      })(),
    );
  }

  failExportRun(runId: number, error: string): Promise<void> {
    return this.run(() =>
      this.db.transaction(() => {
        this.stmt(`UPDATE export_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'claimed'`).run(error, now(), runId);
        this.stmt('DELETE FROM export_items WHERE run_id = ?').run(runId);
        this.stmt(`UPDATE outbox SET run_id = NULL WHERE run_id = ? AND status = 'pending'`).run(runId);
      })(),
    );
  }

  exportRunsNamed(exportKey: string, fileNames: string[]): Promise<ExportRun[]> {
    if (fileNames.length === 0) return Promise.resolve([]);
    return this.run(() => {
      const rows = this.db.prepare(`SELECT * FROM export_runs WHERE export = ? AND file_name IN (${fileNames.map(() => '?').join(',')}) ORDER BY id`).all(exportKey, ...fileNames) as Row[];
      return rows.map(toExportRun);
    });
  }

  lastExportRuns(exports?: string[]): Promise<ExportRun[]> {
    return this.run(() => {
      const rows = this.stmt(
        `SELECT r.* FROM export_runs r WHERE r.scheduled_at = (SELECT MAX(x.scheduled_at) FROM export_runs x WHERE x.export = r.export) ORDER BY r.export`,
      ).all() as Row[];
      return rows.map(toExportRun).filter((r) => !exports || exports.includes(r.export));
    });
  }

  pendingCount(destination: string): Promise<number> {
    return this.run(() => Number((this.stmt(`SELECT COUNT(*) AS n FROM outbox WHERE destination = ? AND status = 'pending'`).get(destination) as Row).n));
  }

  openCounts(destinations: readonly string[]): Promise<OpenCounts> {
    return this.run(() => {
      const byDestination = this.stmt(`SELECT destination, merchant, action, status, COUNT(*) AS n FROM outbox WHERE destination = ? AND status IN ('pending', 'failed') GROUP BY merchant, action, status`);
      const outbox = [...new Set(destinations)].flatMap((d) => (byDestination.all(d) as Row[]).map(toOpenOutbox));
      const quarantined = (this.stmt(`SELECT merchant, channel, COUNT(*) AS n FROM files WHERE status IN ('quarantined', 'partial') AND (status = 'quarantined' OR quarantine_path IS NOT NULL) GROUP BY merchant, channel`).all() as Row[])
        .map((r) => ({ merchant: String(r.merchant), channel: String(r.channel), n: Number(r.n) }));
      return { outbox, quarantined };
    });
  }

  upsertPushTargets(channel: string, targets: PushTargetRow[]): Promise<void> {
    return this.run(() => {
      const stmt = this.stmt(`INSERT INTO push_targets (channel, sku, ean, ids, updated_at) VALUES (?,?,?,?,?)
        ON CONFLICT (channel, sku) DO UPDATE SET ean = excluded.ean, ids = excluded.ids, updated_at = excluded.updated_at`);
      const t = now();
      this.db.transaction(() => targets.forEach((x) => stmt.run(channel, x.sku, x.ean, JSON.stringify(x.ids), t)))();
    });
  }

  pushTargets(channel: string, skus: string[]): Promise<Map<string, PushTargetRow>> {
    return this.run(() => {
      const out = new Map<string, PushTargetRow>();
      const rows = this.stmt(`SELECT sku, ean, ids FROM push_targets WHERE channel = ? AND sku IN ${JSON_LIST}`).all(channel, JSON.stringify(skus)) as { sku: string; ean: string | null; ids: string }[];
      for (const r of rows) out.set(r.sku, { sku: r.sku, ean: r.ean, ids: JSON.parse(r.ids) as PushTargetRow['ids'] });
      return out;
    });
  }

  pushTargetsByEan(channel: string, eans: string[]): Promise<PushTargetRow[]> {
    return this.run(() => {
      const rows = this.stmt(`SELECT sku, ean, ids FROM push_targets WHERE channel = ? AND ean IN ${JSON_LIST}`).all(channel, JSON.stringify(eans)) as { sku: string; ean: string | null; ids: string }[];
      return rows.map((r) => ({ sku: r.sku, ean: r.ean, ids: JSON.parse(r.ids) as PushTargetRow['ids'] }));
    });
  }

  pushedStock(channel: string, skus: string[]): Promise<Map<string, number>> {
    return this.run(() => {
      const out = new Map<string, number>();
      const rows = this.stmt(`SELECT sku, quantity FROM push_stock WHERE channel = ? AND sku IN ${JSON_LIST}`).all(channel, JSON.stringify(skus)) as { sku: string; quantity: number }[];
      for (const r of rows) out.set(r.sku, Number(r.quantity));
      return out;
    });
  }

  setPushedStock(channel: string, rows: { sku: string; quantity: number }[], at: string): Promise<void> {
    return this.run(() => {
      const stmt = this.stmt(`INSERT INTO push_stock (channel, sku, quantity, pushed_at) VALUES (?,?,?,?)
        ON CONFLICT (channel, sku) DO UPDATE SET quantity = excluded.quantity, pushed_at = excluded.pushed_at`);
      this.db.transaction(() => rows.forEach((r) => stmt.run(channel, r.sku, r.quantity, at)))();
    });
  }

  takeLease(name: string, holder: string, expiresAt: string, now: string, replacing?: string): Promise<{ ok: true } | { ok: false; holder: string; expiresAt: string }> {
    return this.run(() => {
      const taken = this.stmt(`INSERT INTO leases (name, holder, expires_at) VALUES (?,?,?)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at < ? OR leases.holder = ?`).run(name, holder, expiresAt, now, replacing ?? holder).changes;
      if (taken > 0) return { ok: true as const };
      const row = this.stmt('SELECT holder, expires_at FROM leases WHERE name = ?').get(name) as { holder: string; expires_at: string } | undefined;
      return { ok: false as const, holder: row?.holder ?? '?', expiresAt: row?.expires_at ?? '?' };
    });
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.run(() => {
      this.stmt('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder);
    });
  }

  clearPushedStock(channel: string): Promise<number> {
    return this.run(() => this.stmt('DELETE FROM push_stock WHERE channel = ?').run(channel).changes);
  }

  pruneStep(task: PruneTask, after: string | number | null, cutoffs: PruneCutoffs, limit: number): Promise<{ changed: number; next: string | number | null }> {
    const sql = pruneSql(task, '', '');
    const cutoff = task === 'records' || task === 'files' || task === 'notices' ? cutoffs.idsBefore : cutoffs.bodiesBefore;
    return this.run(() =>
      this.db.transaction(() => {
        if (task === 'notices') return { changed: this.stmt(sql.apply[0]!).run(cutoff).changes, next: null };
        const lo = after ?? (sql.table === 'records' ? '' : 0);
        const hi = (this.stmt(sql.chunk).get(lo, limit) as { hi: string | number | null }).hi;
        if (hi === null) return { changed: 0, next: null };
        let changed = 0;
        if (sql.pick) {
          const ids = (this.stmt(sql.pick).all(lo, hi, cutoff, cutoff) as { id: string }[]).map((r) => r.id);
          if (ids.length > 0) {
            const json = JSON.stringify(ids);
            for (const st of sql.apply) changed += this.stmt(st.replace('IN (IDS)', 'IN (SELECT value FROM json_each(?))')).run(json).changes;
          }
        } else {
          for (const st of sql.apply) changed += this.stmt(st).run(lo, hi, cutoff).changes;
        }
        return { changed, next: hi };
      })(),
    );
  }

  size(): Promise<number> {
    const bytes = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0; // no WAL file (checkpointed and removed)
      }
    };
    return Promise.resolve(bytes(this.file) + bytes(`${this.file}-wal`));
  }

  summary(): Promise<LedgerSummary> {
    return this.run(() => {
      const notices = (this.stmt('SELECT * FROM notices ORDER BY at DESC, key LIMIT 200').all() as Row[]).map(toNoticeRow);
      const runs = this.stmt('SELECT * FROM channel_runs').all() as Row[];
      const fileCounts = this.stmt('SELECT merchant, channel, status, COUNT(*) AS n, SUM(records) AS records FROM files GROUP BY merchant, channel, status').all() as Row[];
      const dupCounts = this.stmt('SELECT r.merchant, r.channel, COUNT(*) AS n FROM duplicates d JOIN records r ON r.id = d.record_id GROUP BY r.merchant, r.channel').all() as Row[];
      const outbox = this.stmt('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as Row[];
      const failed = (this.stmt(`SELECT ${OUTBOX_ROW} FROM outbox WHERE status = 'failed' OR (status = 'pending' AND attempts > 0) ORDER BY id LIMIT 100`).all() as Row[]).map(toOutboxRow);
      const quarantined = (this.stmt(QUARANTINED_FILES).all() as Row[]).map(toFileRow);
      const dups = this.stmt('SELECT d.record_id, f.name, d.at, d.changed FROM duplicates d JOIN files f ON f.id = d.file_id ORDER BY d.id DESC LIMIT 20').all() as Row[];
      const dismissed = (this.stmt(DISMISSED_FILES).all() as Row[]).map(toFileRow);
      return buildSummary(runs, fileCounts, dupCounts, outbox, failed, quarantined, dups, notices, dismissed);
    });
  }


  /** The trail queries' runner (src/ledger/trail.ts): each statement under the mutex, so none slips into an open intake. */
  private readonly all: AllRows = (sql, params) => this.run(() => this.stmt(sql).all(...params) as Row[]);

  findFiles(ref: FileRef): Promise<FileRow[]> {
    return findFiles(this.all, ref);
  }

  recentFiles(q: RecentFilesQuery): Promise<FileRow[]> {
    return recentFiles(this.all, q);
  }

  fileTrail(fileId: number, limit: number): Promise<FileTrail> {
    return fileTrail(this.all, fileId, limit);
  }

  recordTrail(recordId: string): Promise<RecordTrailResult | undefined> {
    return recordTrail(this.all, recordId);
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => this.db.close());
  }
}

/** One row of openCounts' outbox query (same columns in both stores). */
export function toOpenOutbox(r: Row): OpenCounts['outbox'][number] {
  return { destination: String(r.destination), merchant: String(r.merchant), action: r.action as OutboxAction, status: r.status as 'pending' | 'failed', n: Number(r.n) };
}

export function toFileRow(r: Row): FileRow {
  return {
    id: Number(r.id), merchant: String(r.merchant), channel: String(r.channel), name: String(r.name), origin: String(r.origin),
    size: Number(r.size), sha256: String(r.sha256), mapping: String(r.mapping), traceId: String(r.trace_id),
    status: r.status as FileStatus, records: Number(r.records), duplicates: Number(r.duplicates), invalid: Number(r.invalid),
    error: (r.error as string | null) ?? null, quarantinePath: (r.quarantine_path as string | null) ?? null, receivedAt: String(r.received_at),
    note: (r.note as string | null | undefined) ?? null, dismissedAt: (r.dismissed_at as string | null | undefined) ?? null,
    retriedAs: r.retried_as === null || r.retried_as === undefined ? null : Number(r.retried_as),
  };
}

/**
 * An outbox row read from either store. A pruned body throws here (outboxBodyText); the body is parsed
 * from its text when first read (a batch file of canonical NDJSON copies `bodyJson` and never parses it).
 */
export function toOutboxRow(r: Row): OutboxRow {
  const bodyJson = outboxBodyText(r as { id: unknown; record_id: unknown; body: unknown; packed?: unknown });
  let body: Record<string, unknown> | undefined;
  return {
    id: Number(r.id), destination: String(r.destination), recordId: String(r.record_id), merchant: String(r.merchant),
    action: r.action as OutboxRow['action'], attempts: Number(r.attempts), status: r.status as OutboxRow['status'],
    lastError: (r.last_error as string | null) ?? null, fileId: r.file_id === null || r.file_id === undefined ? null : Number(r.file_id),
    get body(): Record<string, unknown> {
      return (body ??= JSON.parse(bodyJson) as Record<string, unknown>);
    },
    bodyJson,
    sendingSince: (r.sending_at as string | null | undefined) ?? null,
  };
}

export function toExportRun(r: Row): ExportRun {
  return {
    id: Number(r.id), export: String(r.export), scheduledAt: String(r.scheduled_at), fileName: String(r.file_name), status: r.status as ExportRun['status'],
    items: Number(r.items), error: (r.error as string | null) ?? null, startedAt: String(r.started_at), finishedAt: (r.finished_at as string | null) ?? null,
  };
}

export function toStockLevel(r: Row): StockLevel {
  return { merchant: String(r.merchant), sku: String(r.sku), location: String(r.location), quantity: Number(r.quantity), ean: (r.ean as string | null) ?? null, asOf: String(r.as_of) };
}

export function toStockState(r: Row): StockState {
  return { ...toStockLevel(r), seenFileId: Number(r.seen_file_id), seenRecordNo: Number(r.seen_record_no) };
}

export function toNoticeRow(r: Row): NoticeRow {
  return { merchant: String(r.merchant), channel: String(r.channel), key: String(r.key), kind: r.kind as NoticeRow['kind'], file: String(r.file), message: String(r.message), at: String(r.at) };
}

/** Shapes raw aggregate rows (same column names in both stores) into the status summary. */
export function buildSummary(runs: Row[], fileCounts: Row[], dupCounts: Row[], outbox: Row[], failed: OutboxRow[], quarantined: FileRow[], dups: Row[], notices: NoticeRow[], dismissed: FileRow[]): LedgerSummary {
  const channels = new Map<string, ChannelStatus>();
  const get = (merchant: string, channel: string): ChannelStatus => {
    const key = `${merchant}/${channel}`;
    let c = channels.get(key);
    if (!c) {
      c = { merchant, channel, lastPollAt: null, lastOkAt: null, lastError: null, lastErrorAt: null, inFlight: 0,
        files: { imported: 0, partial: 0, duplicate: 0, quarantined: 0, retried: 0, dismissed: 0 }, records: 0, duplicateRecords: 0, notices: 0 };
      channels.set(key, c);
    }
    return c;
  };
  for (const r of runs) {
    const c = get(String(r.merchant), String(r.channel));
    c.lastPollAt = (r.last_poll_at as string | null) ?? null;
    c.lastOkAt = (r.last_ok_at as string | null) ?? null;
    c.lastError = (r.last_error as string | null) ?? null;
    c.lastErrorAt = (r.last_error_at as string | null) ?? null;
    c.inFlight = Number(r.in_flight ?? 0);
  }
  for (const r of fileCounts) {
    const c = get(String(r.merchant), String(r.channel));
    c.files[r.status as FileStatus] = Number(r.n);
    if (r.status === 'imported' || r.status === 'partial') c.records += Number(r.records ?? 0);
  }
  for (const r of dupCounts) get(String(r.merchant), String(r.channel)).duplicateRecords = Number(r.n);
  for (const n of notices) get(n.merchant, n.channel).notices++;
  const count = (s: string) => Number(outbox.find((r) => r.status === s)?.n ?? 0);
  return {
    channels: [...channels.values()].sort((a, b) => `${a.merchant}/${a.channel}`.localeCompare(`${b.merchant}/${b.channel}`)),
    notices,
    quarantined,
    outbox: { pending: count('pending'), failed: count('failed'), delivered: count('delivered') },
    failedDeliveries: failed,
    dismissed,
    recentDuplicates: dups.map((d) => ({ recordId: String(d.record_id), fileName: String(d.name), at: String(d.at), changed: Number(d.changed) === 1 })),
  };
}

// Without statistics SQLite's planner reads the whole files table through files_by_hash (for the GROUP
// BY) and every warehouse order delivery; told to start from today's files (files_by_received, then
// outbox_by_file per file), the overview costs what today brought, not the ledger's size.
const SQLITE_ACTIVITY_FILES = ACTIVITY_FILES.replace('FROM files WHERE', 'FROM files INDEXED BY files_by_received WHERE');
const SQLITE_ACTIVITY_ORDERS = ACTIVITY_ORDERS.replace('FROM files f JOIN outbox o', 'FROM files f INDEXED BY files_by_received CROSS JOIN outbox o');

/** Shapes the rows of the ACTIVITY_* queries (same column names in both stores) into LedgerActivity. */
export function activityOf(files: Row[], orders: Row[], outbox: Row[]): LedgerActivity {
  const channels = new Map<string, LedgerActivity['channels'][number]>();
  const channel = (r: Row) => {
    const key = `${String(r.merchant)}/${String(r.channel)}`;
    let c = channels.get(key);
    if (!c) channels.set(key, (c = { merchant: String(r.merchant), channel: String(r.channel), files: 0, orders: 0 }));
    return c;
  };
  for (const r of files) channel(r).files = Number(r.n);
  for (const r of orders) channel(r).orders = Number(r.n);
  const dests = new Map<string, LedgerActivity['outbox'][number]>();
  for (const r of outbox) {
    const key = `${String(r.merchant)}\u0000${String(r.destination)}`;
    let d = dests.get(key);
    if (!d) dests.set(key, (d = { merchant: String(r.merchant), destination: String(r.destination), pending: 0, failed: 0 }));
    if (r.status === 'pending') d.pending = Number(r.n);
    else if (r.status === 'failed') d.failed = Number(r.n);
  }
  return { channels: [...channels.values()], outbox: [...dests.values()] };
}

/** The product lookups of intake, with their indexes (see productLookups). */
export const PRODUCT_LOOKUPS = productLookups((f) => `json_extract(body, '$.${f}')`, () => '?');

/** Creates the tables; adds columns that later versions introduced to an older ledger file, rebuilds the keyed tables WITHOUT ROWID. */
function migrate(db: Database.Database): void {
  for (const [table, column, type] of ADDED_COLUMNS) {
    const columns = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[];
    if (columns.length > 0 && !columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
  for (const table of KEYED_TABLES('TEXT', WITHOUT_ROWID)) rebuildWithoutRowid(db, table);
  db.exec(SCHEMA_SQL('INTEGER PRIMARY KEY', 'TEXT', WITHOUT_ROWID));
  db.exec(PRODUCT_LOOKUPS.indexes);
  db.exec(TRAIL_INDEXES);
}

const WITHOUT_ROWID = ' WITHOUT ROWID';

/**
 * The keyed tables (KEYED_TABLES) are WITHOUT ROWID tables since 2026-11-30 (export_items) and
 * 2026-12-01 (stock, export_baseline, push_stock): an older ledger's rowid table is rebuilt as one, in
 * one transaction, keeping its rows (current stock levels, the content of a claimed run not yet
 * finished, which a restart must render again unchanged).
 */
function rebuildWithoutRowid(db: Database.Database, table: { name: string; sql: string; columns: string }): void {
  const isOld = () => {
    const t = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table.name) as { sql: string } | undefined;
    return t !== undefined && !/WITHOUT\s+ROWID/i.test(t.sql);
  };
  if (!isOld()) return;
  db.transaction(() => {
    if (!isOld()) return; // another process rebuilt it meanwhile
    db.exec(`ALTER TABLE ${table.name} RENAME TO ${table.name}_rowid`);
    db.exec(table.sql);
    db.exec(`INSERT INTO ${table.name} (${table.columns}) SELECT ${table.columns} FROM ${table.name}_rowid`);
    db.exec(`DROP TABLE ${table.name}_rowid`);
  }).immediate();
}

function ledgerError(what: string, err: unknown): WharfError {
  // SQLITE_BUSY/LOCKED/IOERR are passing conditions worth a retry; anything else needs a person.
  const code = String((err as { code?: string }).code ?? '');
  const retryable = /BUSY|LOCKED|IOERR|FULL/.test(code);
  return new WharfError('LEDGER_FAILED', `${what}: ${(err as Error).message}`, { hint: 'check the ledger file, its folder and free disk space' }, { retryable, cause: err });
}
