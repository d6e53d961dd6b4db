import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { assertFileNamePattern, exportFileName } from '../../src/exports/file-name.js';

const at = new Date('2026-03-29T01:30:00Z');

describe('export file names', () => {
  it('fills {merchant} and luxon tokens at the run time in the zone', () => {
    expect(exportFileName('stock-{yyyyMMdd-HHmm}.csv', { merchant: 'demo', at, timezone: 'Europe/Amsterdam' })).toBe('stock-20260329-0330.csv');
    expect(exportFileName('{merchant}_shipments_{yyyy-MM-dd}T{HHmmss}.xml', { merchant: 'demo', at, timezone: 'UTC' })).toBe('demo_shipments_2026-03-29T013000.xml');
    expect(exportFileName('plain.csv', { merchant: 'demo', at: DateTime.fromISO('2026-01-01T00:00:00Z'), timezone: 'UTC' })).toBe('plain.csv');
  });

  it('refuses unsafe results with UNSAFE_NAME', () => {
    const err = (p: string, merchant = 'demo') => {
      try {
        exportFileName(p, { merchant, at, timezone: 'UTC' }, 'merchants.demo.exports.stock.fileName');
      } catch (e) {
        return e as WharfError;
      }
      throw new Error('no error');
    };
    expect(err('../stock.csv').code).toBe('UNSAFE_NAME');
    expect(err('../stock.csv').message).toMatch(/path separator/);
    expect(err('out/{yyyy}.csv').message).toBe('file name pattern "out/{yyyy}.csv" gives "out/2026.csv", which is no safe file name: the name contains a path separator');
    expect(err('..').message).toMatch(/directory reference/);
    expect(err(`${'x'.repeat(250)}-{yyyy}.csv`).message).toMatch(/longer than 255 bytes/);
    expect(err('a\\b.csv').code).toBe('UNSAFE_NAME');
  });

  it('refuses bad patterns and zones with CONFIG_INVALID', () => {
    expect(() => exportFileName('stock-{yyyy.csv', { merchant: 'd', at, timezone: 'UTC' })).toThrow(/"\{" at position 7 is not closed/);
    expect(() => exportFileName('stock-}.csv', { merchant: 'd', at, timezone: 'UTC' })).toThrow(/"\}" at position 7 closes no "\{"/);
    expect(() => exportFileName('stock-{}.csv', { merchant: 'd', at, timezone: 'UTC' })).toThrow(/empty "\{\}"/);
    expect(() => exportFileName('stock-{yyyy/MM}.csv', { merchant: 'd', at, timezone: 'UTC' })).toThrow(/\{yyyy\/MM\} is neither \{merchant\} nor a date format/);
    expect(() => exportFileName('s.csv', { merchant: 'd', at, timezone: 'Mars/Olympus' })).toThrow(/"Mars\/Olympus" is not an IANA time zone/);
  });

  it('assertFileNamePattern checks the longest merchant id', () => {
    expect(() => assertFileNamePattern('stock-{merchant}-{yyyyMMdd}.csv', 'fileName')).not.toThrow();
    expect(() => assertFileNamePattern(`${'x'.repeat(190)}-{merchant}.csv`, 'fileName')).toThrow(/longer than 255 bytes/);
  });
});
