/**
 * A merchant's stock incl. computed bundle levels as claimed content (src/exports/stock-levels.ts) on
 * both ledgers: bundle levels from the whole stock (paged), stored with the run, compared with the
 * baseline like reported levels, under any export key (a webshop push claims `push:<channel>/stock`);
 * bundle definitions from product records; a computed level that breaks the contract is refused.
 */
import { describe, expect, it } from 'vitest';
import { collectBundles, type BundleSet } from '../../src/exports/bundles.js';
import { bundleLevels, claimStockRun, merchantBundles } from '../../src/exports/stock-levels.js';
import type { LoadedConfig } from '../../src/config/load.js';
import type { StockLevel, Store, StoredRecord } from '../../src/ledger/store.js';
import { silentLogger } from '../../src/log.js';
import { DEFAULT_ROUTING, FileRouter } from '../../src/pipeline/routing.js';
import { backends, ledgerPerTest, fileInfo, importFile } from '../helpers/ledgers.js';

const T = (h: number) => `2026-11-27T${String(h).padStart(2, '0')}:00:00.000Z`;

function level(sku: string, quantity: number, warehouse: string, asOf = T(6)): StoredRecord {
  return { kind: 'stock', id: `stock:acme:${sku}:${warehouse}:${asOf}`, merchant: 'acme', channel: 'main', recordNo: 1, body: { merchant: 'acme', sku, quantity, warehouse, asOf } };
}

function product(merchant: string, channel: string, sku: string, components?: [string, number][]): StoredRecord {
  return {
    kind: 'product', id: `product:${merchant}:${channel}:${sku}`, merchant, channel, recordNo: 1,
    body: { merchant, channel, sku, ...(components ? { components: components.map(([s, quantity]) => ({ sku: s, quantity })) } : {}) },
  };
}

async function report(store: Store, records: StoredRecord[]): Promise<void> {
  const tx = await store.beginIntake(fileInfo({ merchant: '@warehouse', channel: 'main' }));
  const router = new FileRouter(tx, DEFAULT_ROUTING, '2026-11-27T12:00:00Z');
  for (const r of records) await router.route(r);
  await tx.commit({ status: 'imported', records: records.length, duplicates: 0, invalid: 0 });
}

/** BOX = 2 A + 1 Z (A sorts first, Z after 2,500 other SKUs: three pages apart). */
const BOX: BundleSet = collectBundles({ products: [{ sku: 'BOX', components: [{ sku: 'A', quantity: 2 }, { sku: 'Z', quantity: 1 }] }] });

const items = async (store: Store, runId: number) => (await store.exportItemsPage(runId, undefined, 10_000)).map((l) => `${l.sku}@${l.location}=${l.quantity}`);

