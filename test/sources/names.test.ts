/** Names Wharf derives from a merchant's file name stay within NAME_MAX; odd names are told apart. */
import { describe, expect, it } from 'vitest';
import { NAME_MAX, describeRawName, nameWithSuffix, shortenName, tempNameFor, unsafeNameReason } from '../../src/transports/names.js';

describe('derived names', () => {
  const long = `${'M'.repeat(251)}.csv`;

  it('a suffix on a name near the limit shortens the name with a hash, keeping the extension', () => {
    expect(nameWithSuffix('orders.csv', '.1')).toBe('orders.csv.1');
    const one = nameWithSuffix(long, '.1');
    expect(Buffer.byteLength(one)).toBeLessThanOrEqual(NAME_MAX);
    expect(one).toMatch(/^M+~[0-9a-f]{8}\.csv\.1$/);
    expect(nameWithSuffix(`${'M'.repeat(250)}a.csv`, '.1')).not.toBe(nameWithSuffix(`${'M'.repeat(250)}b.csv`, '.1'));
    expect(Buffer.byteLength(nameWithSuffix('é'.repeat(127), '.errors.json'))).toBeLessThanOrEqual(NAME_MAX);
  });

  it('temporary names fit however long the target name is', () => {
    const tmp = tempNameFor(`${long}.errors.json`, 'deadbeef');
    expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(NAME_MAX);
    expect(tmp.startsWith('.')).toBe(true);
    expect(tmp.endsWith('.deadbeef.tmp')).toBe(true);
    expect(tempNameFor('x.json', 'ab12')).toBe('.x.json.ab12.tmp');
    expect(shortenName('short.csv', 30)).toBe('short.csv');
  });
});

describe('odd names', () => {
  it('a name that is not valid UTF-8 is shown with \\xNN escapes', () => {
    expect(describeRawName(Buffer.from([0x6c, 0x61, 0x74, 0xe9, 0x2e, 0x63, 0x73, 0x76]))).toEqual({ text: 'lat\\xe9.csv', valid: false });
    expect(describeRawName(Buffer.from('café.csv'))).toEqual({ text: 'café.csv', valid: true });
  });

  it('two dots inside a name are safe; ".." as a whole name, separators and control characters are not', () => {
    expect(unsafeNameReason('a..b.csv')).toBeUndefined();
    expect(unsafeNameReason('..')).toMatch(/directory reference/);
    expect(unsafeNameReason('a/b.csv')).toMatch(/separator/);
    expect(unsafeNameReason('a\\b.csv')).toMatch(/separator/);
    expect(unsafeNameReason('a\u0001.csv')).toMatch(/control/);
    expect(unsafeNameReason('é'.repeat(128))).toMatch(/255 bytes/);
  });
});
