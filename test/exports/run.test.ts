/**
 * runExport against real ledgers (SQLite and PostgreSQL), real files and the real mappings, on fixed
 * scheduled times: changes mode, shipments exactly once (reported twice, partial), bundle stock (full
 * and changes, from lookups and product records), merchant isolation, a crash between claim and
 * finish, a destination that is down.
 */
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import type { ExportEntry } from '../../src/config/return-flow.js';
import { runExport } from '../../src/exports/run.js';
import type { Store } from '../../src/ledger/store.js';
import { silentLogger } from '../../src/log.js';
import { backends, type Harness } from '../helpers/ledgers.js';
import { MAPPINGS, SAMPLES, listFiles } from '../helpers/e2e.js';
import { seed, shipmentCsv, shopifyProductsJson, stockCsv } from './seed.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Env {
  root: string;
  store: Store;
  cfg: LoadedConfig;
  out: (merchant: string) => string;
  entry: (key: string) => ExportEntry;
  run: (key: string, at: string) => ReturnType<typeof runExport>;
  files: (merchant: string) => string[];
  read: (merchant: string, name: string) => string;
}

/** A workspace with merchants demo and other, each with a folder channel, a stock and a shipments export. */
async function setup(harness: Harness, opts: { stockMode?: 'full' | 'changes'; writeEmpty?: boolean; destination?: (m: string, root: string) => Record<string, unknown> } = {}): Promise<Env> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-exports-'));
  cleanups.push(() => fs.rm(root, { recursive: true, force: true }));
  const merchant = (id: string) => ({
    channels: { dropbox: { type: 'folder', path: path.join(root, id, 'inbox'), files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }] } },
    exports: {
      stock: { schedule: '0 * * * *', destination: opts.destination?.(id, root) ?? { type: 'folder', path: path.join(root, id, 'outbox') }, mapping: 'merchant-stock-csv', fileName: 'stock-{merchant}-{yyyyMMdd-HHmm}.csv', mode: opts.stockMode ?? 'full', writeEmpty: opts.writeEmpty ?? false },
      shipments: { schedule: '*/5 * * * *', destination: opts.destination?.(id, root) ?? { type: 'folder', path: path.join(root, id, 'outbox') }, mapping: 'merchant-shipments-csv', fileName: 'shipments-{yyyyMMdd-HHmm}.csv', writeEmpty: opts.writeEmpty ?? false },
    },
  });
  const file = path.join(root, 'wharf.yaml');
  await fs.writeFile(file, toYaml({
    ledger: { driver: 'sqlite', path: path.join(root, 'var', 'wharf.sqlite') },
    mappings: MAPPINGS,
    dataDir: path.join(root, 'var'),
    schedule: { timezone: 'Europe/Amsterdam' },
    warehouse: { orders: { path: path.join(root, 'warehouse') } },
    merchants: { demo: merchant('demo'), other: merchant('other') },
  }));
  const cfg = loadConfig(file);
  const store = await harness.open();
  cleanups.push(() => store.close());
  const out = (m: string) => path.join(root, m, 'outbox');
  const entry = (key: string) => {
    const e = cfg.exports.find((x) => x.key === key);
    if (!e) throw new Error(`no export ${key}`);
    return e;
  };
  return {
    root, store, cfg, out, entry,
    run: (key, at) => runExport(entry(key), new Date(at), { store, config: cfg, logger: silentLogger() }),
    files: (m) => listFiles(out(m)).filter((n) => !n.startsWith('.')),
    read: (m, name) => readFileSync(path.join(out(m), name), 'utf8'),
  };
}

const HEADER_STOCK = 'SKU;EAN;Voorraad;Magazijn;Bijgewerkt';
const HEADER_SHIP = 'Bestelnummer;Zending;Verzonden;Vervoerder;Trackingcode;TrackingURL;SKU;Aantal';

