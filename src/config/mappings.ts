import { WharfError, describeError } from '../errors.js';
import { loadMapping } from '../mapping/index.js';
import type { Mapping } from '../mapping/types.js';
import type { RecordKind } from '../schemas.js';
import type { LoadedConfig } from './load.js';

/** One place in the config that names a mapping, and what that place needs of it. */
export interface MappingUse {
  name: string;
  /** The config key path that names it, for messages. */
  where: string;
  direction: 'input' | 'output';
  /** The record kinds that fit (a report source's files may read stock or shipments). */
  kinds: readonly RecordKind[];
}

/** The outcome of checking one mapping name against every use of it. */
export interface MappingCheck {
  name: string;
  ok: boolean;
  /** `input order, csv` when ok; the problem (what, where, how to fix) otherwise. */
  detail: string;
}

/**
 * Every mapping the config names, with what each use needs: a folder or SFTP channel's `files` rules
 * and a webshop channel's orders mapping read orders (input, kind order), its products mapping reads
 * products, `warehouse.orders.mapping` writes orders and `warehouse.products.mapping` writes products;
 * a report source's `files` rules read stock or shipments, a merchant's stock export writes stock and
 * its shipments export shipments.
 * `defaults(type)` gives a webshop platform's default mapping names.
 */
export function mappingUses(cfg: LoadedConfig, defaults: (type: string) => { orders: string; products: string } | undefined): MappingUse[] {
  const uses: MappingUse[] = [];
  for (const e of cfg.channels) {
    const at = `merchants.${e.merchant}.channels.${e.channel}`;
    const c = e.config;
    if (c.type === 'folder' || c.type === 'sftp') {
      c.files.forEach((f, i) => uses.push({ name: f.mapping, where: `${at}.files[${i}].mapping`, direction: 'input', kinds: ['order'] }));
      continue;
    }
    const d = defaults(c.type);
    const orders = c.mappings?.orders ?? d?.orders;
    const products = c.mappings?.products ?? d?.products;
    if (orders) uses.push({ name: orders, where: `${at}.mappings.orders`, direction: 'input', kinds: ['order'] });
    if (products) uses.push({ name: products, where: `${at}.mappings.products`, direction: 'input', kinds: ['product'] });
  }
  if (cfg.warehouseOrders.mapping) uses.push({ name: cfg.warehouseOrders.mapping, where: 'warehouse.orders.mapping', direction: 'output', kinds: ['order'] });
  if (cfg.warehouseProducts.mapping) uses.push({ name: cfg.warehouseProducts.mapping, where: 'warehouse.products.mapping', direction: 'output', kinds: ['product'] });
  for (const r of cfg.reportSources) {
    r.config.files.forEach((f, i) => uses.push({ name: f.mapping, where: `warehouse.reports.${r.channel}.files[${i}].mapping`, direction: 'input', kinds: ['stock', 'shipment'] }));
  }
  for (const e of cfg.exports) {
    uses.push({ name: e.mapping, where: `merchants.${e.merchant}.exports.${e.kind}.mapping`, direction: 'output', kinds: [e.kind === 'stock' ? 'stock' : 'shipment'] });
  }
  return uses;
}

/**
 * Loads every mapping the config names and checks it fits each use (direction and record kind): a
 * stock mapping on an order channel would be imported into the ledger and never delivered anywhere.
 * One result per mapping name, sorted by name. Never throws.
 */
export async function checkMappings(cfg: LoadedConfig, defaults: (type: string) => { orders: string; products: string } | undefined): Promise<MappingCheck[]> {
  const byName = new Map<string, MappingUse[]>();
  for (const u of mappingUses(cfg, defaults)) byName.set(u.name, [...(byName.get(u.name) ?? []), u]);
  const out: MappingCheck[] = [];
  for (const [name, uses] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    let m: Mapping;
    try {
      m = await loadMapping(name, cfg.mappingsDir);
    } catch (err) {
      out.push({ name, ok: false, detail: `${describeError(err)} (named at ${uses.map((u) => u.where).join(', ')})` });
      continue;
    }
    const misfits = uses.filter((u) => u.direction !== m.direction || !u.kinds.includes(m.kind));
    if (misfits.length > 0) {
      const u = misfits[0]!;
      const kinds = u.kinds.join(' or ');
      out.push({
        name, ok: false,
        detail: `is an ${m.direction} ${m.kind} mapping, but ${u.where} needs an ${u.direction} ${kinds} mapping (${m.file}); name a mapping with kind: ${u.kinds.join(' or kind: ')}${u.direction === 'input' ? ' (an input mapping)' : ' (an output mapping)'}`,
      });
      continue;
    }
    out.push({ name, ok: true, detail: `${m.direction} ${m.kind}, ${m.format}` });
  }
  return out;
}

/**
 * For `run`, `once` and `sync`: every mapping the config names must load and fit its use before
 * anything is read. Throws CONFIG_INVALID listing each problem.
 */
export async function assertMappings(cfg: LoadedConfig, defaults: (type: string) => { orders: string; products: string } | undefined): Promise<void> {
  const bad = (await checkMappings(cfg, defaults)).filter((c) => !c.ok);
  if (bad.length === 0) return;
  throw new WharfError('CONFIG_INVALID', `${bad.length} mapping(s) named by the config cannot be used:\n${bad.map((b) => `  - mapping ${b.name}: ${b.detail}`).join('\n')}`, {
    where: cfg.file,
    hint: 'fix the name in the config or the mapping file; `wharf check` lists every mapping',
  });
}
