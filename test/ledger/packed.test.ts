/**
 * Order bodies stored compressed (src/ledger/packed.ts): the codec round-trips and refuses what it
 * cannot read; on both ledgers an order's row holds packed bytes while every reader gets the same body
 * back; and a ledger written before bodies were packed (plain JSON bodies, no `packed` columns) still
 * reads, delivers, freezes and prunes after the upgrade, which also makes two indexes partial.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { DICTIONARIES, PACKED, packBody, rowBody, unpackBody } from '../../src/ledger/packed.js';
import { PostgresStore } from '../../src/ledger/postgres.js';
import { prune } from '../../src/ledger/retention.js';
import { SqliteStore } from '../../src/ledger/sqlite.js';
import type { Store } from '../../src/ledger/store.js';
import { WAREHOUSE_ORDERS } from '../../src/pipeline/routing.js';
import { fileInfo, importFile, order } from '../helpers/ledgers.js';
import { createPgSchema } from '../helpers/pg.js';

const DAY = 86_400_000;
let far = 1000;
/** Later at each call: PostgresStore's dueDeliveries claims the rows it returns. */
const FAR = () => new Date(Date.now() + far++ * DAY);

describe('packed bodies: the codec', () => {
  it('round-trips canonical JSON of any size and content', () => {
    const big = JSON.stringify({ ...order('X1').body, lines: Array.from({ length: 300 }, (_, i) => ({ lineId: String(i), sku: `SKU-${i}`, name: 'Thé Öztürk ✓ 𝄞', quantity: i })) });
    for (const json of ['{}', JSON.stringify(order('A1').body), big]) {
      const bytes = packBody(json);
      expect(bytes[0]).toBe(1);
      expect(unpackBody(bytes, 'test')).toBe(json);
    }
    expect(packBody(big).length).toBeLessThan(big.length / 4);
  });

  it('format 1 still reads bytes written with it (its dictionary and window never change)', () => {
    // Written by packBody when format 1 was introduced; a changed DICTIONARY_1 would not read it back.
    const stored = Buffer.from('AYMmPEPUlJerVAsA', 'base64');
    expect(unpackBody(stored, 'test')).toBe('{"id":"1","merchant":"m"}');
    expect(DICTIONARIES[1]!.length).toBe(1132);
  });

  it('refuses an unknown format and damaged bytes with a clear error', () => {
    const bytes = packBody('{"a":1}');
    expect(() => unpackBody(Buffer.concat([Buffer.from([9]), bytes.subarray(1)]), 'record r1')).toThrow(/record r1: the stored body has format 9, which this Wharf cannot read/);
    expect(() => unpackBody(Buffer.from([1, 0xff, 0xff, 0xff]), 'record r1')).toThrow(WharfError);
    expect(() => rowBody(PACKED, null, 'record r1')).toThrow(/marked packed but the packed column is empty/);
    expect(rowBody('', null, 'x')).toBeNull();
    expect(rowBody('{"a":1}', null, 'x')).toBe('{"a":1}');
  });
});

