import pg from 'pg';
import { WharfError } from '../errors.js';
import type {
  BundleProduct, ExportContent, ExportRun, FileInfo, FileRow, FileTrail, RecordTrailResult, FileStatus, IntakeTx, LedgerActivity, LedgerRecord, LedgerSummary, NoticeInput, NoticeKind, OutboxRow, OutboxWrite, PruneCutoffs, PruneTask, PushTargetRow, RecordWrite, StockKey, StockLevel, StockWrite, Store,
} from './store.js';
import type { FileRef, RecentFilesQuery, OpenCounts } from './store.js';
import { ACTIVITY_FILES, ACTIVITY_ORDERS, ACTIVITY_OUTBOX, ADDED_COLUMNS, DISMISSED_FILES, DISMISS_FILE, FREEZE_REFERENCES, QUARANTINED_FILES, NO_BODY, OUTBOX_ROW, SCHEMA_SQL, checkComputed, externalIdOf, numbered, productLookups, pruneSql, toBundleProduct } from './sql.js';

/** The product lookups of intake, with their indexes (see productLookups). */
export const PRODUCT_LOOKUPS = productLookups((f) => `(body::json->>'${f}')`, (i) => `$${i}`);
import { Mutex } from './mutex.js';
import { rowBody, storedColumns } from './packed.js';
import { TRAIL_INDEXES, fileTrail, findFiles, recentFiles, recordTrail, type AllRows } from './trail.js';
import { activityOf, buildSummary, toExportRun, toFileRow, toNoticeRow, toOpenOutbox, toOutboxRow, toStockLevel, toStockState } from './sqlite.js';

type Row = Record<string, unknown>;
type Queryable = Pick<pg.PoolClient, 'query'>;
const now = () => new Date().toISOString();

/** Key of the advisory lock that serialises schema creation across instances (any constant works). */
const MIGRATION_LOCK = 0x5768_6172_66; // "Wharf"
/** First key of the (int, int) advisory locks that serialise batch claims per destination. */
const BATCH_LOCK_CLASS = 0x5768_6172; // "Whar"

export interface PostgresStoreOptions {
  /** Pool size (default 10). An open intake holds one connection for its whole duration. */
  max?: number;
  /** Connect timeout in ms (default 10 s): a server that does not answer fails the call instead of hanging. */
  connectTimeoutMs?: number;
  /**
   * How long `dueDeliveries` claims the rows it returns (default 5 minutes). While claimed, another
   * instance's `dueDeliveries` skips them; `markDelivered` / `markDeliveryFailed` end the claim. If the
   * instance dies mid-delivery, the rows come back once the claim expires. 0 turns claiming off
   * (plain read, exactly like SQLite).
   */
  claimMs?: number;
}

