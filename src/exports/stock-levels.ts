import type { LoadedConfig } from '../config/load.js';
import { platformMappings } from '../connectors/platforms.js';
import { describeError } from '../errors.js';
import type { BundleProduct, ComputedStock, ExportContent, ExportRun, StockLevel, Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import { loadMapping } from '../mapping/index.js';
import type { LookupTable } from '../mapping/lookups.js';
import { bundleStockLevels, collectBundles, type BundleSet } from './bundles.js';

/**
 * A merchant's stock as exports and pushes claim it: the reported levels plus the computed bundle
 * levels, fixed with the run by `Store.claimExportRun` (so a re-render after a crash gives the same
 * content). The merchant stock export (src/exports/run.ts) and the webshop stock push claim it the
 * same way:
 *
 *     const bundles = await merchantBundles(store, config, merchant, logger);
 *     const { run } = await claimStockRun(store, { export: 'push:shop/stock', scheduledAt, fileName }, { merchant, mode: 'changes', bundles });
 *     // then page through store.exportItemsPage(run.id, after, n): reported and bundle levels alike
 *     // store.finishExportRun(run.id) once they are delivered (moves the baseline)
 */

/** Stock levels read per query while computing bundle levels. */
const PAGE = 1000;

/**
 * The merchant's bundle definitions: the `bundles` lookup tables of the input mappings its channels
 * use (folder/SFTP `files` rules, a webshop channel's orders and products mappings or the platform's
 * defaults), then the merchant's product records with `components` (any channel; a product record
 * wins over a lookup table, a difference is logged as a warning). A mapping that does not load is
 * skipped with a warning (`wharf check` reports it). Undefined when the merchant has no bundles.
 * Throws CONFIG_INVALID when a bundles table has a value that is not a component list; LEDGER_FAILED
 * when the ledger cannot be read.
 */
export async function merchantBundles(store: Pick<Store, 'bundleProductsPage'>, config: LoadedConfig, merchant: string, logger: Logger): Promise<BundleSet | undefined> {
  const names = new Set<string>();
  for (const e of config.channels) {
    if (e.merchant !== merchant) continue;
    const c = e.config;
    if (c.type === 'folder' || c.type === 'sftp') {
      for (const f of c.files) names.add(f.mapping);
      continue;
    }
    const d = platformMappings(c.type);
    for (const n of [c.mappings?.orders ?? d?.orders, c.mappings?.products ?? d?.products]) if (n) names.add(n);
  }
  const tables = new Map<string, LookupTable>();
  for (const name of [...names].sort()) {
    try {
      const m = await loadMapping(name, config.mappingsDir);
      if (m.direction === 'input') for (const t of m.bundleTables ?? []) tables.set(`${m.file}#${t.name}`, t);
    } catch (err) {
      logger.warn({ mapping: name, err: describeError(err) }, `bundle definitions of mapping ${name} not read: ${describeError(err)}`);
    }
  }
  const products: BundleProduct[] = [];
  for (let after: string | undefined; ;) {
    const page = await store.bundleProductsPage(merchant, after, PAGE);
    products.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.id;
  }
  if (tables.size === 0 && products.length === 0) return undefined;
  const set = collectBundles({ lookups: tables.values(), products: products.map((p) => ({ sku: p.sku, components: p.components, source: `product record of channel ${p.channel}` })) });
  for (const c of set.conflicts) logger.warn({ merchant }, c);
  return set.bundles.size > 0 ? set : undefined;
}

/**
 * The computed stock levels of a merchant's bundles, from the merchant's whole current stock (every
 * reported level, read a page at a time; only the components' levels are held, so memory grows with
 * components × locations, not with the catalogue): for every location where the merchant has any
 * level, one level per bundle — min over components of floor(component stock / quantity per bundle),
 * a component without a level there counting 0 (src/exports/bundles.ts `bundleStock`), in SKU order. The level has
 * no EAN; its asOf is the newest of its components' there ('' when none has a level there). The
 * bundle SKUs are `replaces`: a level the warehouse reports for a bundle SKU itself gives way.
 * Undefined without bundles. Throws LEDGER_FAILED when the ledger cannot be read.
 */
export async function bundleLevels(store: Pick<Store, 'stockPage'>, merchant: string, bundles: BundleSet | undefined): Promise<ComputedStock | undefined> {
  if (!bundles || bundles.bundles.size === 0) return undefined;
  const components = new Set<string>();
  for (const b of bundles.bundles.values()) for (const c of b.components) components.add(c.sku);
  /** location → component sku → its level there */
  const at = new Map<string, Map<string, { quantity: number; asOf: string }>>();
  for (let after: StockLevel | undefined; ;) {
    const page = await store.stockPage(merchant, after ? { sku: after.sku, location: after.location } : undefined, PAGE);
    for (const l of page) {
      let here = at.get(l.location);
      if (!here) at.set(l.location, (here = new Map()));
      if (components.has(l.sku)) here.set(l.sku, { quantity: l.quantity, asOf: l.asOf });
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1];
  }
  const skus = [...bundles.bundles.keys()].sort();
  const levels: StockLevel[] = [];
  for (const location of [...at.keys()].sort()) {
    const here = at.get(location)!;
    for (const { sku, quantity } of bundleStockLevels(bundles, (s) => here.get(s)?.quantity)) {
      const asOf = bundles.bundles.get(sku)!.components.map((c) => here.get(c.sku)?.asOf ?? '').reduce((a, b) => (b > a ? b : a), '');
      levels.push({ merchant, sku, location, quantity, ean: null, asOf });
    }
  }
  return { replaces: skus, levels };
}

/**
 * The stock content of a claim: the merchant's reported levels plus its computed bundle levels
 * (`bundleLevels`), `full` or `changes` (see ExportContent).
 */
export async function stockContent(store: Pick<Store, 'stockPage'>, merchant: string, mode: 'full' | 'changes', bundles: BundleSet | undefined): Promise<ExportContent & { kind: 'stock' }> {
  const computed = await bundleLevels(store, merchant, bundles);
  return { kind: 'stock', merchant, mode, ...(computed ? { computed } : {}) };
}

/**
 * Claims a stock run (`Store.claimExportRun`) with the merchant's stock incl. computed bundle levels.
 * The levels are computed before the claim's transaction (stock reported in between may make a bundle
 * level a moment older than its components' rows; the next run sees the difference). A run that
 * exists already comes back as it is, its content untouched. Throws as `claimExportRun` and
 * `bundleLevels`.
 */
export async function claimStockRun(
  store: Pick<Store, 'stockPage' | 'claimExportRun'>,
  run: { export: string; scheduledAt: string; fileName: string },
  opts: { merchant: string; mode: 'full' | 'changes'; bundles: BundleSet | undefined },
): Promise<{ run: ExportRun; created: boolean }> {
  return store.claimExportRun(run, await stockContent(store, opts.merchant, opts.mode, opts.bundles));
}

/** (sku, location) compared as the stores order them: bytewise (UTF-8), SKU first. */
function compareKey(a: Pick<StockLevel, 'sku' | 'location'>, b: Pick<StockLevel, 'sku' | 'location'>): number {
  return Buffer.compare(Buffer.from(a.sku), Buffer.from(b.sku)) || Buffer.compare(Buffer.from(a.location), Buffer.from(b.location));
}

/**
 * A merchant's current stock as a shop should see it, page by page in (sku, location) order (bytewise,
 * as `Store.stockPage` orders it; one SKU's levels may span two pages): the reported levels, except
 * those of bundle SKUs, merged with the computed bundle levels (`bundleLevels`). Without bundles it is
 * `stockPage` as it is. Pages hold at most `pageSize` reported levels plus the computed ones that fall
 * between them. Used by the webshop stock push (src/push/stock.ts), which compares per SKU with what
 * it pushed last instead of claiming a run. Throws LEDGER_FAILED when the ledger cannot be read.
 */
export async function* merchantStockLevels(store: Pick<Store, 'stockPage'>, merchant: string, bundles: BundleSet | undefined, pageSize = PAGE): AsyncGenerator<StockLevel[]> {
  const computed = await bundleLevels(store, merchant, bundles);
  const replaced = new Set(computed?.replaces ?? []);
  const extra = [...(computed?.levels ?? [])].sort(compareKey);
  let next = 0;
  for (let after: StockLevel | undefined; ;) {
    const page = await store.stockPage(merchant, after ? { sku: after.sku, location: after.location } : undefined, pageSize);
    const out: StockLevel[] = [];
    for (const l of page) {
      while (next < extra.length && compareKey(extra[next]!, l) < 0) out.push(extra[next++]!);
      if (!replaced.has(l.sku)) out.push(l);
    }
    if (page.length < pageSize) {
      out.push(...extra.slice(next));
      if (out.length) yield out;
      return;
    }
    if (out.length) yield out;
    after = page[page.length - 1];
  }
}
