/**
 * src/time-zone.ts answers the zones the runtime lists without luxon, and everything else through
 * luxon: its answers must be luxon's own for every listed zone and for names that are not listed
 * (UTC, aliases, other spellings, nonsense).
 */
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { isTimeZone } from '../../src/time-zone.js';

describe('isTimeZone', () => {
  it("agrees with luxon's IANAZone.isValidZone on every listed zone and on unlisted names", () => {
    const names = [
      ...Intl.supportedValuesOf('timeZone'),
      'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT+1', 'US/Eastern', 'Europe/Kiev', 'europe/amsterdam', 'EUROPE/AMSTERDAM',
      '', ' ', 'Europe/Amsterdam ', 'Mars/Olympus_Mons', 'Europe', 'Europe/', '+01:00', 'CET', 'local', 'system',
    ];
    const differ = names.filter((n) => isTimeZone(n) !== IANAZone.isValidZone(n));
    expect(differ).toEqual([]);
    expect(isTimeZone('Europe/Amsterdam')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('answers UTC, the default schedule.timezone, without setting up ICU date formatting (no Intl.DateTimeFormat)', async () => {
    // A fresh process (the test runner has formatted dates already), on the built module (npm test builds first).
    const { execFileSync } = await import('node:child_process');
    const code = `
      const made = [];
      const Real = Intl.DateTimeFormat;
      Intl.DateTimeFormat = function (...a) { made.push(a[1] && a[1].timeZone); return new Real(...a); };
      const { isTimeZone } = await import(${JSON.stringify(new URL('../../dist/time-zone.js', import.meta.url).href)});
      const answers = ['UTC', 'Etc/UTC', 'GMT', 'Zulu'].map(isTimeZone);
      console.log(JSON.stringify({ answers, made: made.length }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ answers: [true, true, true, true], made: 0 });
  });
});
