import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadMapping, type MappedRecord } from '../../../src/mapping/index.js';
import { validateRecord, type FieldError } from '../../../src/schemas.js';

export const MAPPINGS = fileURLToPath(new URL('../../../mappings', import.meta.url));

/**
 * Maps one connector page the way the pipeline is expected to: the page's records serialised as the
 * JSON document { "records": [ … ] } and read by the channel's mapping (json.record: records).
 */
export async function mapPage(mappingName: string, records: unknown[], channel = 'shop'): Promise<MappedRecord[]> {
  const mapping = await loadMapping(mappingName, MAPPINGS);
  if (mapping.direction !== 'input') throw new Error(`${mappingName} is not an input mapping`);
  const out: MappedRecord[] = [];
  const doc = Readable.from([Buffer.from(JSON.stringify({ records }))]);
  for await (const r of mapping.read(doc, { merchant: 'acme', channel, fileName: `${channel}-page.json` })) out.push(r);
  return out;
}

/** What the pipeline adds to a mapped order before validation. */
export function asCanonicalOrder(value: Record<string, unknown>, channel = 'shop'): Record<string, unknown> {
  return { id: `acme:${channel}:${String(value.externalId)}`, merchant: 'acme', channel, ...value };
}

/** Maps and validates; returns the canonical orders and every problem found on the way. */
export async function mapOrders(mappingName: string, records: unknown[]): Promise<{ orders: Record<string, unknown>[]; problems: (FieldError & { record: number })[] }> {
  const orders: Record<string, unknown>[] = [];
  const problems: (FieldError & { record: number })[] = [];
  for (const r of await mapPage(mappingName, records)) {
    for (const e of r.errors) problems.push({ record: r.recordNo, ...e });
    if (!r.value) continue;
    const order = asCanonicalOrder(r.value);
    for (const e of validateRecord('order', order)) problems.push({ record: r.recordNo, ...e });
    orders.push(order);
  }
  return { orders, problems };
}

export async function mapProducts(mappingName: string, records: unknown[]): Promise<{ products: Record<string, unknown>[]; problems: (FieldError & { record: number })[] }> {
  const products: Record<string, unknown>[] = [];
  const problems: (FieldError & { record: number })[] = [];
  for (const r of await mapPage(mappingName, records)) {
    for (const e of r.errors) problems.push({ record: r.recordNo, ...e });
    if (!r.value) continue;
    const product = { merchant: 'acme', channel: 'shop', ...r.value };
    for (const e of validateRecord('product', product)) problems.push({ record: r.recordNo, ...e });
    products.push(product);
  }
  return { products, problems };
}