for (const backend of backends) {
  describe(`runExport (${backend.name})`, () => {
    async function env(opts: Parameters<typeof setup>[1] = {}): Promise<Env> {
      const h = await backend.create();
      cleanups.push(() => h.cleanup());
      return setup(h, opts);
    }

    it('changes mode over three runs: everything first, then nothing (no file), then only the changed level', async () => {
      const e = await env({ stockMode: 'changes' });
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 5], ['B', 7], ['C', 0]]));
      const r1 = await e.run('demo/stock', '2026-11-27T08:00:00Z');
      // demo's bundle GIFT-BOX-TEA has none of its components here: 0, and no asOf.
      expect(r1).toMatchObject({ outcome: 'written', fileName: 'stock-demo-20261127-0900.csv', items: 4, rows: 4 });
      expect(e.read('demo', r1.fileName!)).toBe(`${HEADER_STOCK}\nA;;5;AMS-01;27-11-2026 06:00\nB;;7;AMS-01;27-11-2026 06:00\nC;;0;AMS-01;27-11-2026 06:00\nGIFT-BOX-TEA;;0;AMS-01;\n`);
      const r2 = await e.run('demo/stock', '2026-11-27T09:00:00Z');
      expect(r2).toMatchObject({ outcome: 'empty', fileName: undefined, items: 0 });
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 5], ['B', 6], ['C', 0]], '2026-11-27 10:00:00'));
      const r3 = await e.run('demo/stock', '2026-11-27T10:00:00Z');
      expect(r3).toMatchObject({ outcome: 'written', fileName: 'stock-demo-20261127-1100.csv', items: 1 });
      expect(e.read('demo', r3.fileName!)).toBe(`${HEADER_STOCK}\nB;;6;AMS-01;27-11-2026 10:00\n`);
      expect(e.files('demo')).toEqual(['stock-demo-20261127-0900.csv', 'stock-demo-20261127-1100.csv']);
    });

    it('a shipment reported twice is exported once; a partial shipment and its rest go out in two runs', async () => {
      const e = await env();
      await seed(e.store, e.root, 'demo', 'dropbox', 'demo-orders-csv', readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8'));
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-shipments-csv', shipmentCsv([['demo:dropbox:WEB-10421', 'SHP-1', 'TEA-EARLGREY-100', 2]]));
      const r1 = await e.run('demo/shipments', '2026-11-27T10:00:00Z');
      expect(r1).toMatchObject({ outcome: 'written', items: 1, rows: 1 });
      expect(e.read('demo', r1.fileName!)).toBe(`${HEADER_SHIP}\nWEB-10421;SHP-1;27-11-2026 11:05;DHL;JVSHP-1;;TEA-EARLGREY-100;2\n`);
      // SHP-1 again (a second report listing it), and the rest of the order as SHP-2.
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-shipments-csv', shipmentCsv([['demo:dropbox:WEB-10421', 'SHP-1', 'TEA-EARLGREY-100', 2], ['demo:dropbox:WEB-10421', 'SHP-2', 'MUG-STONE-WHITE', 1]]));
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-shipments-csv', shipmentCsv([['demo:dropbox:WEB-10421', 'SHP-1', 'TEA-EARLGREY-100', 2]]), { allowDuplicate: true });
      const r2 = await e.run('demo/shipments', '2026-11-27T10:05:00Z');
      expect(r2).toMatchObject({ outcome: 'written', items: 1, rows: 1 });
      expect(e.read('demo', r2.fileName!)).toBe(`${HEADER_SHIP}\nWEB-10421;SHP-2;27-11-2026 11:05;DHL;JVSHP-2;;MUG-STONE-WHITE;1\n`);
      expect(await e.run('demo/shipments', '2026-11-27T10:10:00Z')).toMatchObject({ outcome: 'empty', fileName: undefined });
      expect(e.files('demo')).toEqual(['shipments-20261127-1105.csv', 'shipments-20261127-1100.csv'].sort());
      expect(await e.store.pendingCount('export:demo:shipments')).toBe(0);
    });

    it('bundle stock: from the components at each location, replacing a level reported for the bundle SKU itself', async () => {
      const e = await env();
      // demo-orders-csv's bundles: GIFT-BOX-TEA = 1 TEA-EARLGREY-100 + 1 TEA-ROOIBOS-100 + 2 MUG-STONE-WHITE.
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([
        ['TEA-EARLGREY-100', 10, 'AMS-01'], ['TEA-ROOIBOS-100', 4, 'AMS-01'], ['MUG-STONE-WHITE', 7, 'AMS-01'], ['GIFT-BOX-TEA', 99, 'AMS-01'],
        ['TEA-EARLGREY-100', 3, 'RTM-02'], ['TEA-ROOIBOS-100', 8, 'RTM-02'],
      ]));
      const r = await e.run('demo/stock', '2026-11-27T08:00:00Z');
      expect(e.read('demo', r.fileName!)).toBe([
        HEADER_STOCK,
        'GIFT-BOX-TEA;;3;AMS-01;27-11-2026 06:00', // min(10/1, 4/1, floor(7/2)), not the 99 reported
        'GIFT-BOX-TEA;;0;RTM-02;27-11-2026 06:00', // no mugs at RTM-02
        'MUG-STONE-WHITE;;7;AMS-01;27-11-2026 06:00',
        'TEA-EARLGREY-100;;10;AMS-01;27-11-2026 06:00',
        'TEA-EARLGREY-100;;3;RTM-02;27-11-2026 06:00',
        'TEA-ROOIBOS-100;;4;AMS-01;27-11-2026 06:00',
        'TEA-ROOIBOS-100;;8;RTM-02;27-11-2026 06:00',
        '',
      ].join('\n'));
      expect(r).toMatchObject({ items: 7, rows: 7 });
      expect(await e.store.lastExportRuns(['demo/stock'])).toMatchObject([{ status: 'done', items: 7 }]);
    });

    it('changes mode with a bundle: a component change brings the bundle row (counted in the run\'s items); nothing changed, no file', async () => {
      const e = await env({ stockMode: 'changes' });
      // GIFT-BOX-TEA = 1 TEA-EARLGREY-100 + 1 TEA-ROOIBOS-100 + 2 MUG-STONE-WHITE (demo-orders-csv's bundles).
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['TEA-EARLGREY-100', 10], ['TEA-ROOIBOS-100', 4], ['MUG-STONE-WHITE', 7], ['SPOON', 1]]));
      const r1 = await e.run('demo/stock', '2026-11-27T08:00:00Z');
      expect(r1).toMatchObject({ outcome: 'written', items: 5, rows: 5 });
      expect(e.read('demo', r1.fileName!)).toBe([HEADER_STOCK, 'GIFT-BOX-TEA;;3;AMS-01;27-11-2026 06:00', 'MUG-STONE-WHITE;;7;AMS-01;27-11-2026 06:00', 'SPOON;;1;AMS-01;27-11-2026 06:00',
        'TEA-EARLGREY-100;;10;AMS-01;27-11-2026 06:00', 'TEA-ROOIBOS-100;;4;AMS-01;27-11-2026 06:00', ''].join('\n'));
      // Nothing changed: no level, no bundle row, no file.
      expect(await e.run('demo/stock', '2026-11-27T09:00:00Z')).toMatchObject({ outcome: 'empty', fileName: undefined, items: 0 });
      // Mugs 7 -> 4: the bundle goes 3 -> 2 (the unchanged teas still count, though not in this run).
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['MUG-STONE-WHITE', 4]], '2026-11-27 10:00:00'));
      const r3 = await e.run('demo/stock', '2026-11-27T10:00:00Z');
      expect(r3).toMatchObject({ outcome: 'written', items: 2, rows: 2 });
      expect(e.read('demo', r3.fileName!)).toBe(`${HEADER_STOCK}\nGIFT-BOX-TEA;;2;AMS-01;27-11-2026 10:00\nMUG-STONE-WHITE;;4;AMS-01;27-11-2026 10:00\n`);
      expect(await e.store.lastExportRuns(['demo/stock'])).toMatchObject([{ status: 'done', items: 2 }]);
      // A component change that leaves the bundle at 2: only the component.
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['TEA-EARLGREY-100', 9]], '2026-11-27 11:00:00'));
      const r4 = await e.run('demo/stock', '2026-11-27T11:00:00Z');
      expect(e.read('demo', r4.fileName!)).toBe(`${HEADER_STOCK}\nTEA-EARLGREY-100;;9;AMS-01;27-11-2026 11:00\n`);
      expect(e.files('demo')).toEqual(['stock-demo-20261127-0900.csv', 'stock-demo-20261127-1100.csv', 'stock-demo-20261127-1200.csv']);
    });

    it('changes mode with writeEmpty: nothing changed writes the header-only file, no bundle row', async () => {
      const e = await env({ stockMode: 'changes', writeEmpty: true });
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['TEA-EARLGREY-100', 10], ['TEA-ROOIBOS-100', 4], ['MUG-STONE-WHITE', 7]]));
      expect(await e.run('demo/stock', '2026-11-27T08:00:00Z')).toMatchObject({ outcome: 'written', items: 4 });
      const r2 = await e.run('demo/stock', '2026-11-27T09:00:00Z');
      expect(r2).toMatchObject({ outcome: 'written', fileName: 'stock-demo-20261127-1000.csv', items: 0, rows: 0 });
      expect(e.read('demo', r2.fileName!)).toBe(`${HEADER_STOCK}\n`);
    });

    it('a bundle defined by a product record (any channel of the merchant) wins over the lookup table; the difference is logged', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, new Writable({ write: (c: Buffer, _e, cb) => { lines.push(c.toString()); cb(); } }));
      const e = await env({ stockMode: 'changes' });
      // Products as a webshop channel pulls them: DUO is a bundle of 2 A + 1 B; GIFT-BOX-TEA here is just 1 TEA-EARLGREY-100.
      await seed(e.store, e.root, 'demo', 'shop', 'shopify.product', shopifyProductsJson([['A'], ['B'], ['DUO', [['A', 2], ['B', 1]]], ['GIFT-BOX-TEA', [['TEA-EARLGREY-100', 1]]]]), { ext: 'json' });
      // Another merchant's product record never defines demo's bundles.
      await seed(e.store, e.root, 'other', 'shop', 'shopify.product', shopifyProductsJson([['TRIO', [['A', 3]]]]), { ext: 'json' });
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 9], ['B', 3], ['TEA-EARLGREY-100', 5], ['DUO', 50], ['TRIO', 7]]));
      const r = await runExport(e.entry('demo/stock'), new Date('2026-11-27T08:00:00Z'), { store: e.store, config: e.cfg, logger });
      expect(e.read('demo', r.fileName!)).toBe([HEADER_STOCK,
        'A;;9;AMS-01;27-11-2026 06:00', 'B;;3;AMS-01;27-11-2026 06:00',
        'DUO;;3;AMS-01;27-11-2026 06:00', // min(floor(9/2), 3), not the 50 reported
        'GIFT-BOX-TEA;;5;AMS-01;27-11-2026 06:00', // the product record's definition
        'TEA-EARLGREY-100;;5;AMS-01;27-11-2026 06:00', 'TRIO;;7;AMS-01;27-11-2026 06:00', ''].join('\n'));
      expect(r).toMatchObject({ items: 6 });
      expect(lines.join('')).toContain('bundle \\"GIFT-BOX-TEA\\": product record of channel shop differs from lookup bundles; using product record of channel shop');
    });

    it('isolation: each merchant\'s export holds only its own stock and shipments', async () => {
      const e = await env();
      await seed(e.store, e.root, 'demo', 'dropbox', 'demo-orders-csv', readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8'));
      await seed(e.store, e.root, 'other', 'dropbox', 'demo-orders-csv', readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8'));
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['DEMO-1', 1], ['SHARED', 2]]));
      await seed(e.store, e.root, 'other', 'reports', 'warehouse-stock-csv', stockCsv([['OTHER-1', 3], ['SHARED', 4]]));
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-shipments-csv', shipmentCsv([['demo:dropbox:WEB-10421', 'SHP-D', 'TEA-EARLGREY-100', 2]]));
      await seed(e.store, e.root, 'other', 'reports', 'warehouse-shipments-csv', shipmentCsv([['other:dropbox:WEB-10421', 'SHP-O', 'TEA-EARLGREY-100', 2]]));
      const at = '2026-11-27T10:00:00Z';
      const ds = await e.run('demo/stock', at);
      const os_ = await e.run('other/stock', at);
      expect(e.read('demo', ds.fileName!)).toBe(`${HEADER_STOCK}\nDEMO-1;;1;AMS-01;27-11-2026 06:00\nGIFT-BOX-TEA;;0;AMS-01;\nSHARED;;2;AMS-01;27-11-2026 06:00\n`);
      expect(e.read('other', os_.fileName!)).toBe(`${HEADER_STOCK}\nGIFT-BOX-TEA;;0;AMS-01;\nOTHER-1;;3;AMS-01;27-11-2026 06:00\nSHARED;;4;AMS-01;27-11-2026 06:00\n`);
      const dsh = await e.run('demo/shipments', at);
      expect(e.read('demo', dsh.fileName!)).toBe(`${HEADER_SHIP}\nWEB-10421;SHP-D;27-11-2026 11:05;DHL;JVSHP-D;;TEA-EARLGREY-100;2\n`);
      expect(await e.store.pendingCount('export:other:shipments')).toBe(1);
      const osh = await e.run('other/shipments', at);
      expect(e.read('other', osh.fileName!)).toBe(`${HEADER_SHIP}\nWEB-10421;SHP-O;27-11-2026 11:05;DHL;JVSHP-O;;TEA-EARLGREY-100;2\n`);
    });

    it('a crash between claim and finish: the next call completes that run, identical bytes, one file, shipments once', async () => {
      const e = await env();
      await seed(e.store, e.root, 'demo', 'dropbox', 'demo-orders-csv', readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8'));
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-shipments-csv', readFileSync(path.join(SAMPLES, 'warehouse', 'shipments.csv'), 'utf8'));
      // The process "dies" right after the file is in place, before the ledger notes the run done.
      const dying = new Proxy(e.store, {
        get(target, prop, receiver) {
          if (prop === 'finishExportRun') return async () => { throw new Error('killed'); };
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      await expect(runExport(e.entry('demo/shipments'), new Date('2026-11-27T10:00:00Z'), { store: dying, config: e.cfg, logger: silentLogger() })).rejects.toThrow('killed');
      const first = e.read('demo', 'shipments-20261127-1100.csv');
      // A later tick: the unfinished run is completed instead (its file, its rows), not a second file.
      const again = await e.run('demo/shipments', '2026-11-27T10:05:00Z');
      expect(again).toMatchObject({ outcome: 'unchanged', scheduledAt: '2026-11-27T10:00:00.000Z', fileName: 'shipments-20261127-1100.csv', items: 2 });
      expect(e.read('demo', 'shipments-20261127-1100.csv')).toBe(first);
      expect(first).toBe(readFileSync(path.join(SAMPLES, '..', 'test', 'expected', 'shipments.csv.merchant-shipments-csv.csv'), 'utf8'));
      expect(await e.run('demo/shipments', '2026-11-27T10:10:00Z')).toMatchObject({ outcome: 'empty' });
      expect(listFiles(e.out('demo'))).toEqual(['shipments-20261127-1100.csv']);
    });

    it('two runs in one minute of a minute pattern (a wharf sync after the scheduled run): each its own file, -2 before the extension', async () => {
      const e = await env();
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 5]]));
      const scheduled = await e.run('demo/stock', '2026-11-29T09:00:00Z');
      expect(scheduled).toMatchObject({ outcome: 'written', fileName: 'stock-demo-20261129-1000.csv' });
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 4]], '2026-11-29 10:00:20'));
      const sync = await e.run('demo/stock', '2026-11-29T09:00:37Z');
      expect(sync).toMatchObject({ outcome: 'written', fileName: 'stock-demo-20261129-1000-2.csv' });
      const third = await e.run('demo/stock', '2026-11-29T09:00:52Z');
      expect(third.fileName).toBe('stock-demo-20261129-1000-3.csv');
      expect(e.files('demo')).toEqual(['stock-demo-20261129-1000-2.csv', 'stock-demo-20261129-1000-3.csv', 'stock-demo-20261129-1000.csv']);
      expect(e.read('demo', 'stock-demo-20261129-1000.csv')).toContain('\nA;;5;');
      expect(e.read('demo', 'stock-demo-20261129-1000-2.csv')).toContain('\nA;;4;');
      // The scheduled run called again (a second instance, a catch-up) is that same run, under its own name.
      expect(await e.run('demo/stock', '2026-11-29T09:00:00Z')).toMatchObject({ outcome: 'already-done', fileName: 'stock-demo-20261129-1000.csv' });
    });

    it('a numbered run that crashes between claim and finish is completed under its numbered name', async () => {
      const e = await env();
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 5]]));
      await e.run('demo/stock', '2026-11-29T09:00:00Z');
      const dying = new Proxy(e.store, {
        get(target, prop, receiver) {
          if (prop === 'finishExportRun') return async () => { throw new Error('killed'); };
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      await expect(runExport(e.entry('demo/stock'), new Date('2026-11-29T09:00:37Z'), { store: dying, config: e.cfg, logger: silentLogger() })).rejects.toThrow('killed');
      const again = await e.run('demo/stock', '2026-11-29T10:00:00Z');
      expect(again).toMatchObject({ outcome: 'unchanged', scheduledAt: '2026-11-29T09:00:37.000Z', fileName: 'stock-demo-20261129-1000-2.csv' });
      expect(e.files('demo')).toEqual(['stock-demo-20261129-1000-2.csv', 'stock-demo-20261129-1000.csv']);
      expect((await e.run('demo/stock', '2026-11-29T10:00:00Z')).fileName).toBe('stock-demo-20261129-1100.csv');
    });

    it('a stock run that crashed between claim and finish re-renders identical bytes, bundle rows included, though stock changed meanwhile', async () => {
      const e = await env({ stockMode: 'changes' });
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['TEA-EARLGREY-100', 10], ['TEA-ROOIBOS-100', 4], ['MUG-STONE-WHITE', 7]]));
      const dying = new Proxy(e.store, {
        get(target, prop, receiver) {
          if (prop === 'finishExportRun') return async () => { throw new Error('killed'); };
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      await expect(runExport(e.entry('demo/stock'), new Date('2026-11-27T08:00:00Z'), { store: dying, config: e.cfg, logger: silentLogger() })).rejects.toThrow('killed');
      const first = e.read('demo', 'stock-demo-20261127-0900.csv');
      expect(first).toBe(`${HEADER_STOCK}\nGIFT-BOX-TEA;;3;AMS-01;27-11-2026 06:00\nMUG-STONE-WHITE;;7;AMS-01;27-11-2026 06:00\nTEA-EARLGREY-100;;10;AMS-01;27-11-2026 06:00\nTEA-ROOIBOS-100;;4;AMS-01;27-11-2026 06:00\n`);
      // Meanwhile the mugs run out (the bundle would now be 0).
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['MUG-STONE-WHITE', 0]], '2026-11-27 08:30:00'));
      const again = await e.run('demo/stock', '2026-11-27T09:00:00Z');
      expect(again).toMatchObject({ outcome: 'unchanged', scheduledAt: '2026-11-27T08:00:00.000Z', fileName: 'stock-demo-20261127-0900.csv', items: 4 });
      expect(e.read('demo', 'stock-demo-20261127-0900.csv')).toBe(first);
      // The next run holds what changed since the finished one: the mugs and the bundle.
      const next = await e.run('demo/stock', '2026-11-27T10:00:00Z');
      expect(e.read('demo', next.fileName!)).toBe(`${HEADER_STOCK}\nGIFT-BOX-TEA;;0;AMS-01;27-11-2026 08:30\nMUG-STONE-WHITE;;0;AMS-01;27-11-2026 08:30\n`);
      expect(e.files('demo')).toEqual(['stock-demo-20261127-0900.csv', 'stock-demo-20261127-1100.csv']);
    });

    it('a destination that is down fails the run with a clear error (in the ledger for status); the next run delivers the same shipments', async () => {
      const e = await env();
      await seed(e.store, e.root, 'demo', 'dropbox', 'demo-orders-csv', readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8'));
      await seed(e.store, e.root, 'demo', 'reports', 'warehouse-shipments-csv', readFileSync(path.join(SAMPLES, 'warehouse', 'shipments.csv'), 'utf8'));
      // The outbox path is taken by a regular file: the folder cannot be made (ENOTDIR/EEXIST).
      await fs.mkdir(path.join(e.root, 'demo'), { recursive: true });
      await fs.writeFile(e.out('demo'), 'not a folder');
      await expect(e.run('demo/shipments', '2026-11-27T10:00:00Z')).rejects.toThrow(/EEXIST|ENOTDIR|not a directory|exists/i);
      const [last] = await e.store.lastExportRuns(['demo/shipments']);
      expect(last).toMatchObject({ status: 'failed', scheduledAt: '2026-11-27T10:00:00.000Z' });
      expect(last!.error).toContain(`folder ${e.out('demo')}`);
      expect(await e.store.pendingCount('export:demo:shipments')).toBe(2);
      await fs.rm(e.out('demo'));
      const r = await e.run('demo/shipments', '2026-11-27T10:05:00Z');
      expect(r).toMatchObject({ outcome: 'written', items: 2, rows: 5 });
      expect(e.files('demo')).toEqual(['shipments-20261127-1105.csv']);
    });

    it('writeEmpty: a run with nothing to say writes the header-only file', async () => {
      const e = await env({ writeEmpty: true });
      const r = await e.run('demo/shipments', '2026-11-27T10:00:00Z');
      expect(r).toMatchObject({ outcome: 'written', fileName: 'shipments-20261127-1100.csv', items: 0 });
      expect(e.read('demo', r.fileName!)).toBe(`${HEADER_SHIP}\n`);
      expect(await e.run('demo/shipments', '2026-11-27T10:00:00Z')).toMatchObject({ outcome: 'already-done', fileName: 'shipments-20261127-1100.csv' });
    });
  });
}
