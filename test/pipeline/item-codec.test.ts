import { describe, expect, it } from 'vitest';
import type { CheckedItem } from '../../src/pipeline/checked.js';
import { decodeItems, encodeItems } from '../../src/pipeline/item-codec.js';

describe('checked items cross from the read worker unchanged', () => {
  const stock: CheckedItem[] = [
    { recordNo: 1, line: 2, problems: [], canonical: { merchant: 'acme', sku: 'A-1', ean: '0001234567890', quantity: 5, warehouse: 'AMS', asOf: '2026-11-27T05:00:00Z' } },
    { recordNo: 2, line: 3, problems: [], canonical: { merchant: 'acme', sku: 'B "2"', quantity: 0 } },
    { recordNo: 3, line: 4, externalId: 'C', problems: [{ path: 'quantity', message: 'must be an integer' }] },
    { recordNo: 4, problems: [], canonical: { merchant: 'acme', sku: 'Ü', quantity: 12, asOf: '2026-11-27T05:00:00Z' } },
  ];

  it('stock items: valid ones as tuples (a shorter text), invalid ones as they are; decoded equal, fields in schema order', () => {
    const text = encodeItems('stock', stock);
    expect(text.length).toBeLessThan(JSON.stringify(stock).length);
    expect(text).not.toContain('"sku"');
    const back = decodeItems('stock', text);
    expect(back).toEqual(stock);
    expect(Object.keys(back[0]!.canonical!)).toEqual(['merchant', 'sku', 'ean', 'quantity', 'warehouse', 'asOf']);
    expect('line' in back[3]!).toBe(false);
  });

  it('other kinds travel as JSON of the items themselves', () => {
    const orders: CheckedItem[] = [{ recordNo: 1, line: 2, problems: [], canonical: { id: 'a:b:1', merchant: 'a', channel: 'b', externalId: '1', lines: [] } }];
    expect(encodeItems('order', orders)).toBe(JSON.stringify(orders));
    expect(decodeItems('order', encodeItems('order', orders))).toEqual(orders);
  });
});
