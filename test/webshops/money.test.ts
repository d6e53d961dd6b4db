import { describe, expect, it } from 'vitest';
import { withItemsToShip } from '../../src/connectors/bol/orders.js';
import { bolOrder } from '../helpers/webshops/bol.js';
import { lightspeedOrder } from '../helpers/webshops/lightspeed.js';
import { mapOrders } from '../helpers/webshops/mapping.js';
import { retailcrmOrder } from '../helpers/webshops/retailcrm.js';
import { shopifyOrder } from '../helpers/webshops/shopify.js';
import { wooOrder } from '../helpers/webshops/woocommerce.js';

/**
 * One meaning of money for the warehouse (schemas/order.schema.json, docs/warehouse.md): every amount
 * includes tax; `unitPrice` is one unit as the customer paid it, after discounts. The same known
 * order — 2 × a mug sold at € 24.20 including 21% VAT (€ 20.00 + € 4.20), € 4.95 shipping — in each
 * platform's own fields must map to the same canonical money.
 */

const AT = '2026-03-01T10:00:00Z';

/** A Shopify order node as the connector yields it (line items as `lineItems.nodes`). */
function shopifyRecord(taxesIncluded: boolean): Record<string, unknown> {
  // A shop that enters prices without tax enters € 20.00; one that includes tax enters € 24.20.
  const o = shopifyOrder({ n: 1, updatedAt: AT, taxesIncluded, lines: [{ sku: 'MUG-01', qty: 2, price: taxesIncluded ? '24.20' : '20.00' }] });
  const { allLineItems, ...rest } = o;
  return { ...rest, lineItems: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: allLineItems } };
}

async function mapOne(mapping: string, record: unknown): Promise<Record<string, unknown>> {
  const { orders, problems } = await mapOrders(mapping, [record]);
  expect(problems).toEqual([]);
  return orders[0]!;
}

const unitPrices = (order: Record<string, unknown>) => (order.lines as { unitPrice?: string }[]).map((l) => l.unitPrice);

describe('money means the same on every platform: tax included, unitPrice after discounts', () => {
  it('WooCommerce: line price excludes tax, so unitPrice is (total + total_tax) / quantity', async () => {
    const record = wooOrder({ id: 1, modified: AT, lines: [{ sku: 'MUG-01', qty: 2, price: '24.20' }] });
    const line = (record.line_items as Record<string, unknown>[])[0]!;
    expect(line).toMatchObject({ price: 20, total: '40.00', total_tax: '8.40' }); // WooCommerce's own fields
    const order = await mapOne('woocommerce.order', record);
    expect(unitPrices(order)).toEqual(['24.20']);
    expect(order.totals).toEqual({ total: '53.35', shipping: '4.95', tax: '9.26', discount: '0.00' });
  });

  it('WooCommerce: a coupon lowers the line total; unitPrice follows, the discount is reported with its tax', async () => {
    const record = wooOrder({ id: 2, modified: AT, lines: [{ sku: 'MUG-01', qty: 2, price: '24.20' }] });
    // 10% coupon: line subtotal 40.00 (+8.40), total 36.00 (+7.56); order total 43.56 + 4.95.
    Object.assign((record.line_items as Record<string, unknown>[])[0]!, { total: '36.00', total_tax: '7.56', price: 18 });
    Object.assign(record, { discount_total: '4.00', discount_tax: '0.84', total: '48.51', total_tax: '8.42' });
    const order = await mapOne('woocommerce.order', record);
    expect(unitPrices(order)).toEqual(['21.78']);
    expect(order.totals).toMatchObject({ total: '48.51', discount: '4.84', tax: '8.42' });
  });

  it('Shopify: prices with tax included are taken as they are', async () => {
    const order = await mapOne('shopify.order', shopifyRecord(true));
    expect(unitPrices(order)).toEqual(['24.20']);
    expect(order.totals).toMatchObject({ total: '53.35', shipping: '4.95' });
  });

  it('Shopify: prices without tax get the line tax added per unit', async () => {
    const order = await mapOne('shopify.order', shopifyRecord(false));
    expect(unitPrices(order)).toEqual(['24.20']);
    expect(order.totals).toMatchObject({ shipping: '5.99' }); // 4.95 + 21%
    expect((order.totals as Record<string, unknown>).discount).toBeUndefined();
  });

  it('Lightspeed: priceIncl is the unit price with tax', async () => {
    const { order: o, products } = lightspeedOrder({ id: 1, updatedAt: AT, lines: [{ sku: 'MUG-01', qty: 2, price: 24.2 }] });
    const order = await mapOne('lightspeed.order', { ...o, products: undefined, orderProducts: products });
    expect(unitPrices(order)).toEqual(['24.2']);
  });

  it('bol.com: unitPrice is the consumer price with VAT', async () => {
    const order = await mapOne('bol.order', withItemsToShip(bolOrder({ id: 'B1', changed: AT, lines: [{ ean: '8712345678906', qty: 2, price: 24.2, reference: 'MUG-01' }] })));
    expect(unitPrices(order)).toEqual(['24.2']);
    expect(order.totals).toEqual({ total: '48.40' });
  });

  it('RetailCRM: initialPrice minus the per-unit discountTotal', async () => {
    const record = retailcrmOrder({ id: 7, statusUpdatedAt: '2026-03-01 13:00:00', lines: [{ article: 'MUG-01', qty: 2, price: 24.2 }] });
    const item = (record.items as Record<string, unknown>[])[0]!;
    expect(unitPrices(await mapOne('retailcrm.order', record))).toEqual(['24.20']);
    item.discountTotal = 2.42; // 10% off each unit
    expect(unitPrices(await mapOne('retailcrm.order', record))).toEqual(['21.78']);
  });
});