describe.each(backends)('merchant stock incl. bundle levels: $name', (backend) => {
  const ledger = ledgerPerTest(backend);

  it('bundle levels come from the whole stock, paged: every location, components on different pages', async () => {
    const filler = Array.from({ length: 2500 }, (_, i) => level(`M-${String(i).padStart(5, '0')}`, 1, 'AMS'));
    await report(ledger.store, [level('A', 9, 'AMS', T(5)), level('Z', 3, 'AMS', T(7)), ...filler, level('A', 1, 'RTM'), level('ONLY', 4, 'UTR'), level('BOX', 99, 'AMS')]);
    const computed = await bundleLevels(ledger.store, 'acme', BOX);
    expect(computed).toEqual({
      replaces: ['BOX'],
      levels: [
        { merchant: 'acme', sku: 'BOX', location: 'AMS', quantity: 3, ean: null, asOf: T(7) }, // min(floor(9/2), 3)
        { merchant: 'acme', sku: 'BOX', location: 'RTM', quantity: 0, ean: null, asOf: T(6) }, // no Z there
        { merchant: 'acme', sku: 'BOX', location: 'UTR', quantity: 0, ean: null, asOf: '' }, // no component there at all
      ] satisfies StockLevel[],
    });
    expect(await bundleLevels(ledger.store, 'acme', undefined)).toBeUndefined();
    expect(await bundleLevels(ledger.store, 'nobody', BOX)).toEqual({ replaces: ['BOX'], levels: [] });
  });

  it('a push key claims the same content: bundle levels stored with the run, in the baseline on finish, only changed ones next time', async () => {
    await report(ledger.store, [level('A', 9, 'AMS'), level('Z', 3, 'AMS'), level('BOX', 99, 'AMS'), level('C', 1, 'AMS')]);
    const key = 'push:shop/stock';
    const claim = (h: number) => claimStockRun(ledger.store, { export: key, scheduledAt: T(h), fileName: '' }, { merchant: 'acme', mode: 'changes', bundles: BOX });
    const first = await claim(7);
    expect(first.run.items).toBe(4);
    expect(await items(ledger.store, first.run.id)).toEqual(['A@AMS=9', 'BOX@AMS=3', 'C@AMS=1', 'Z@AMS=3']);
    // Stock changes before the run finishes: the claimed content (bundle level included) stays.
    await report(ledger.store, [level('Z', 1, 'AMS', T(8))]);
    expect(await claim(7)).toEqual({ created: false, run: first.run });
    expect(await items(ledger.store, first.run.id)).toEqual(['A@AMS=9', 'BOX@AMS=3', 'C@AMS=1', 'Z@AMS=3']);
    expect(await ledger.store.finishExportRun(first.run.id)).toBe(true);

    const second = await claim(9);
    expect(await items(ledger.store, second.run.id)).toEqual(['BOX@AMS=1', 'Z@AMS=1']);
    expect(second.run.items).toBe(2);
    await ledger.store.finishExportRun(second.run.id);
    // A component change that leaves the bundle where it was: the component only.
    await report(ledger.store, [level('A', 8, 'AMS', T(10))]);
    const third = await claim(11);
    expect(await items(ledger.store, third.run.id)).toEqual(['A@AMS=8']);
    await ledger.store.finishExportRun(third.run.id);
    expect((await claim(12)).run.items).toBe(0);
    // The push's baseline is its own: the merchant export under another key still gets everything.
    const full = await claimStockRun(ledger.store, { export: 'acme/stock', scheduledAt: T(12), fileName: 'f.csv' }, { merchant: 'acme', mode: 'changes', bundles: BOX });
    expect(await items(ledger.store, full.run.id)).toEqual(['A@AMS=8', 'BOX@AMS=1', 'C@AMS=1', 'Z@AMS=1']);
  });

  it('a failed run is claimed again with fresh bundle levels', async () => {
    await report(ledger.store, [level('A', 9, 'AMS'), level('Z', 3, 'AMS')]);
    const claim = () => claimStockRun(ledger.store, { export: 'acme/stock', scheduledAt: T(7), fileName: 'f.csv' }, { merchant: 'acme', mode: 'full', bundles: BOX });
    const first = await claim();
    await ledger.store.failExportRun(first.run.id, 'SFTP refused');
    await report(ledger.store, [level('Z', 0, 'AMS', T(8))]);
    const again = await claim();
    expect(again.created).toBe(true);
    expect(await items(ledger.store, again.run.id)).toEqual(['A@AMS=9', 'BOX@AMS=0', 'Z@AMS=0']);
  });

  it('computed levels that break the contract are refused, nothing claimed', async () => {
    await report(ledger.store, [level('A', 9, 'AMS')]);
    const bad = (levels: StockLevel[]) => ledger.store.claimExportRun({ export: 'acme/stock', scheduledAt: T(7), fileName: 'f.csv' }, { kind: 'stock', merchant: 'acme', mode: 'full', computed: { replaces: ['BOX'], levels } });
    const l = { merchant: 'acme', sku: 'BOX', location: 'AMS', quantity: 1, ean: null, asOf: '' };
    await expect(bad([{ ...l, merchant: 'other' }])).rejects.toThrow(/computed stock level "BOX" at "AMS" is of merchant other, not acme; nothing was claimed/);
    await expect(bad([{ ...l, sku: 'A' }])).rejects.toThrow(/"A" at "AMS" has a SKU that is not among the SKUs it replaces/);
    await expect(bad([l, l])).rejects.toThrow(/is listed twice/);
    await expect(bad([{ ...l, quantity: -1 }])).rejects.toThrow(/has quantity -1/);
    expect(await ledger.store.lastExportRuns()).toEqual([]);
  });

  it('product records with components: one merchant\'s, any channel, paged by id; merchantBundles merges them with the lookups', async () => {
    await importFile(ledger.store, [product('acme', 'shop', 'P1'), product('acme', 'shop', 'KIT', [['P1', 2]]), product('acme', 'bol', 'DUO', [['P1', 1], ['P2', 1]]), product('other', 'shop', 'TRIO', [['P1', 3]])], fileInfo({ merchant: 'acme', channel: 'shop' }));
    const page1 = await ledger.store.bundleProductsPage('acme', undefined, 1);
    expect(page1).toEqual([{ id: 'product:acme:bol:DUO', channel: 'bol', sku: 'DUO', components: [{ sku: 'P1', quantity: 1 }, { sku: 'P2', quantity: 1 }] }]);
    expect((await ledger.store.bundleProductsPage('acme', page1[0]!.id, 10)).map((p) => p.id)).toEqual(['product:acme:shop:KIT']);
    expect(await ledger.store.bundleProductsPage('nobody', undefined, 10)).toEqual([]);
    // No channels configured: the product records alone define the bundles.
    const cfg = { channels: [], mappingsDir: '/nonexistent' } as unknown as LoadedConfig; // only the fields merchantBundles reads
    const set = await merchantBundles(ledger.store, cfg, 'acme', silentLogger());
    expect([...set!.bundles.keys()].sort()).toEqual(['DUO', 'KIT']);
    expect(set!.bundles.get('KIT')!.source).toBe('product record of channel shop');
    expect(await merchantBundles(ledger.store, cfg, 'nobody', silentLogger())).toBeUndefined();
  });
});
