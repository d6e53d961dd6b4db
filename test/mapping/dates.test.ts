/**
 * The fast date path (src/mapping/dates.ts) against the luxon-only reference path it replaces, over
 * generated dates in several zones: every quarter hour around each DST change of 2025–2026 (the gap is
 * refused, the doubled hour gets luxon's choice), random dates from 1965 to 2040, texts that are not
 * dates or not real dates. Both paths must give the same text or the same error message.
 */
import { describe, expect, it } from 'vitest';
import { DateTime, IANAZone } from 'luxon';
import { dateConverter, Invalid } from '../../src/mapping/coerce.js';

const ZONES = ['Europe/Amsterdam', 'UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Europe/London', 'Etc/UTC'];

const PATTERNS = [
  'dd-MM-yyyy HH:mm',
  'yyyy-MM-dd HH:mm:ss',
  'yyyy-MM-dd HH:mm:ss.SSS',
  "yyyy-MM-dd'T'HH:mm:ss",
  'd/M/yyyy H:mm',
  'dd.MM.yy HH:mm',
  'yyyyMMddHHmmss',
  'dd-MM-yyyy',
  'yyyy-MM-dd HH:mm:ss.S',
  'M/d/yyyy h:mm a', // outside the fast subset: luxon all the way
  "dd MMM yyyy HH:mm", // month names: luxon all the way
];

/** A small seeded generator (mulberry32), so a failure can be reproduced. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Start (UTC ms) of each hour in which the zone's offset changes, 2025–2026. */
function transitions(zone: string): number[] {
  const z = IANAZone.create(zone);
  const out: number[] = [];
  const end = Date.UTC(2027, 0, 1);
  for (let t = Date.UTC(2025, 0, 1); t < end; t += 3_600_000) if (z.offset(t) !== z.offset(t + 3_600_000)) out.push(t);
  return out;
}

/** Wall times (as UTC DateTimes: their fields are the local fields) to try in a zone. */
function walls(zone: string, rand: () => number): DateTime[] {
  const out: DateTime[] = [];
  for (const t of transitions(zone)) {
    // Every quarter hour of the local day on either side of the change, in local fields.
    const local = DateTime.fromMillis(t, { zone }).setZone('UTC', { keepLocalTime: true }).startOf('hour');
    for (let q = -26 * 4; q <= 26 * 4; q++) out.push(local.plus({ minutes: 15 * q, seconds: q % 3 === 0 ? 0 : 7, milliseconds: q % 5 === 0 ? 250 : 0 }));
  }
  for (let i = 0; i < 300; i++) {
    const ms = Date.UTC(1965, 0, 1) + Math.floor(rand() * (Date.UTC(2040, 0, 1) - Date.UTC(1965, 0, 1)));
    out.push(DateTime.fromMillis(ms, { zone: 'UTC' }));
  }
  return out;
}

const NOT_DATES = ['', 'x', '31-02-2026 10:00', '29-02-2028 10:00', '29-02-2027 10:00', '2026-13-01 10:00:00', '24-11-2026 24:00', '2026-11-24 24:00:00',
  '2026-11-24 23:60:00', '2026-11-24 10:00:61', '2026-11-24t10:00:00', '2026-11-24T10:00:00', '2026-11-24 10:00:00.5', '1-1-2026 1:00', '1/1/2026 1:00',
  '01.01.69 10:00', '01.01.61 10:00', '01.01.60 10:00', '01.01.1999 10:00', '0001-01-01 00:00:00', '20261124100000', '2026112410000', '24-11-2026',
  '24-11-2026 10:00 ', ' 24-11-2026 10:00', '24–11–2026 10:00', '24-11-2026\u00a010:00', '٢٤-١١-٢٠٢٦ ١٠:٠٠'];

function show(v: unknown): unknown {
  return v instanceof Invalid ? `Invalid: ${v.message}` : v;
}

describe('date patterns: the fast path gives luxon\'s result', () => {
  for (const zone of ZONES) {
    it(`in ${zone}`, () => {
      const rand = prng(zone.length * 7919);
      const ws = walls(zone, rand);
      let compared = 0;
      for (const pattern of PATTERNS) {
        const fast = dateConverter({ type: 'date', pattern, timezone: zone });
        const ref = dateConverter({ type: 'date', pattern, timezone: zone }, false);
        const texts = [...ws.map((w) => w.toFormat(pattern)), ...NOT_DATES];
        for (const s of texts) {
          expect(show(fast(s)), `${pattern} ${JSON.stringify(s)} in ${zone}`).toEqual(show(ref(s)));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(PATTERNS.length * 300);
    }, 120_000);
  }

  it('refuses the spring-forward gap and reads the doubled autumn hour in winter time, as luxon does', () => {
    const c = dateConverter({ type: 'date', pattern: 'dd-MM-yyyy HH:mm', timezone: 'Europe/Amsterdam' });
    expect(show(c('29-03-2026 02:30'))).toBe('Invalid: local time "29-03-2026 02:30" does not exist in Europe/Amsterdam (the clocks skip that hour when summer time starts); send the time with its UTC offset');
    expect(c('25-10-2026 02:30')).toBe('2026-10-25T02:30:00+01:00');
    expect(c('25-10-2026 01:30')).toBe('2026-10-25T01:30:00+02:00');
    expect(c('25-10-2026 03:30')).toBe('2026-10-25T03:30:00+01:00');
    const lh = dateConverter({ type: 'date', pattern: 'yyyy-MM-dd HH:mm', timezone: 'Australia/Lord_Howe' });
    expect(show(lh('2026-10-04 02:15'))).toMatch(/^Invalid: local time .* does not exist/);
    expect(lh('2026-04-05 01:45')).toBe('2026-04-05T01:45:00+10:30');
  });
});

describe('ISO dates: the fast path gives luxon\'s result', () => {
  const isoForms = (w: DateTime, rand: () => number): string[] => {
    const base = w.toFormat("yyyy-MM-dd'T'HH:mm:ss");
    const offs = ['Z', '+00:00', '-00:00', '+01:00', '-05:00', '+05:30', '+10:30', '+14:00', '-12:00'];
    const frac = ['', '.5', '.57', '.123', '.000', '.999', '.1234567'][Math.floor(rand() * 7)]!;
    return [base, `${base}${frac}`, w.toFormat("yyyy-MM-dd'T'HH:mm"), `${base}${offs[Math.floor(rand() * offs.length)]}`, `${base}${frac}${offs[Math.floor(rand() * offs.length)]}`,
      w.toFormat('yyyy-MM-dd HH:mm:ss'), w.toFormat('yyyy-MM-dd')];
  };
  for (const zone of [...ZONES, undefined]) {
    it(`in ${zone ?? 'no timezone'}`, () => {
      const rand = prng(31 + (zone?.length ?? 0));
      const fast = dateConverter({ type: 'date', timezone: zone });
      const ref = dateConverter({ type: 'date', timezone: zone }, false);
      const texts = [...walls(zone ?? 'Europe/Amsterdam', rand).flatMap((w) => isoForms(w, rand)), ...NOT_DATES, '2026-11-24T10:00:00+25:00', '2026-11-24T10:00:00+0100', '2026-11-24T10'];
      for (const s of texts) expect(show(fast(s)), `${JSON.stringify(s)} in ${zone}`).toEqual(show(ref(s)));
    }, 120_000);
  }
});