/** A ledger with raw SQL next to the store: to look at the stored columns and to make an old ledger. */
interface RawLedger {
  open(): Promise<Store>;
  all(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
  /** The names of the indexes on `table`. */
  indexes(table: string): Promise<string[]>;
  cleanup(): Promise<void>;
}

const rawBackends: { name: string; create(): Promise<RawLedger> }[] = [
  {
    name: 'sqlite',
    async create() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-packed-'));
      const file = path.join(dir, 'ledger.db');
      const withDb = <T>(fn: (db: Database.Database) => T): T => {
        const db = new Database(file);
        try {
          return fn(db);
        } finally {
          db.close();
        }
      };
      return {
        open: async () => new SqliteStore(file),
        all: async (sql, params = []) => withDb((db) => db.prepare(sql).all(...params) as Record<string, unknown>[]),
        run: async (sql, params = []) => void withDb((db) => db.prepare(sql).run(...params)),
        indexes: async (table) => withDb((db) => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).all(table) as { name: string }[]).map((r) => r.name)),
        cleanup: () => fs.rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async create() {
      const schema = await createPgSchema();
      const numbered = (sql: string) => {
        let i = 0;
        return sql.replace(/\?/g, () => `$${++i}`);
      };
      return {
        open: () => PostgresStore.connect(schema.url),
        all: (sql, params = []) => schema.query(numbered(sql), params),
        run: async (sql, params = []) => void (await schema.query(numbered(sql), params)),
        indexes: async (table) => (await schema.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`, [table])).map((r) => r.name),
        cleanup: () => schema.drop(),
      };
    },
  },
];

describe.each(rawBackends)('packed bodies in the ledger: $name', (backend) => {
  let raw: RawLedger;
  let store: Store | undefined;
  beforeEach(async () => {
    raw = await backend.create();
    store = await raw.open();
  });
  afterEach(async () => {
    await store?.close().catch(() => undefined);
    await raw.cleanup();
  });
  const open = () => store ?? (() => { throw new Error('no store'); })();

  it('an order is stored packed and every reader gets its body back; a product stays plain for the SQL lookups', async () => {
    const a1 = order('A1', 'open', { note: 'first' });
    const { fileId } = await importFile(open(), [a1, order('A2')]);
    const rows = await raw.all(`SELECT id, body, packed FROM records ORDER BY id`);
    expect(rows.map((r) => [r.id, r.body, r.packed instanceof Uint8Array])).toEqual([['acme:shop:A1', PACKED, true], ['acme:shop:A2', PACKED, true]]);
    expect(JSON.parse(unpackBody(rows[0]!.packed as Uint8Array, 'test'))).toEqual(a1.body);

    // The intake's read, the console's trail and the duplicate report's ids.
    const tx = await open().beginIntake(fileInfo());
    expect(await tx.recordBody('acme:shop:A1')).toEqual(a1.body);
    await tx.insertRecord({ id: 'acme:product:P1', kind: 'product', merchant: 'acme', channel: 'shop', status: null, hash: 'h', body: '{"sku":"P1","ean":"0001"}', recordNo: 1 });
    expect(await tx.productExists('acme', 'P1')).toBe(true);
    expect(await tx.productSkuForEan('acme', '0001', 'OTHER')).toBe('P1');
    await tx.commit({ status: 'imported', records: 1, duplicates: 0, invalid: 0 });
    expect((await raw.all(`SELECT body, packed FROM records WHERE id = 'acme:product:P1'`))[0]).toEqual({ body: '{"sku":"P1","ean":"0001"}', packed: null });
    expect((await open().recordTrail('acme:shop:A1'))?.record.body).toEqual(a1.body);
    expect((await open().fileTrail(fileId, 10)).records.map((r) => r.externalId)).toEqual(['A1', 'A2']);
    expect((await open().importedRecords('acme', 'shop', (await open().findFiles({ id: fileId }))[0]!.sha256, 10))?.ids).toEqual(['A1', 'A2']);

    // A cancellation before delivery freezes the packed open body into the delivery row.
    await importFile(open(), [order('A1', 'cancelled', { note: 'cancel' })]);
    const frozen = await raw.all(`SELECT body, packed FROM outbox WHERE record_id = 'acme:shop:A1' AND action = 'order'`);
    expect(frozen.map((r) => [r.body, r.packed instanceof Uint8Array])).toEqual([[PACKED, true]]);
    const due = await open().dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    expect(due.map((r) => [r.recordId, r.action, r.body.status, r.body.note])).toEqual([
      ['acme:shop:A1', 'order', 'open', 'first'], ['acme:shop:A2', 'order', 'open', undefined], ['acme:shop:A1', 'cancel', 'cancelled', 'cancel'],
    ]);
    await open().markDelivered(due.map((r) => r.id), 'file');

    // Retention empties both columns of a delivered order.
    const counts = await prune(open(), { bodiesDays: 30, idsDays: 400, batch: 50 }, { now: new Date(Date.now() + 31 * DAY) });
    expect(counts).toMatchObject({ bodies: 2 });
    expect((await raw.all(`SELECT body, packed FROM records WHERE kind = 'order' ORDER BY id`))).toEqual([{ body: '', packed: null }, { body: '', packed: null }]);
  });

  it('a ledger written before bodies were packed (plain bodies, no packed columns) still reads, delivers, freezes and prunes', async () => {
    const old1 = order('O1', 'open', { note: 'old' });
    await importFile(open(), [old1, order('O2')]);
    const delivered = (await open().dueDeliveries(WAREHOUSE_ORDERS, 10, FAR())).filter((r) => r.recordId === 'acme:shop:O2');
    await open().markDelivered(delivered.map((r) => r.id), 'file');
    await open().close();
    store = undefined;
    // The old layout: plain canonical JSON in `body`, outbox rows referencing it, no `packed` column.
    for (const r of await raw.all(`SELECT id, packed FROM records`)) {
      await raw.run(`UPDATE records SET body = ? WHERE id = ?`, [unpackBody(r.packed as Uint8Array, 'test'), r.id]);
    }
    await raw.run(`ALTER TABLE records DROP COLUMN packed`);
    await raw.run(`ALTER TABLE outbox DROP COLUMN packed`);
    // and its indexes on every record's parent and every delivery's run.
    await raw.run(`DROP INDEX records_children`);
    await raw.run(`CREATE INDEX records_by_parent ON records (parent_id)`);
    await raw.run(`DROP INDEX outbox_runs`);
    await raw.run(`CREATE INDEX outbox_by_run ON outbox (run_id)`);
    expect((await raw.all(`SELECT body FROM records WHERE id = 'acme:shop:O1'`))[0]!.body).toBe(JSON.stringify(old1.body));

    store = await raw.open();
    // The upgrade swapped the full indexes for partial ones (only children have a parent, only export rows a run).
    expect(await raw.indexes('records')).toContain('records_children');
    expect(await raw.indexes('records')).not.toContain('records_by_parent');
    expect(await raw.indexes('outbox')).toContain('outbox_runs');
    expect(await raw.indexes('outbox')).not.toContain('outbox_by_run');
    const tx = await open().beginIntake(fileInfo());
    expect(await tx.recordBody('acme:shop:O1')).toEqual(old1.body);
    await tx.rollback();
    expect((await open().recordTrail('acme:shop:O1'))?.record.externalId).toBe('O1');
    // The pending delivery of O1 is cancelled before it goes: the plain old body is frozen into it, the
    // cancelled one is stored packed; both deliveries render what they were queued with.
    await importFile(open(), [order('O1', 'cancelled', { note: 'cancel' })]);
    expect((await raw.all(`SELECT body, packed FROM records WHERE id = 'acme:shop:O1'`)).map((r) => [r.body, r.packed instanceof Uint8Array])).toEqual([[PACKED, true]]);
    expect(await raw.all(`SELECT body, packed FROM outbox WHERE record_id = 'acme:shop:O1' AND action = 'order'`)).toEqual([{ body: JSON.stringify(old1.body), packed: null }]);
    const due = await open().dueDeliveries(WAREHOUSE_ORDERS, 10, FAR());
    expect(due.map((r) => [r.action, r.body.status, r.body.note])).toEqual([['order', 'open', 'old'], ['cancel', 'cancelled', 'cancel']]);
    await open().markDelivered(due.map((r) => r.id), 'file');

    // Retention prunes plain and packed bodies alike.
    expect(await prune(open(), { bodiesDays: 30, idsDays: 400, batch: 50 }, { now: new Date(Date.now() + 31 * DAY) })).toMatchObject({ bodies: 2 });
    expect(await raw.all(`SELECT body, packed FROM records ORDER BY id`)).toEqual([{ body: '', packed: null }, { body: '', packed: null }]);
  });
});
