/**
 * Warehouse report intake end to end (issue 8 point 1), through the real CLI: report sources
 * (`warehouse.reports`) are polled by `wharf once` like merchant folder channels, their stock levels
 * and shipments land in the SQLite ledger under the record's merchant, and a report can never change
 * another merchant's data — neither through a fixed-merchant source nor through a merchant field.
 */
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { SAMPLES, copyMappings, createWorkspace, killAllDaemons, waitFor, wharf, type CliResult, type QuarantineReport, type Workspace } from '../helpers/e2e.js';

let ws: Workspace;
let reports: string;
let first: CliResult;
let second: CliResult;

/** A read-only look at the workspace's ledger. */
function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(ws.varDir, 'wharf.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function reportOf(source: string, name: string): QuarantineReport {
  return JSON.parse(readFileSync(path.join(reports, source, 'quarantine', `${name}.errors.json`), 'utf8')) as QuarantineReport;
}

const SHIPMENTS_HEADER = 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY';

beforeAll(async () => {
  ws = await createWorkspace();
  reports = path.join(ws.root, 'reports');
  const mappings = await copyMappings(ws);
  // A stock report that names each row's merchant (for the source without a fixed merchant).
  writeFileSync(path.join(mappings, 'warehouse-stock-by-merchant-csv.yaml'), `kind: stock
format: csv
csv: { delimiter: ';' }
fields:
  merchant: MERCHANT
  sku: { path: ARTICLE, required: true }
  quantity: { path: AVAILABLE, required: true }
  warehouse: LOCATION
`);
  const base = ws.configObject({ mappings });
  const merchants = base.merchants as Record<string, { channels: Record<string, Record<string, unknown>>; exports?: unknown }>;
  const demoChannel = merchants.demo!.channels.dropbox!;
  merchants.demo!.exports = {
    shipments: { schedule: '*/5 * * * *', destination: { type: 'folder', path: path.join(ws.root, 'outbox-demo') }, mapping: 'merchant-shipments-csv', fileName: 'shipments-{yyyyMMdd-HHmm}.csv' },
  };
  merchants.other = { channels: { dropbox: { ...demoChannel, path: path.join(ws.root, 'inbox-other') } } };
  const source = (dir: string, extra: Record<string, unknown>) => ({
    type: 'folder', path: path.join(reports, dir), minAge: 0.2, pollInterval: 0.25,
    files: [
      { pattern: 'stock-by-merchant*.csv', mapping: 'warehouse-stock-by-merchant-csv' },
      { pattern: 'stock*.csv', mapping: 'warehouse-stock-csv' },
      { pattern: 'shipments*.csv', mapping: 'warehouse-shipments-csv' },
    ],
    ...extra,
  });
  (base.warehouse as Record<string, unknown>).reports = {
    demo: source('demo', { merchant: 'demo' }),
    other: source('other', { merchant: 'other' }),
    mixed: source('mixed', { onInvalid: 'acceptValid' }),
  };
  writeFileSync(ws.configPath, toYaml(base));
  for (const dir of ['demo', 'other', 'mixed']) await fs.mkdir(path.join(reports, dir), { recursive: true });

  // Pass 1: the same order file for both merchants (demo:dropbox:WEB-10421 and other:dropbox:WEB-10421, …).
  await ws.drop('orders-semicolon.csv', 'orders.csv');
  await fs.mkdir(path.join(ws.root, 'inbox-other'), { recursive: true });
  await fs.copyFile(path.join(SAMPLES, 'orders-semicolon.csv'), path.join(ws.root, 'inbox-other', 'orders.csv'));
  first = await ws.once();

  // Pass 2: the warehouse's reports.
  await fs.copyFile(path.join(SAMPLES, 'warehouse', 'stock.csv'), path.join(reports, 'demo', 'stock.csv'));
  await fs.copyFile(path.join(SAMPLES, 'warehouse', 'shipments.csv'), path.join(reports, 'demo', 'shipments.csv'));
  await fs.writeFile(path.join(reports, 'demo', 'shipments-unknown.csv'), `${SHIPMENTS_HEADER}\ndemo:dropbox:WEB-99999;SHP-1;2026-11-27 10:00:00;PostNL;3S1;;TEA-EARLGREY-100;1\n`);
  // The demo source with a merchant field that names another merchant: that record is refused.
  await fs.writeFile(path.join(reports, 'demo', 'stock-by-merchant.csv'), 'MERCHANT;ARTICLE;AVAILABLE;LOCATION\nother;TEA-EARLGREY-100;1;AMS-01\n');
  // Other's fixed source: a shipment of demo's order is refused; its stock is other's alone.
  await fs.writeFile(path.join(reports, 'other', 'shipments-cross.csv'), `${SHIPMENTS_HEADER}\ndemo:dropbox:WEB-10422;SHP-9;2026-11-27 10:00:00;PostNL;3S9;;TEA-EARLGREY-100;1\n`);
  await fs.writeFile(path.join(reports, 'other', 'stock.csv'), 'ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP\nTEA-EARLGREY-100;;5;AMS-01;2026-11-27 07:00:00\n');
  // The field-based source: one record of other's, one of a merchant the config lacks.
  await fs.writeFile(path.join(reports, 'mixed', 'stock-by-merchant.csv'), 'MERCHANT;ARTICLE;AVAILABLE;LOCATION\nother;MUG-STONE-WHITE;4;AMS-01\nghost;MUG-STONE-WHITE;99;AMS-01\n');
  second = await ws.once();
}, 120_000);

