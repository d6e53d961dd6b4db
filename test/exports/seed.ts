/**
 * Seeds a ledger the way the daemon does, through real intake: a folder source per (merchant, channel)
 * and `processBatch` with the real mappings, shipment exports on for the merchants named. (Warehouse
 * report intake in the daemon is another helper's work; until it lands, report files go in here.)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/ledger/store.js';
import { processBatch, type IntakeResult } from '../../src/pipeline/intake.js';
import type { ReadyFile } from '../../src/pipeline/ports.js';
import { DEFAULT_ROUTING } from '../../src/pipeline/routing.js';
import { batchOfFile } from '../../src/sources/batch.js';
import { FolderSource } from '../../src/sources/folder/source.js';
import { MAPPINGS } from '../helpers/e2e.js';

async function pollOne(source: FolderSource): Promise<ReadyFile> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [f] = await source.poll();
    if (f) return f;
    if (Date.now() > deadline) throw new Error('the file was never offered');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let n = 0;

/** Imports `text` as one file of `merchant`/`channel` read with `mapping`; throws unless fully imported (or a duplicate when `allowDuplicate`). */
export async function seed(store: Store, root: string, merchant: string, channel: string, mapping: string, text: string, opts: { allowDuplicate?: boolean; shipmentExports?: string[]; ext?: string } = {}): Promise<IntakeResult> {
  const inbox = path.join(root, 'seed', merchant, channel);
  const ext = opts.ext ?? 'csv';
  await fs.mkdir(inbox, { recursive: true });
  const source = new FolderSource({ merchant, channel, logger: silentLogger(), watch: false, config: { type: 'folder', path: inbox, files: [{ pattern: `*.${ext}`, mapping }], minAge: 0, afterImport: 'delete' } });
  await source.open();
  try {
    await fs.writeFile(path.join(inbox, `f${++n}.${ext}`), text);
    const policy = { onInvalid: 'rejectFile' as const, maxFileSize: 1e9, routing: { ...DEFAULT_ROUTING, shipmentExports: new Set(opts.shipmentExports ?? [merchant]) } };
    const result = await processBatch(batchOfFile(await pollOne(source), source), policy, { store, mappingsDir: MAPPINGS, logger: silentLogger() });
    if (result.status !== 'imported' && !(opts.allowDuplicate && result.status === 'duplicate')) throw new Error(`seeding ${merchant}/${channel} with ${mapping}: ${result.status} (${JSON.stringify(result)})`);
    return result;
  } finally {
    await source.close();
  }
}

export const STOCK_HEADER = 'ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP';
export const SHIPMENT_HEADER = 'ORDER_ID;SHIPMENT_ID;SHIPPED_AT;CARRIER;TRACKING;TRACKING_URL;SKU;QTY';

/** A stock report: [sku, quantity, location?] rows at one count time (`yyyy-MM-dd HH:mm:ss`). */
export function stockCsv(rows: [sku: string, quantity: number, location?: string][], at = '2026-11-27 06:00:00'): string {
  return [STOCK_HEADER, ...rows.map(([sku, q, loc]) => `${sku};;${q};${loc ?? 'AMS-01'};${at}`), ''].join('\n');
}

/** A shipment report: one line per [orderId, shipmentId, sku, qty]. */
export function shipmentCsv(rows: [orderId: string, shipmentId: string, sku: string, qty: number][]): string {
  return [SHIPMENT_HEADER, ...rows.map(([o, s, sku, q]) => `${o};${s};2026-11-27 11:05:00;DHL;JV${s};;${sku};${q}`), ''].join('\n');
}

/**
 * Product variants as the shopify connector pulls them (mapping shopify.product): [sku, components]
 * where components are [sku, quantity] pairs (a bundle) or none. Seed with `{ ext: 'json' }`.
 */
export function shopifyProductsJson(variants: [sku: string, components?: [sku: string, quantity: number][]][]): string {
  return JSON.stringify({
    records: variants.map(([sku, parts], i) => ({
      sku, displayName: sku, legacyResourceId: String(1000 + i), product: { legacyResourceId: String(100 + i) },
      ...(parts ? { productVariantComponents: { nodes: parts.map(([s, quantity]) => ({ quantity, productVariant: { sku: s } })) } } : {}),
    })),
  });
}
