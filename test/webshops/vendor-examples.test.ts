import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compileMapping, loadMapping } from '../../src/mapping/index.js';
import { parseYamlFile } from '../../src/mapping/index.js';
import type { InputMapping } from '../../src/mapping/types.js';
import { withItemsToShip } from '../../src/connectors/bol/orders.js';
import { checkRecord } from '../../src/pipeline/records.js';
import { REPO } from '../helpers/cli.js';

/**
 * The vendors' own documented example payloads (read from ../shared/fixtures/webshops, never copied
 * into the project) through our platform mappings: what a real payload becomes, or exactly why not.
 */
const FIXTURES = path.resolve(REPO, '../shared/fixtures/webshops');
const MAPPINGS = path.join(REPO, 'mappings');

function fixture(name: string): unknown {
  const file = path.join(FIXTURES, name);
  if (!existsSync(file)) throw new Error(`vendor example ${file} is missing: the tests read ../shared/fixtures/webshops beside the checkout`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function mapPage(mapping: InputMapping, record: unknown) {
  const page = Readable.from([JSON.stringify({ records: [record] })]);
  const out = [];
  for await (const rec of mapping.read(page, { merchant: 'm', channel: 'c', fileName: 'page.json' })) {
    out.push(checkRecord(mapping.kind, rec, { merchant: 'm', channel: 'c', sourceType: 'api', fileName: 'page.json', receivedAt: '2026-11-25T12:00:00.000Z' }));
  }
  return out;
}

const load = async (name: string) => (await loadMapping(name, MAPPINGS)) as InputMapping;

describe('vendor example payloads', () => {
  it('bol.com order (built from the v10 spec examples) maps to a valid canonical order with house number, suffix and lines', async () => {
    const [r] = await mapPage(await load('bol.order'), withItemsToShip(fixture('bol_order.json')));
    expect(r!.problems).toEqual([]);
    expect(r!.canonical).toMatchObject({ id: 'm:c:A2K8290LP8', externalId: 'A2K8290LP8', status: 'open', shipTo: { street: 'Dorpstraat', houseNumber: '1', houseNumberSuffix: 'B', postalCode: '1111ZZ', city: 'Utrecht' } });
    expect((r!.canonical!.lines as unknown[]).length).toBeGreaterThan(0);
  });

  it('bol.com order whose customer asked to cancel every item (cancellationRequest: true) is a cancellation, not an order to ship', async () => {
    const order = fixture('bol_order.json') as { orderItems: { cancellationRequest: boolean }[] };
    for (const item of order.orderItems) item.cancellationRequest = true;
    const [r] = await mapPage(await load('bol.order'), withItemsToShip(order));
    expect(r!.problems).toEqual([]);
    expect(r!.canonical).toMatchObject({ externalId: 'A2K8290LP8', status: 'cancelled' });
  });

  it('WooCommerce order 727 has a line without a SKU: the default rule quarantines it with a clear report', async () => {
    const [r] = await mapPage(await load('woocommerce.order'), fixture('woocommerce_order.json'));
    expect(r!.canonical).toBeUndefined();
    expect(r!.problems).toEqual([{ path: 'lines[0].sku', message: 'is required but missing ("sku" is empty)' }]);
  });

  it('WooCommerce order 727 with the documented fallback rule (product/variation id as SKU) is a valid order', async () => {
    const doc = parseYamlFile(path.join(MAPPINGS, 'woocommerce.order.yaml')) as { fields: Record<string, { fields: Record<string, unknown> }> };
    const lines = doc.fields.lines!;
    lines.fields.sku = { expr: "sku != '' ? sku : 'WOO-' & (variation_id > 0 ? variation_id : product_id)", required: true };
    const mapping = compileMapping(doc, path.join(MAPPINGS, 'woocommerce.order.fallback.yaml')) as InputMapping;
    const [r] = await mapPage(mapping, fixture('woocommerce_order.json'));
    expect(r!.problems).toEqual([]);
    const woo = fixture('woocommerce_order.json') as { line_items: { product_id: number; variation_id: number; sku: string }[] };
    const expectedSkus = woo.line_items.map((l) => (l.sku !== '' ? l.sku : `WOO-${l.variation_id > 0 ? l.variation_id : l.product_id}`));
    expect((r!.canonical!.lines as { sku: string }[]).map((l) => l.sku)).toEqual(expectedSkus);
    expect(r!.canonical).toMatchObject({ id: 'm:c:727', currency: 'USD', shipTo: { country: 'US' } });
  });

  it('RetailCRM order (from the vendor client tests) has no structured street: quarantined, the report says so', async () => {
    const raw = fixture('retailcrm_order.json') as { order?: unknown };
    const [r] = await mapPage(await load('retailcrm.order'), raw.order ?? raw);
    expect(r!.canonical).toBeUndefined();
    expect(r!.problems.map((p) => p.path)).toEqual(['shipTo.street']);
  });

  it('Shopify "order tax information" example lacks the id and address a fulfilment order needs: every gap is named', async () => {
    const raw = fixture('shopify_order.json') as { data?: { order?: unknown } };
    const [r] = await mapPage(await load('shopify.order'), raw.data?.order ?? raw);
    expect(r!.canonical).toBeUndefined();
    expect(r!.problems.map((p) => p.path).sort()).toEqual(['createdAt', 'externalId', 'shipTo.city', 'shipTo.country', 'shipTo.name', 'shipTo.postalCode', 'shipTo.street']);
  });
});