afterAll(async () => {
  await ws?.dispose();
});

describe('warehouse reports through wharf once', () => {
  it('both passes succeed', () => {
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    expect(second.code, second.stderr.slice(-3000)).toBe(0);
  });

  it('takes the stock report into the ledger as demo\'s levels', () => {
    const rows = query<{ sku: string; location: string; quantity: number }>("SELECT sku, location, quantity FROM stock WHERE merchant = 'demo' ORDER BY sku");
    expect(rows).toEqual([
      { sku: 'INFUSER-STEEL', location: 'AMS-01', quantity: 212 },
      { sku: 'MUG-STONE-WHITE', location: 'AMS-01', quantity: 37 },
      { sku: 'SPOON-BRASS', location: 'AMS-01', quantity: 9 },
      { sku: 'TEA-EARLGREY-100', location: 'AMS-01', quantity: 148 },
      { sku: 'TEA-ROOIBOS-100', location: 'AMS-01', quantity: 0 },
    ]);
  });

  it('takes the shipments, linked to demo\'s orders and owed to demo\'s shipment export only', () => {
    const rows = query<{ merchant: string; channel: string; parent_id: string }>("SELECT merchant, channel, parent_id FROM records WHERE kind = 'shipment' ORDER BY parent_id");
    expect(rows).toEqual([
      { merchant: 'demo', channel: 'demo', parent_id: 'demo:dropbox:WEB-10421' },
      { merchant: 'demo', channel: 'demo', parent_id: 'demo:dropbox:WEB-10423' },
    ]);
    const owed = query<{ destination: string; merchant: string }>("SELECT destination, merchant FROM outbox WHERE action = 'shipment' ORDER BY id");
    expect(owed).toEqual([
      { destination: 'export:demo:shipments', merchant: 'demo' },
      { destination: 'export:demo:shipments', merchant: 'demo' },
    ]);
  });

  it('quarantines a shipment for an unknown order with a clear report', () => {
    const report = reportOf('demo', 'shipments-unknown.csv');
    expect(report.merchant).toBe('@warehouse');
    expect(report.channel).toBe('demo');
    expect(report.errors).toEqual([expect.objectContaining({
      record: 1, field: 'orderId',
      message: 'shipment "SHP-1" refers to order "demo:dropbox:WEB-99999" which Wharf never received for merchant demo; check the order id (orderId) in the warehouse report',
    })]);
  });

  it('a fixed-merchant source refuses a record whose merchant field names another merchant', () => {
    const report = reportOf('demo', 'stock-by-merchant.csv');
    expect(report.errors[0]).toMatchObject({ record: 1, field: 'merchant' });
    expect(report.errors[0]!.message).toMatch(/^merchant "other" but this report source belongs to demo; /);
    expect(report.summary).toMatch(/record 1.*merchant "other" but this report source belongs to demo/);
  });

  it("other's source cannot ship demo's order; its stock level is other's alone", () => {
    const report = reportOf('other', 'shipments-cross.csv');
    expect(report.errors[0]).toMatchObject({ record: 1, field: 'orderId' });
    expect(report.errors[0]!.message).toContain('refers to order "demo:dropbox:WEB-10422" which Wharf never received for merchant other');
    expect(query("SELECT * FROM records WHERE kind = 'shipment' AND parent_id = 'demo:dropbox:WEB-10422'")).toEqual([]);
    const earlGrey = query<{ merchant: string; quantity: number }>("SELECT merchant, quantity FROM stock WHERE sku = 'TEA-EARLGREY-100' ORDER BY merchant");
    expect(earlGrey).toEqual([{ merchant: 'demo', quantity: 148 }, { merchant: 'other', quantity: 5 }]);
  });

  it('a source without a fixed merchant takes the record\'s merchant, and reports an unknown one', () => {
    const mugs = query<{ merchant: string; quantity: number }>("SELECT merchant, quantity FROM stock WHERE sku = 'MUG-STONE-WHITE' ORDER BY merchant");
    expect(mugs).toEqual([{ merchant: 'demo', quantity: 37 }, { merchant: 'other', quantity: 4 }]);
    expect(query("SELECT * FROM stock WHERE merchant = 'ghost'")).toEqual([]);
    const report = reportOf('mixed', 'stock-by-merchant.csv');
    expect(report.outcome).toBe('partial');
    expect(report.errors).toEqual([expect.objectContaining({
      record: 2, field: 'merchant',
      message: 'merchant "ghost" is not one of the 2 configured merchant(s); correct the report\'s merchant column, or add the merchant to the config',
    })]);
  });

  it('wharf status lists the report sources with their counts and quarantined files', async () => {
    const status = await ws.status();
    const of = (channel: string) => status.channels.find((c) => c.merchant === '@warehouse' && c.channel === channel);
    expect(of('demo')?.files).toMatchObject({ imported: 2, quarantined: 2 });
    expect(of('other')?.files).toMatchObject({ imported: 1, quarantined: 1 });
    expect(of('mixed')?.files).toMatchObject({ partial: 1 });
    expect(of('demo')?.lastOkAt).toBeTruthy();
    expect(status.quarantined.filter((q) => q.merchant === '@warehouse').map((q) => `${q.channel}/${q.name}`).sort())
      .toEqual(['demo/shipments-unknown.csv', 'demo/stock-by-merchant.csv', 'mixed/stock-by-merchant.csv', 'other/shipments-cross.csv']);
    const text = await ws.wharf(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  @warehouse/demo [folder]\n');
    expect(text.stdout).toMatch(/@warehouse\/demo \[folder\]\n {4}last poll \S+, last success \S+\n {4}files: 2 imported, 0 partially imported, 0 duplicate, 2 quarantined; records: 7/);
  });

  it('archives the imported reports like a merchant channel', async () => {
    const days = await fs.readdir(path.join(reports, 'demo', 'archive'));
    const archived = (await Promise.all(days.map((d) => fs.readdir(path.join(reports, 'demo', 'archive', d))))).flat().sort();
    expect(archived).toEqual(['shipments.csv', 'stock.csv']);
    expect((await fs.readdir(path.join(reports, 'demo'))).filter((n) => n.endsWith('.csv'))).toEqual([]);
  });
});

describe('wharf validate / map of a report apply the merchant rule the daemon applies', () => {
  const MIXED = 'MERCHANT;ARTICLE;AVAILABLE;LOCATION\nother;MUG-STONE-WHITE;4;AMS-01\nghost;MUG-STONE-WHITE;99;AMS-01\n';

  it('a source without a fixed merchant: a merchant the config lacks is an error of that record', async () => {
    const file = path.join(ws.root, 'stock-by-merchant-preview.csv');
    writeFileSync(file, MIXED);
    const r = await ws.wharf(['validate', file, '--mapping', 'warehouse-stock-by-merchant-csv', '--channel', '@warehouse/mixed']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/record 2, line 3: merchant: merchant "ghost" is not one of the 2 configured merchant\(s\)/);
    expect(r.stdout).toContain('INVALID: 1 of 2 records have errors');
    const m = await ws.wharf(['map', file, '--mapping', 'warehouse-stock-by-merchant-csv', '--channel', '@warehouse/mixed']);
    expect(m.code).toBe(1);
    expect((JSON.parse(m.stdout) as { merchant: string }[]).map((x) => x.merchant)).toEqual(['other']);
  });

  it('a fixed-merchant source: a record naming another merchant is an error', async () => {
    const file = path.join(ws.root, 'stock-by-merchant-demo.csv');
    writeFileSync(file, MIXED);
    const r = await ws.wharf(['validate', file, '--mapping', 'warehouse-stock-by-merchant-csv', '--channel', '@warehouse/demo']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/record 1, line 2: merchant: merchant "other" but this report source belongs to demo/);
  });

  it('without --channel: the source whose file rules read the file decides; several that disagree ask for --channel', async () => {
    // Every source here has the rule stock-by-merchant*.csv, with different merchant rules.
    const file = path.join(ws.root, 'stock-by-merchant-any.csv');
    writeFileSync(file, MIXED);
    const r = await ws.wharf(['validate', file, '--mapping', 'warehouse-stock-by-merchant-csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is read by @warehouse\/demo, @warehouse\/other, @warehouse\/mixed, which decide the merchant differently; give --channel/);
  });
});

describe('wharf check on report sources', () => {
  it('refuses a report source whose mapping is not a stock or shipment mapping', async () => {
    const cfg = readFileSync(ws.configPath, 'utf8');
    const bad = path.join(ws.root, 'bad.yaml');
    writeFileSync(bad, cfg.replace('mapping: warehouse-stock-csv', 'mapping: demo-orders-csv'));
    const r = await wharf(['check', '--config', bad], { cwd: ws.root });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('valid (2 channel(s), 3 warehouse report source(s), ledger sqlite)');
    expect(r.stdout).toMatch(/mapping demo-orders-csv: ERROR is an input order mapping, but warehouse\.reports\.demo\.files\[1\]\.mapping needs an input stock or shipment mapping/);
  });
});

describe('warehouse reports through wharf run', () => {
  let live: Workspace;
  afterAll(async () => {
    await killAllDaemons();
    await live?.dispose();
  });

  it('the daemon takes a stock report dropped while it runs', async () => {
    live = await createWorkspace();
    const folder = path.join(live.root, 'reports-main');
    await fs.mkdir(folder, { recursive: true });
    const cfg = live.configObject();
    (cfg.warehouse as Record<string, unknown>).reports = {
      main: { type: 'folder', path: folder, minAge: 0.2, pollInterval: 0.25, merchant: 'demo', files: [{ pattern: 'stock*.csv', mapping: 'warehouse-stock-csv' }] },
    };
    writeFileSync(live.configPath, toYaml(cfg));
    const daemon = live.start();
    await daemon.ready();
    expect(daemon.logs().find((l) => /wharf is running/.test(l.msg))?.channels).toContain('@warehouse/main');
    await fs.copyFile(path.join(SAMPLES, 'warehouse', 'stock.csv'), path.join(folder, 'stock.csv'));
    const levels = await waitFor(() => {
      try {
        const db = new Database(path.join(live.varDir, 'wharf.sqlite'), { readonly: true, fileMustExist: true });
        try {
          const n = (db.prepare("SELECT count(*) AS n FROM stock WHERE merchant = 'demo'").get() as { n: number }).n;
          return n === 5 ? n : undefined;
        } finally {
          db.close();
        }
      } catch {
        return undefined; // the ledger is not created yet
      }
    }, { what: 'the five stock levels in the ledger', daemon });
    expect(levels).toBe(5);
    const stopped = await daemon.stop();
    expect(stopped.code).toBe(0);
  });
});