/**
 * The shared ledger for several instances: the same tables and the same rules as SqliteStore, on a
 * pg.Pool. An intake holds one pooled connection inside BEGIN … COMMIT across awaits; every other call
 * takes any free connection. Instances coordinate through row locks and the outbox UNIQUE constraint.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  /** One intake per store at a time (the Store contract), like SqliteStore: a second one waits. */
  private readonly intakeMutex = new Mutex();
  private readonly claimMs: number;
  private closed = false;

  private constructor(private readonly pool: pg.Pool, private readonly where: string, claimMs: number) {
    this.claimMs = claimMs;
  }

  /** Connects, creates the schema if missing (once, under an advisory lock) and returns the store. */
  static async connect(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const where = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      application_name: 'wharf',
    });
    // An idle connection that dies emits 'error' on the pool; unhandled, it would crash the daemon.
    // The next query gets a fresh connection (or fails, and that failure is reported).
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, where, options.claimMs ?? 5 * 60_000);
    try {
      await store.withClient(async (c) => {
        await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          for (const [table, column, type] of ADDED_COLUMNS) await c.query(`ALTER TABLE IF EXISTS ${table} ADD COLUMN IF NOT EXISTS ${column} ${type === 'BLOB' ? 'BYTEA' : type}`);
          await c.query(SCHEMA_SQL('BIGSERIAL PRIMARY KEY', 'TEXT COLLATE "C"', '', 'BYTEA'));
          await c.query(PRODUCT_LOOKUPS.indexes);
          await c.query(TRAIL_INDEXES);
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw ledgerError(err, 'cannot open the PostgreSQL ledger', where);
    }
    return store;
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private async query(sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    try {
      return await this.pool.query<Row>(sql, params);
    } catch (err) {
      throw ledgerError(err, 'ledger query failed', this.where);
    }
  }

  /** Runs `fn` on one pooled connection; after any failure the connection is destroyed, not reused. */
  private async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw ledgerError(err, 'cannot connect to the PostgreSQL ledger', this.where);
    }
    const onError = () => undefined; // errors while checked out surface through the pending query
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      // After a failure the session may be dead or still inside a transaction: never hand it out again.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** BEGIN … COMMIT on one connection; ROLLBACK on any error. */
  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    try {
      return await this.withClient(async (c) => {
        await c.query(begin);
        try {
          const result = await fn(c);
          await c.query('COMMIT');
          return result;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    } catch (err) {
      throw ledgerError(err, 'ledger transaction failed', this.where);
    }
  }

  private async insertFile(
    c: Queryable, info: FileInfo, status: FileStatus,
    extra: { error?: string | null; quarantinePath?: string | null; originalId?: number; invalid?: number } = {},
  ): Promise<number> {
    const res = await c.query(
      `INSERT INTO files (merchant, channel, name, origin, size, sha256, mapping, trace_id, status, error, quarantine_path, original_id, invalid, received_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id`,
      [info.merchant, info.channel, info.name, info.origin, info.size, info.sha256, info.mapping, info.traceId, status,
        extra.error ?? null, extra.quarantinePath ?? null, extra.originalId ?? null, extra.invalid ?? 0, now()],
    );
    return Number((res.rows[0] as Row).id);
  }

  // ---- files ----------------------------------------------------------------------------------

  async findImportedFile(merchant: string, channel: string, sha256: string): Promise<FileRow | undefined> {
    const res = await this.query(
      `SELECT * FROM files WHERE merchant = $1 AND channel = $2 AND sha256 = $3 AND status IN ('imported','partial') ORDER BY id LIMIT 1`,
      [merchant, channel, sha256],
    );
    return res.rows[0] ? toFileRow(res.rows[0]) : undefined;
  }

  async recordDuplicateFile(info: FileInfo, originalId: number): Promise<number> {
    try {
      return await this.insertFile(this.pool, info, 'duplicate', { originalId });
    } catch (err) {
      throw ledgerError(err, 'cannot record a duplicate file', this.where);
    }
  }

  async recordQuarantinedFile(info: FileInfo, error: string, quarantinePath: string | null, invalid: number): Promise<number> {
    try {
      return await this.insertFile(this.pool, info, 'quarantined', { error, quarantinePath, invalid });
    } catch (err) {
      throw ledgerError(err, 'cannot record a quarantined file', this.where);
    }
  }

  async beginIntake(info: FileInfo): Promise<IntakeTx> {
    const releaseMutex = await this.intakeMutex.acquire();
    let client: pg.PoolClient;
    try {
      if (this.closed) throw new Error('the ledger is closed');
      client = await this.pool.connect();
    } catch (err) {
      releaseMutex();
      throw ledgerError(err, 'cannot start a ledger transaction', this.where);
    }
    let broken: Error | undefined; // set when the connection itself failed: it must not go back to the pool
    let failed: unknown; // set when any statement failed: PostgreSQL has aborted the transaction
    const onError = (err: Error) => { broken = err; };
    client.on('error', onError);
    let open = true;
    const finish = async (sql: 'COMMIT' | 'ROLLBACK') => {
      open = false;
      try {
        if (broken) {
          if (sql === 'COMMIT') throw broken;
        } else {
          await client.query(sql);
        }
      } catch (err) {
        // Whatever state the session is in now, it must not go back to the pool: destroy it. (A failed
        // COMMIT has ended the transaction server-side; a lost connection has too.)
        broken = err as Error;
        if (sql === 'COMMIT') throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
        releaseMutex();
      }
    };
    const q = async (sql: string, params: unknown[]): Promise<pg.QueryResult<Row>> => {
      if (!open) throw new WharfError('LEDGER_FAILED', 'intake transaction already finished');
      if (failed) throw new WharfError('LEDGER_FAILED', 'the intake transaction failed earlier and must be rolled back', {}, { retryable: isRetryableError(failed) });
      try {
        return await client.query<Row>(sql, params);
      } catch (err) {
        failed = err;
        if (isConnectionError(err)) broken = err as Error;
        throw ledgerError(err, 'ledger intake failed', this.where);
      }
    };

    let fileId: number;
    try {
      await client.query('BEGIN');
      fileId = await this.insertFile(client, info, 'imported');
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      await finish('ROLLBACK');
      throw ledgerError(err, 'cannot start a ledger transaction', this.where);
    }

    // Reads lock the row: a second instance deciding about the same record waits for this intake.
    const getRecord = async (id: string): Promise<LedgerRecord | undefined> => {
      const r = (await q('SELECT kind, merchant, status, hash, version FROM records WHERE id = $1 FOR UPDATE', [id])).rows[0];
      return r ? { kind: String(r.kind), merchant: String(r.merchant), status: (r.status as string | null) ?? null, hash: String(r.hash), version: Number(r.version) } : undefined;
    };
    // INSERT unless another transaction got there first: an INSERT that meets a row another instance
    // inserted waits for that instance's commit (or rollback) and then does nothing. The caller reads
    // (and locks) the committed row again, so exactly one instance sees a record as new.
    const insertRecord = async (r: RecordWrite): Promise<boolean> => {
      const t = now();
      const stored = storedColumns(r.kind, r.body);
      return (await q(
        `INSERT INTO records (id, kind, merchant, channel, status, version, hash, body, packed, file_id, record_no, created_at, updated_at, parent_id)
         VALUES ($1,$2,$3,$4,$5,1,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [r.id, r.kind, r.merchant, r.channel, r.status, r.hash, stored.body, stored.packed, fileId, r.recordNo, t, t, r.parentId ?? null],
      )).rowCount === 1;
    };
    const updateRecord = async (r: Pick<RecordWrite, 'id' | 'kind' | 'status' | 'hash' | 'body' | 'recordNo'>): Promise<void> => {
      await q(numbered(FREEZE_REFERENCES), [r.id, r.id]);
      const stored = storedColumns(r.kind, r.body);
      await q('UPDATE records SET status = $1, version = version + 1, hash = $2, body = $3, packed = $4, file_id = $5, record_no = $6, updated_at = $7 WHERE id = $8',
        [r.status, r.hash, stored.body, stored.packed, fileId, r.recordNo, now(), r.id]);
    };
    const addDuplicate = async (recordId: string, changed: boolean): Promise<void> => {
      await q('INSERT INTO duplicates (record_id, file_id, changed, at) VALUES ($1,$2,$3,$4)', [recordId, fileId, changed ? 1 : 0, now()]);
    };
    const enqueue = async (o: OutboxWrite): Promise<void> => {
      const t = now();
      await q(
        `INSERT INTO outbox (destination, record_id, merchant, action, body, status, next_attempt_at, created_at, file_id)
         VALUES ($1,$2,$3,$4,$5,'pending',$6,$7,$8) ON CONFLICT (destination, record_id, action) DO NOTHING`,
        [o.destination, o.recordId, o.merchant, o.action, o.body ?? NO_BODY, t, t, fileId],
      );
    };

    const productSkuForEan = async (merchant: string, ean: string, exceptSku: string): Promise<string | undefined> => {
      const r = await q(PRODUCT_LOOKUPS.skuForEan, [merchant, ean, exceptSku]);
      return (r.rows[0] as { sku?: string } | undefined)?.sku;
    };

    return {
      fileId,
      getRecord,
      insertRecord,
      updateRecord,
      addDuplicate,
      enqueue,
      recordBody: async (id) => {
        const r = (await q('SELECT body, packed FROM records WHERE id = $1', [id])).rows[0];
        if (!r) return undefined;
        const body = rowBody(r.body, r.packed, `record ${id}`);
        return body === null ? null : (JSON.parse(body) as Record<string, unknown>);
      },
      childBodies: async (parentId, kind) =>
        (await q(`SELECT id, body, packed FROM records WHERE parent_id = $1 AND kind = $2 AND body <> '' ORDER BY created_at, id`, [parentId, kind])).rows
          .map((r) => JSON.parse(rowBody(r.body, r.packed, `record ${String(r.id)}`) ?? 'null') as Record<string, unknown>),
      productExists: async (merchant, sku) =>
        (await q(PRODUCT_LOOKUPS.exists, [merchant, sku])).rows.length > 0,
      // One statement per batch (unnest of column arrays), not one round trip per level.
      getStocks: async (keys) => {
        if (keys.length === 0) return [];
        // ORDER BY: two instances lock overlapping batches in the same order (no deadlock between them).
        const r = await q(
          `SELECT s.* FROM stock s JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(merchant, sku, location)
             ON s.merchant = k.merchant AND s.sku = k.sku AND s.location = k.location
           ORDER BY s.merchant, s.sku, s.location FOR UPDATE OF s`,
          [keys.map((k) => k.merchant), keys.map((k) => k.sku), keys.map((k) => k.location)],
        );
        return r.rows.map(toStockState);
      },
      // As insertRecord: a row another instance inserted first makes this one wait, then do nothing.
      writeStock: async (writes) => {
        const t = now();
        const cols = (ws: StockWrite[]) => {
          const levels = ws.map((w) => (w.op === 'seen' ? { ...w.key, quantity: 0, ean: null, asOf: '' } : w.level));
          return [levels.map((l) => l.merchant), levels.map((l) => l.sku), levels.map((l) => l.location), levels.map((l) => l.quantity),
            levels.map((l) => l.ean), levels.map((l) => l.asOf), ws.map((w) => w.recordNo)];
        };
        const unnest = 'unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[]) AS u(merchant, sku, location, quantity, ean, as_of, record_no)';
        const inserts = writes.filter((w) => w.op === 'insert');
        const sets = writes.filter((w) => w.op === 'set');
        const seen = writes.filter((w) => w.op === 'seen');
        const lost: StockKey[] = [];
        if (inserts.length > 0) {
          const done = await q(
            `INSERT INTO stock (merchant, sku, location, quantity, ean, as_of, file_id, seen_file_id, seen_record_no, updated_at)
             SELECT u.merchant, u.sku, u.location, u.quantity, u.ean, u.as_of, $8, $8, u.record_no, $9 FROM ${unnest}
             ON CONFLICT DO NOTHING RETURNING merchant, sku, location`,
            [...cols(inserts), fileId, t],
          );
          const written = new Set(done.rows.map((r) => `${String(r.merchant)}\u0000${String(r.sku)}\u0000${String(r.location)}`));
          for (const w of inserts) if (w.op === 'insert' && !written.has(`${w.level.merchant}\u0000${w.level.sku}\u0000${w.level.location}`)) lost.push(w.level);
        }
        if (sets.length > 0) {
          await q(
            `UPDATE stock s SET quantity = u.quantity, ean = u.ean, as_of = u.as_of, file_id = $8, seen_file_id = $8, seen_record_no = u.record_no, updated_at = $9
             FROM ${unnest} WHERE s.merchant = u.merchant AND s.sku = u.sku AND s.location = u.location`,
            [...cols(sets), fileId, t],
          );
        }
        if (seen.length > 0) {
          await q(
            `UPDATE stock s SET seen_file_id = $8, seen_record_no = u.record_no
             FROM ${unnest} WHERE s.merchant = u.merchant AND s.sku = u.sku AND s.location = u.location`,
            [...cols(seen), fileId],
          );
        }
        return lost;
      },
      zeroUnlistedStock: async (merchant, locations, asOf) =>
        (await q(
          `UPDATE stock SET quantity = 0, as_of = $1, file_id = $2, updated_at = $3
           WHERE merchant = $4 AND location = ANY($5::text[]) AND seen_file_id <> $2 AND quantity <> 0 AND as_of COLLATE "C" <= $1`,
          [asOf, fileId, now(), merchant, locations],
        )).rowCount ?? 0,
      productSkuForEan,
      addSeen: async (scope: string, key: string) => {
        await q('INSERT INTO seen (scope, key, at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING', [scope, key, now()]);
      },
      commit: async (result) => {
        try {
          await q('UPDATE files SET status = $1, records = $2, duplicates = $3, invalid = $4, error = $5, quarantine_path = $6 WHERE id = $7',
            [result.status, result.records, result.duplicates, result.invalid, result.error ?? null, result.quarantinePath ?? null, fileId]);
        } catch (err) {
          if (open) await finish('ROLLBACK');
          throw err instanceof WharfError ? err : ledgerError(err, 'cannot commit the intake', this.where);
        }
        try {
          await finish('COMMIT');
        } catch (err) {
          throw ledgerError(err, 'cannot commit the intake', this.where);
        }
      },
      rollback: async () => {
        if (open) await finish('ROLLBACK');
      },
    };
  }

  async getFile(id: number): Promise<FileRow | undefined> {
    const res = await this.query('SELECT * FROM files WHERE id = $1', [id]);
    return res.rows[0] ? toFileRow(res.rows[0]) : undefined;
  }

  async listQuarantined(): Promise<FileRow[]> {
    const res = await this.query(QUARANTINED_FILES);
    return res.rows.map(toFileRow);
  }

  async setQuarantinePath(id: number, quarantinePath: string | null): Promise<void> {
    await this.query('UPDATE files SET quarantine_path = $1 WHERE id = $2', [quarantinePath, id]);
  }

  async markRetried(id: number, retriedAs?: number): Promise<void> {
    await this.query(`UPDATE files SET status = CASE WHEN status = 'quarantined' THEN 'retried' ELSE status END, quarantine_path = NULL, retried_as = COALESCE($2, retried_as) WHERE id = $1`, [id, retriedAs ?? null]);
  }

  async dismissFile(id: number, note: string): Promise<boolean> {
    const res = await this.query(numbered(DISMISS_FILE), [note, now(), id]);
    return (res.rowCount ?? 0) > 0;
  }

  async activitySince(since: string): Promise<LedgerActivity> {
    // One snapshot, so the counts agree with each other. Timestamps are ISO text: compared bytewise.
    return this.transaction(async (c) => {
      const rows = async (sql: string, params: unknown[]) => (await c.query<Row>(numbered(sql).replace(/(\w+) >= \$1/, '$1 COLLATE "C" >= $$1'), params)).rows;
      return activityOf(await rows(ACTIVITY_FILES, [since]), await rows(ACTIVITY_ORDERS, [since]), await rows(ACTIVITY_OUTBOX, []));
    });
  }

  // ---- outbox ---------------------------------------------------------------------------------

  async dueDeliveries(destination: string, limit: number, at = new Date()): Promise<OutboxRow[]> {
    // Timestamps are ISO-8601 UTC text (shared schema); compare them bytewise, whatever the database collation.
    if (this.claimMs <= 0) {
      const res = await this.query(
        `SELECT ${OUTBOX_ROW} FROM outbox WHERE destination = $1 AND status = 'pending' AND next_attempt_at COLLATE "C" <= $2 ORDER BY id LIMIT $3`,
        [destination, at.toISOString(), limit],
      );
      return res.rows.map(toOutboxRow);
    }
    // Claim: move the rows' next attempt to the end of the claim, skipping rows another instance is
    // claiming right now. Another instance will not see them until the claim expires.
    const res = await this.query(
      `UPDATE outbox SET next_attempt_at = $4 WHERE id IN (
         SELECT id FROM outbox WHERE destination = $1 AND status = 'pending' AND next_attempt_at COLLATE "C" <= $2
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${OUTBOX_ROW}`,
      [destination, at.toISOString(), limit, new Date(at.getTime() + this.claimMs).toISOString()],
    );
    return res.rows.map(toOutboxRow).sort((a, b) => a.id - b.id);
  }

  async nextBatchFile(destination: string, at = new Date()): Promise<number | undefined> {
    const due = `destination = $1 AND status = 'pending' AND next_attempt_at COLLATE "C" <= $2`;
    if (this.claimMs <= 0) {
      const res = await this.query(`SELECT MIN(file_id) AS f FROM outbox WHERE ${due}`, [destination, at.toISOString()]);
      const f = res.rows[0]?.f;
      return f === null || f === undefined ? undefined : Number(f);
    }
    // Claim the whole file's batch (every pending row it queued) for claimMs, so that another instance
    // does not render the same batch at the same time. Claims on one destination are serialised by a
    // transaction-scoped advisory lock: one short transaction, whoever comes second sees the claim.
    return this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BATCH_LOCK_CLASS, destination]);
      const res = await c.query<Row>(`SELECT MIN(file_id) AS f FROM outbox WHERE ${due}`, [destination, at.toISOString()]);
      const f = res.rows[0]?.f;
      if (f === null || f === undefined) return undefined;
      const until = new Date(at.getTime() + this.claimMs).toISOString();
      await c.query(
        `UPDATE outbox SET next_attempt_at = CASE WHEN next_attempt_at COLLATE "C" < $3 THEN $3 ELSE next_attempt_at END
         WHERE destination = $1 AND status = 'pending' AND file_id = $2`,
        [destination, f, until],
      );
      return Number(f);
    });
  }

  async batchPage(destination: string, fileId: number, afterId: number, limit: number): Promise<OutboxRow[]> {
    const res = await this.query(
      `SELECT ${OUTBOX_ROW} FROM outbox WHERE destination = $1 AND status = 'pending' AND file_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
      [destination, fileId, afterId, limit],
    );
    return res.rows.map(toOutboxRow);
  }

  async markDeliverySending(id: number): Promise<void> {
    await this.query(`UPDATE outbox SET sending_at = $1 WHERE id = $2 AND status = 'pending'`, [now(), id]);
  }

  async markDelivered(ids: number[], fileName: string): Promise<void> {
    if (ids.length === 0) return;
    await this.query(
      `UPDATE outbox SET status = 'delivered', delivered_at = $1, file_name = $2, attempts = attempts + 1, last_error = NULL, sending_at = NULL WHERE id = ANY($3::bigint[])`,
      [now(), fileName, ids],
    );
  }

  async markDeliveredEach(items: { id: number; fileName: string }[]): Promise<void> {
    if (items.length === 0) return;
    await this.query(
      `UPDATE outbox SET status = 'delivered', delivered_at = $1, file_name = x.name, attempts = attempts + 1, last_error = NULL, sending_at = NULL
       FROM unnest($2::bigint[], $3::text[]) AS x(id, name) WHERE outbox.id = x.id`,
      [now(), items.map((x) => x.id), items.map((x) => x.fileName)],
    );
  }

  async markDeliveryFailed(id: number, error: string, retryAt: Date | null): Promise<void> {
    // Only a pending row can fail. With several instances, one may report a failure for a row another
    // one has delivered meanwhile (e.g. after its claim expired); turning that row into 'failed' would
    // let `wharf retry` send it a second time. (SqliteStore has no such guard; one instance never races.)
    if (retryAt) {
      await this.query(`UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, sending_at = NULL WHERE id = $3 AND status = 'pending'`, [error, retryAt.toISOString(), id]);
    } else {
      await this.query(`UPDATE outbox SET attempts = attempts + 1, last_error = $1, status = 'failed', sending_at = NULL WHERE id = $2 AND status = 'pending'`, [error, id]);
    }
  }

  async deliveryState(id: number): Promise<OutboxRow['status'] | undefined> {
    return (await this.query('SELECT status FROM outbox WHERE id = $1', [id])).rows[0]?.status as OutboxRow['status'] | undefined;
  }

  async requeueFailedDeliveries(ids: number[] | 'all'): Promise<number> {
    const t = now();
    if (ids === 'all') return (await this.query(`UPDATE outbox SET status = 'pending', next_attempt_at = $1 WHERE status = 'failed'`, [t])).rowCount ?? 0;
    if (ids.length === 0) return 0;
    return (await this.query(`UPDATE outbox SET status = 'pending', next_attempt_at = $1 WHERE status = 'failed' AND id = ANY($2::bigint[])`, [t, ids])).rowCount ?? 0;
  }

  // ---- transport bookkeeping ------------------------------------------------------------------

  async recordPoll(merchant: string, channel: string, result: { ok: true; inFlight?: number } | { ok: false; error: string }): Promise<void> {
    const t = now();
    if (result.ok) {
      await this.query(
        `INSERT INTO channel_runs (merchant, channel, last_poll_at, last_ok_at, in_flight) VALUES ($1,$2,$3,$3,$4)
         ON CONFLICT (merchant, channel) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_ok_at = excluded.last_ok_at, in_flight = excluded.in_flight`,
        [merchant, channel, t, result.inFlight ?? 0],
      );
    } else {
      await this.query(
        `INSERT INTO channel_runs (merchant, channel, last_poll_at, last_error, last_error_at) VALUES ($1,$2,$3,$4,$3)
         ON CONFLICT (merchant, channel) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
        [merchant, channel, t, result.error],
      );
    }
  }

  async getCursor(key: string): Promise<string | undefined> {
    const res = await this.query('SELECT value FROM cursors WHERE key = $1', [key]);
    return res.rows[0] ? String(res.rows[0].value) : undefined;
  }

  async setCursor(key: string, value: string): Promise<void> {
    await this.query(
      'INSERT INTO cursors (key, value, updated_at) VALUES ($1,$2,$3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      [key, value, now()],
    );
  }

  async hasSeen(scope: string, key: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM seen WHERE scope = $1 AND key = $2', [scope, key])).rows.length > 0;
  }

  async addSeen(scope: string, key: string): Promise<void> {
    await this.query('INSERT INTO seen (scope, key, at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING', [scope, key, now()]);
  }

  async removeSeen(scope: string, key: string): Promise<void> {
    await this.query('DELETE FROM seen WHERE scope = $1 AND key = $2', [scope, key]);
  }

  async syncNotices(merchant: string, channel: string, kinds: NoticeKind[], current: NoticeInput[]): Promise<NoticeInput[]> {
    return this.transaction(async (c) => {
      await c.query('DELETE FROM notices WHERE merchant = $1 AND channel = $2 AND kind = ANY($3::text[]) AND NOT (key = ANY($4::text[]))', [merchant, channel, kinds, current.map((n) => n.key)]);
      const added: NoticeInput[] = [];
      const t = now();
      for (const n of current) {
        const res = await c.query('INSERT INTO notices (merchant, channel, key, kind, file, message, at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING', [merchant, channel, n.key, n.kind, n.file, n.message, t]);
        if ((res.rowCount ?? 0) > 0) added.push(n);
      }
      return added;
    });
  }

  async removeNotice(merchant: string, channel: string, key: string): Promise<boolean> {
    const res = await this.query('DELETE FROM notices WHERE merchant = $1 AND channel = $2 AND key = $3', [merchant, channel, key]);
    return (res.rowCount ?? 0) > 0;
  }

  async importedRecords(merchant: string, channel: string, sha256: string, limit: number): Promise<{ fileId: number; ids: string[]; more: number } | undefined> {
    const file = await this.query(`SELECT id FROM files WHERE merchant = $1 AND channel = $2 AND sha256 = $3 AND status IN ('imported','partial') ORDER BY id LIMIT 1`, [merchant, channel, sha256]);
    if (!file.rows[0]) return undefined;
    const fileId = Number((file.rows[0] as { id: string | number }).id);
    const rows = await this.query('SELECT id, body, packed FROM records WHERE file_id = $1 ORDER BY record_no, id LIMIT $2', [fileId, limit]);
    const total = await this.query('SELECT COUNT(*) AS n FROM records WHERE file_id = $1', [fileId]);
    return { fileId, ids: (rows.rows as { id: string; body: string; packed: unknown }[]).map(externalIdOf), more: Math.max(0, Number((total.rows[0] as { n: string }).n) - rows.rows.length) };
  }

  async addNotice(merchant: string, channel: string, n: NoticeInput): Promise<boolean> {
    const res = await this.query('INSERT INTO notices (merchant, channel, key, kind, file, message, at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING', [merchant, channel, n.key, n.kind, n.file, n.message, now()]);
    return (res.rowCount ?? 0) > 0;
  }

  async stockPage(merchant: string, after: { sku: string; location: string } | undefined, limit: number): Promise<StockLevel[]> {
    // sku and location are COLLATE "C" columns: bytewise order, as in SQLite.
    const res = after
      ? await this.query('SELECT * FROM stock WHERE merchant = $1 AND (sku, location) > ($2, $3) ORDER BY sku, location LIMIT $4', [merchant, after.sku, after.location, limit])
      : await this.query('SELECT * FROM stock WHERE merchant = $1 ORDER BY sku, location LIMIT $2', [merchant, limit]);
    return res.rows.map(toStockLevel);
  }

  async bundleProductsPage(merchant: string, afterId: string | undefined, limit: number): Promise<BundleProduct[]> {
    // Record ids compare bytewise (COLLATE "C"), as in SQLite.
    const res = await this.query(
      `SELECT id, channel, body FROM records WHERE kind = 'product' AND merchant = $1 AND id COLLATE "C" > $2
         AND CASE WHEN json_typeof(body::json->'components') = 'array' THEN json_array_length(body::json->'components') ELSE 0 END > 0
       ORDER BY id COLLATE "C" LIMIT $3`,
      [merchant, afterId ?? '', limit],
    );
    return res.rows.map((r) => toBundleProduct(r as { id: unknown; channel: unknown; body: unknown }));
  }

  async claimExportRun(run: { export: string; scheduledAt: string; fileName: string }, content: ExportContent): Promise<{ run: ExportRun; created: boolean }> {
    return this.transaction(async (c) => {
      const t = now();
      // Insert-or-lock: a second instance claiming the same run waits here for the first one's commit.
      await c.query(`INSERT INTO export_runs (export, scheduled_at, file_name, status, started_at) VALUES ($1,$2,$3,'failed',$4) ON CONFLICT (export, scheduled_at) DO NOTHING`,
        [run.export, run.scheduledAt, run.fileName, t]);
      const existing = (await c.query<Row>('SELECT * FROM export_runs WHERE export = $1 AND scheduled_at = $2 FOR UPDATE', [run.export, run.scheduledAt])).rows[0]!;
      // A row this call just inserted reads as 'failed' with no finished_at: claim it like a failed one.
      if (existing.status !== 'failed') return { run: toExportRun(existing), created: false };
      const id = Number(existing.id);
      let items: number;
      if (content.kind === 'stock') {
        checkComputed(content.merchant, content.computed);
        // A full run sends every level and leaves no baseline behind (see ExportContent).
        if (content.mode === 'full') await c.query('DELETE FROM export_baseline WHERE export = $1', [run.export]);
        items = (await c.query(
          `INSERT INTO export_items (run_id, merchant, sku, location, quantity, ean, as_of)
           SELECT $1, s.merchant, s.sku, s.location, s.quantity, s.ean, s.as_of FROM stock s
           LEFT JOIN export_baseline b ON b.export = $2 AND b.sku = s.sku AND b.location = s.location
           WHERE s.merchant = $3 AND s.sku <> ALL($5::text[])
             AND ($4 = 'full' OR b.quantity IS NULL OR b.quantity <> s.quantity)`,
          [id, run.export, content.merchant, content.mode, content.computed?.replaces ?? []],
        )).rowCount ?? 0;
        // Computed levels, as arrays (one statement however many): the same rule against the same baseline.
        const levels = content.computed?.levels ?? [];
        if (levels.length > 0) {
          items += (await c.query(
            `INSERT INTO export_items (run_id, merchant, sku, location, quantity, ean, as_of)
             SELECT $1, $2, u.sku, u.location, u.quantity, u.ean, u.as_of
             FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[]) AS u(sku, location, quantity, ean, as_of)
             LEFT JOIN export_baseline b ON b.export = $8 AND b.sku = u.sku COLLATE "C" AND b.location = u.location COLLATE "C"
             WHERE $9 = 'full' OR b.quantity IS NULL OR b.quantity <> u.quantity`,
            [id, content.merchant, levels.map((l) => l.sku), levels.map((l) => l.location), levels.map((l) => l.quantity), levels.map((l) => l.ean), levels.map((l) => l.asOf), run.export, content.mode],
          )).rowCount ?? 0;
        }
      } else {
        items = (await c.query(`UPDATE outbox SET run_id = $1 WHERE destination = $2 AND status = 'pending' AND run_id IS NULL`, [id, content.destination])).rowCount ?? 0;
      }
      const res = await c.query<Row>(`UPDATE export_runs SET status = 'claimed', file_name = $1, items = $2, error = NULL, started_at = $3, finished_at = NULL, mode = $5 WHERE id = $4 RETURNING *`,
        [run.fileName, items, t, id, content.kind === 'stock' ? content.mode : null]);
      return { run: toExportRun(res.rows[0]!), created: true };
    });
  }

  async exportItemsPage(runId: number, after: { sku: string; location: string } | undefined, limit: number): Promise<StockLevel[]> {
    const res = after
      ? await this.query('SELECT * FROM export_items WHERE run_id = $1 AND (sku, location) > ($2, $3) ORDER BY sku, location LIMIT $4', [runId, after.sku, after.location, limit])
      : await this.query('SELECT * FROM export_items WHERE run_id = $1 ORDER BY sku, location LIMIT $2', [runId, limit]);
    return res.rows.map(toStockLevel);
  }

  async exportRowsPage(runId: number, afterId: number, limit: number): Promise<OutboxRow[]> {
    return (await this.query(`SELECT ${OUTBOX_ROW} FROM outbox WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, [runId, afterId, limit])).rows.map(toOutboxRow);
  }

  async finishExportRun(runId: number): Promise<boolean> {
    return this.transaction(async (c) => {
      const run = (await c.query<Row>(`SELECT * FROM export_runs WHERE id = $1 AND status = 'claimed' FOR UPDATE`, [runId])).rows[0];
      if (!run) return false;
      const t = now();
      if (run.mode !== 'full') {
        await c.query(
          `INSERT INTO export_baseline (export, sku, location, quantity) SELECT $1, sku, location, quantity FROM export_items WHERE run_id = $2
           ON CONFLICT (export, sku, location) DO UPDATE SET quantity = excluded.quantity`,
          [run.export, runId],
        );
      }
      await c.query('DELETE FROM export_items WHERE run_id = $1', [runId]);
      await c.query(`UPDATE outbox SET status = 'delivered', delivered_at = $1, file_name = $2, attempts = attempts + 1, last_error = NULL WHERE run_id = $3 AND status = 'pending'`, [t, run.file_name, runId]);
      await c.query(`UPDATE export_runs SET status = 'done', finished_at = $1 WHERE id = $2`, [t, runId]);
      return true;
    });
  }

  async failExportRun(runId: number, error: string): Promise<void> {
    await this.transaction(async (c) => {
      await c.query(`UPDATE export_runs SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3 AND status = 'claimed'`, [error, now(), runId]);
      await c.query('DELETE FROM export_items WHERE run_id = $1', [runId]);
      await c.query(`UPDATE outbox SET run_id = NULL WHERE run_id = $1 AND status = 'pending'`, [runId]);
    });
  }

  async exportRunsNamed(exportKey: string, fileNames: string[]): Promise<ExportRun[]> {
    if (fileNames.length === 0) return [];
    const res = await this.query('SELECT * FROM export_runs WHERE export = $1 AND file_name = ANY($2::text[]) ORDER BY id', [exportKey, fileNames]);
    return res.rows.map(toExportRun);
  }

  async lastExportRuns(exports?: string[]): Promise<ExportRun[]> {
    const res = await this.query(
      `SELECT DISTINCT ON (export) * FROM export_runs WHERE ($1::text[] IS NULL OR export = ANY($1::text[])) ORDER BY export, scheduled_at COLLATE "C" DESC`,
      [exports ?? null],
    );
    return res.rows.map(toExportRun);
  }

  async pendingCount(destination: string): Promise<number> {
    const res = await this.query(`SELECT COUNT(*) AS n FROM outbox WHERE destination = $1 AND status = 'pending'`, [destination]);
    return Number(res.rows[0]!.n);
  }

  async openCounts(destinations: readonly string[]): Promise<OpenCounts> {
    const outbox = await this.query(
      `SELECT destination, merchant, action, status, COUNT(*) AS n FROM outbox WHERE destination = ANY($1::text[]) AND status IN ('pending', 'failed') GROUP BY destination, merchant, action, status`,
      [[...new Set(destinations)]],
    );
    const quarantined = await this.query(
      `SELECT merchant, channel, COUNT(*) AS n FROM files WHERE status IN ('quarantined', 'partial') AND (status = 'quarantined' OR quarantine_path IS NOT NULL) GROUP BY merchant, channel`,
    );
    return {
      outbox: outbox.rows.map(toOpenOutbox),
      quarantined: quarantined.rows.map((r) => ({ merchant: String(r.merchant), channel: String(r.channel), n: Number(r.n) })),
    };
  }

  async upsertPushTargets(channel: string, targets: PushTargetRow[]): Promise<void> {
    if (!targets.length) return;
    const t = now();
    await this.transaction(async (c) => {
      for (let i = 0; i < targets.length; i += 500) {
        const part = targets.slice(i, i + 500);
        await c.query(
          `INSERT INTO push_targets (channel, sku, ean, ids, updated_at)
           SELECT $1, x.sku, x.ean, x.ids, $2 FROM unnest($3::text[], $4::text[], $5::text[]) AS x(sku, ean, ids)
           ON CONFLICT (channel, sku) DO UPDATE SET ean = excluded.ean, ids = excluded.ids, updated_at = excluded.updated_at`,
          [channel, t, part.map((x) => x.sku), part.map((x) => x.ean), part.map((x) => JSON.stringify(x.ids))],
        );
      }
    });
  }

  async pushTargets(channel: string, skus: string[]): Promise<Map<string, PushTargetRow>> {
    const out = new Map<string, PushTargetRow>();
    if (!skus.length) return out;
    const res = await this.query('SELECT sku, ean, ids FROM push_targets WHERE channel = $1 AND sku = ANY($2::text[])', [channel, skus]);
    for (const r of res.rows as { sku: string; ean: string | null; ids: string }[]) out.set(r.sku, { sku: r.sku, ean: r.ean, ids: JSON.parse(r.ids) as PushTargetRow['ids'] });
    return out;
  }

  async pushTargetsByEan(channel: string, eans: string[]): Promise<PushTargetRow[]> {
    if (!eans.length) return [];
    const res = await this.query('SELECT sku, ean, ids FROM push_targets WHERE channel = $1 AND ean = ANY($2::text[])', [channel, eans]);
    return (res.rows as { sku: string; ean: string | null; ids: string }[]).map((r) => ({ sku: r.sku, ean: r.ean, ids: JSON.parse(r.ids) as PushTargetRow['ids'] }));
  }

  async pushedStock(channel: string, skus: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!skus.length) return out;
    const res = await this.query('SELECT sku, quantity FROM push_stock WHERE channel = $1 AND sku = ANY($2::text[])', [channel, skus]);
    for (const r of res.rows as { sku: string; quantity: number | string }[]) out.set(r.sku, Number(r.quantity));
    return out;
  }

  async setPushedStock(channel: string, rows: { sku: string; quantity: number }[], at: string): Promise<void> {
    if (!rows.length) return;
    await this.query(
      `INSERT INTO push_stock (channel, sku, quantity, pushed_at) SELECT $1, x.sku, x.quantity, $2 FROM unnest($3::text[], $4::int[]) AS x(sku, quantity)
       ON CONFLICT (channel, sku) DO UPDATE SET quantity = excluded.quantity, pushed_at = excluded.pushed_at`,
      [channel, at, rows.map((r) => r.sku), rows.map((r) => r.quantity)],
    );
  }

  async takeLease(name: string, holder: string, expiresAt: string, now: string, replacing?: string): Promise<{ ok: true } | { ok: false; holder: string; expiresAt: string }> {
    // Timestamps are ISO-8601 UTC text: compared bytewise (COLLATE "C"), whatever the database collation.
    const res = await this.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at COLLATE "C" < $4 OR leases.holder = $5`,
      [name, holder, expiresAt, now, replacing ?? holder],
    );
    if ((res.rowCount ?? 0) > 0) return { ok: true };
    const row = (await this.query('SELECT holder, expires_at FROM leases WHERE name = $1', [name])).rows[0];
    return { ok: false, holder: row ? String(row.holder) : '?', expiresAt: row ? String(row.expires_at) : '?' };
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async clearPushedStock(channel: string): Promise<number> {
    return (await this.query('DELETE FROM push_stock WHERE channel = $1', [channel])).rowCount ?? 0;
  }

  async pruneStep(task: PruneTask, after: string | number | null, cutoffs: PruneCutoffs, limit: number): Promise<{ changed: number; next: string | number | null }> {
    // SKIP LOCKED: an order an intake holds right now is left for the next pass, so pruning never waits
    // for an intake (and the two never deadlock over several orders locked in different orders).
    const sql = pruneSql(task, ' COLLATE "C"', ' FOR UPDATE SKIP LOCKED');
    const cutoff = task === 'records' || task === 'files' || task === 'notices' ? cutoffs.idsBefore : cutoffs.bodiesBefore;
    return this.transaction(async (c) => {
      if (task === 'notices') return { changed: (await c.query(numbered(sql.apply[0]!), [cutoff])).rowCount ?? 0, next: null };
      const lo = after ?? (sql.table === 'records' ? '' : 0);
      const hi = ((await c.query<Row>(numbered(sql.chunk), [lo, limit])).rows[0]?.hi ?? null) as string | number | null;
      if (hi === null) return { changed: 0, next: null };
      let changed = 0;
      if (sql.pick) {
        // The orders are locked first (the pick), then their shipments: the order an intake locks them in.
        const ids = (await c.query<Row>(numbered(sql.pick), [lo, hi, cutoff, cutoff])).rows.map((r) => String(r.id));
        if (ids.length > 0) for (const st of sql.apply) changed += (await c.query(st.replace('IN (IDS)', '= ANY($1::text[])'), [ids])).rowCount ?? 0;
      } else {
        for (const st of sql.apply) changed += (await c.query(numbered(st), [lo, hi, cutoff])).rowCount ?? 0;
      }
      return { changed, next: hi };
    });
  }

  async size(): Promise<number> {
    // The tables of the schema the connection works in (its search_path), indexes and TOAST included.
    const res = await this.query(
      `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname = current_schema()`,
    );
    return Number(res.rows[0]?.bytes ?? 0);
  }

  async summary(): Promise<LedgerSummary> {
    // One snapshot for all the counts, so they agree with each other.
    return this.transaction(async (c) => {
      const all = async (sql: string) => (await c.query<Row>(sql)).rows;
      const runs = await all('SELECT * FROM channel_runs');
      const fileCounts = await all('SELECT merchant, channel, status, COUNT(*) AS n, SUM(records) AS records FROM files GROUP BY merchant, channel, status');
      const dupCounts = await all('SELECT r.merchant, r.channel, COUNT(*) AS n FROM duplicates d JOIN records r ON r.id = d.record_id GROUP BY r.merchant, r.channel');
      const outbox = await all('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status');
      const failed = (await all(`SELECT ${OUTBOX_ROW} FROM outbox WHERE status = 'failed' OR (status = 'pending' AND attempts > 0) ORDER BY id LIMIT 100`)).map(toOutboxRow);
      const quarantined = (await all(QUARANTINED_FILES)).map(toFileRow);
      const dismissed = (await all(DISMISSED_FILES)).map(toFileRow);
      const dups = await all('SELECT d.record_id, f.name, d.at, d.changed FROM duplicates d JOIN files f ON f.id = d.file_id ORDER BY d.id DESC LIMIT 20');
      const notices = (await all('SELECT * FROM notices ORDER BY at DESC, key LIMIT 200')).map(toNoticeRow);
      return buildSummary(runs, fileCounts, dupCounts, outbox, failed, quarantined, dups, notices, dismissed);
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }


  /** The trail queries' runner (src/ledger/trail.ts). */
  private readonly all: AllRows = async (sql, params) => (await this.query(numbered(sql), params)).rows;

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
    // Like SqliteStore: an open intake finishes first.
    await this.intakeMutex.run(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.pool.end();
    });
  }
}

// ---- errors ---------------------------------------------------------------------------------------

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The connection itself is gone or could not be made. */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection timeout/i.test(message);
}

/**
 * Worth trying again later: connection trouble (class 08, network errnos), transaction rollbacks such
 * as deadlocks and serialisation failures (40), lock timeouts (55P03), insufficient resources such as
 * disk full or too many connections (53), cancelled statements and server shutdown (57). Everything
 * else (bad data, permissions, a missing table or database, authentication) is not.
 */
function isRetryableError(err: unknown): boolean {
  if (err instanceof WharfError) return err.retryable;
  const code = String((err as { code?: unknown } | undefined)?.code ?? '');
  return isConnectionError(err) || code.startsWith('40') || code === '55P03' || code.startsWith('53') || code.startsWith('57');
}

function ledgerError(err: unknown, what: string, where: string): WharfError {
  if (err instanceof WharfError) return err;
  const retryable = isRetryableError(err);
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  const hint = isConnectionError(err)
    ? 'check that PostgreSQL is running and reachable at the configured host and port; Wharf retries'
    : code === '28P01' || code === '28000'
      ? 'check the user name and password in the ledger URL'
      : code === '3D000'
        ? 'create the database named in the ledger URL'
        : retryable
          ? 'a transient database conflict; Wharf retries'
          : 'see the PostgreSQL server log for details';
  return new WharfError('LEDGER_FAILED', `${what}: ${message}`, { where, hint }, { retryable, cause: err });
}

/** `postgres://host:port/db`, without user, password or query (which may carry secrets). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparseable ledger URL)';
  }
}
