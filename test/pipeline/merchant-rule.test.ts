import { describe, expect, it } from 'vitest';
import { checkRecord, merchantOf } from '../../src/pipeline/records.js';

/** Whose a record is (issue 8): the channel's, a report source's fixed merchant, or the record's field. */
describe('merchantOf', () => {
  const known = new Set(['demo', 'other']);

  it('a merchant channel ignores a mapped merchant: a file never speaks for another merchant', () => {
    expect(merchantOf({ from: 'channel' }, { merchant: 'other' }, 'demo')).toEqual({ merchant: 'demo' });
  });

  it('a fixed merchant accepts no field or the same one, and refuses another', () => {
    expect(merchantOf({ from: 'fixed', merchant: 'demo' }, {}, '@warehouse')).toEqual({ merchant: 'demo' });
    expect(merchantOf({ from: 'fixed', merchant: 'demo' }, { merchant: 'demo' }, '@warehouse')).toEqual({ merchant: 'demo' });
    const r = merchantOf({ from: 'fixed', merchant: 'demo' }, { merchant: 'other' }, '@warehouse');
    expect(r).toEqual({ problem: { path: 'merchant', message: expect.stringMatching(/^merchant "other" but this report source belongs to demo; /) } });
  });

  it('a field-based source needs a configured merchant, and cuts a long value short', () => {
    expect(merchantOf({ from: 'field', known }, { merchant: 'other' }, '@warehouse')).toEqual({ merchant: 'other' });
    const missing = merchantOf({ from: 'field', known }, {}, '@warehouse');
    expect('problem' in missing && missing.problem.message).toMatch(/names no merchant.*set merchant: <id> on the report source/);
    const long = merchantOf({ from: 'field', known }, { merchant: 'x'.repeat(500) }, '@warehouse');
    expect('problem' in long && long.problem.message).toMatch(/^merchant "x+…" \(500 characters\) is not one of the 2 configured merchant\(s\)/);
  });

  it('checkRecord puts the chosen merchant into the canonical record', () => {
    const rec = { recordNo: 1, value: { merchant: 'other', sku: 'A', quantity: 3 }, errors: [] };
    const p = { merchant: '@warehouse', channel: 'main', sourceType: 'folder', fileName: 's.csv', receivedAt: '2026-11-27T06:00:00.000Z' };
    expect(checkRecord('stock', rec, p, { from: 'field', known }).canonical).toMatchObject({ merchant: 'other', sku: 'A', quantity: 3 });
    expect(checkRecord('stock', rec, p, { from: 'fixed', merchant: 'demo' })).toEqual({ problems: [expect.objectContaining({ path: 'merchant' })] });
  });
});
