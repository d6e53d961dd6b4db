/**
 * Fast date reading for the mapping runtime (issue 10: luxon's fromFormat/fromISO were ~21 % of the
 * CPU of the order benchmarks). A date `pattern` is compiled once into one regular expression plus a
 * field table; only the zone offset comes from luxon (Intl), and it is asked once per (zone, local
 * hour) and reused.
 *
 * The fast path answers only the plain, common case: every field present and in range, a year from
 * 1970 to 9999, a zone whose offset is the same for a day on either side of that hour. Everything else
 * (errors, DST gaps and doubled hours, tokens it does not know, odd ISO forms) returns `undefined`
 * and the caller takes the luxon path, so messages and edge cases stay exactly luxon's.
 * test/mapping/dates.test.ts compares the two over generated dates and zones.
 */
import { IANAZone, Settings } from 'luxon';

/** The local (wall) time fields read from a text, before any zone is applied. Month 1–12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** Reads the wall-time fields of one text, or `undefined` (the luxon path decides). */
export type WallParser = (s: string) => WallTime | undefined;

type Field = keyof WallTime;

/**
 * The tokens the fast parser knows, with luxon's digit counts and meanings
 * (node_modules/luxon/src/impl/tokenParser.js `unitForToken`): `S` is 1–3 digits read as whole
 * milliseconds (luxon's `.5` with `S` is 5 ms), `yy` is untruncated with Settings.twoDigitCutoffYear.
 */
const TOKENS: Record<string, { field: Field; re: string; yy?: true }> = {
  yyyy: { field: 'year', re: '\\d{4}' },
  yy: { field: 'year', re: '\\d{2,4}', yy: true },
  MM: { field: 'month', re: '\\d{2}' },
  M: { field: 'month', re: '\\d{1,2}' },
  dd: { field: 'day', re: '\\d{2}' },
  d: { field: 'day', re: '\\d{1,2}' },
  HH: { field: 'hour', re: '\\d{2}' },
  H: { field: 'hour', re: '\\d{1,2}' },
  mm: { field: 'minute', re: '\\d{2}' },
  m: { field: 'minute', re: '\\d{1,2}' },
  ss: { field: 'second', re: '\\d{2}' },
  s: { field: 'second', re: '\\d{1,2}' },
  SSS: { field: 'millisecond', re: '\\d{3}' },
  S: { field: 'millisecond', re: '\\d{1,3}' },
};

/** luxon's escapeToken (tokenParser.js): literals match exactly (its regex is case-insensitive). */
function escapeLiteral(s: string): string {
  return s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&');
}

/**
 * Splits a luxon format the way luxon's Formatter.parseFormat does: runs of one character are a
 * token, `'…'` is literal text (`''` a quote). Returns `undefined` when the format uses a letter
 * token the fast parser does not know (the luxon path handles it).
 */
function tokens(format: string): { literal: boolean; val: string }[] | undefined {
  const out: { literal: boolean; val: string }[] = [];
  let current: string | null = null;
  let full = '';
  let bracketed = false;
  for (const c of format) {
    if (c === "'") {
      if (full.length > 0 || bracketed) out.push({ literal: bracketed || /^\s+$/.test(full), val: full === '' ? "'" : full });
      current = null;
      full = '';
      bracketed = !bracketed;
    } else if (bracketed) {
      full += c;
    } else if (c === current) {
      full += c;
    } else {
      if (full.length > 0) out.push({ literal: /^\s+$/.test(full), val: full });
      full = c;
      current = c;
    }
  }
  if (full.length > 0) out.push({ literal: bracketed || /^\s+$/.test(full), val: full });
  for (const t of out) {
    // A letter outside quotes is a luxon token or macro; only the table above is handled here.
    if (!t.literal && /[A-Za-z]/.test(t.val) && !(t.val in TOKENS)) return undefined;
  }
  return out;
}

/**
 * Compiles a luxon date format into a wall-time parser, once per mapping field. `undefined` when the
 * format is outside the fast subset (offset or zone tokens, names of months, 12-hour clocks, a field
 * given twice, no full date): that field keeps using luxon for every value.
 */
export function compileWallParser(format: string): WallParser | undefined {
  const toks = tokens(format);
  if (!toks) return undefined;
  let re = '^';
  const fields: { field: Field; yy: boolean }[] = [];
  for (const t of toks) {
    const unit = t.literal ? undefined : TOKENS[t.val];
    if (unit) {
      if (fields.some((f) => f.field === unit.field)) return undefined;
      fields.push({ field: unit.field, yy: unit.yy === true });
      re += `(${unit.re})`;
    } else {
      re += `(?:${escapeLiteral(t.val)})`;
    }
  }
  re += '$';
  const has = (f: Field) => fields.some((x) => x.field === f);
  // luxon fills missing larger units from "now": only full dates are read here.
  if (!has('year') || !has('month') || !has('day')) return undefined;
  const regex = new RegExp(re, 'i');
  const cutoff = Settings.twoDigitCutoffYear;
  return (s) => {
    const m = regex.exec(s);
    if (!m) return undefined;
    const w: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0 };
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      let n = parseInt(m[i + 1]!, 10);
      if (f.yy && n <= 99) n = n > cutoff ? 1900 + n : 2000 + n; // luxon's untruncateYear
      w[f.field] = n;
    }
    return inRange(w) ? w : undefined;
  };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function inRange(w: WallTime): boolean {
  if (w.year < 1970 || w.year > 9999 || w.month < 1 || w.month > 12 || w.day < 1) return false;
  const leap = w.month === 2 && (w.year % 4 === 0 && (w.year % 100 !== 0 || w.year % 400 === 0));
  if (w.day > DAYS[w.month - 1]! + (leap ? 1 : 0)) return false;
  // luxon also accepts 24:00:00.000 (the next midnight): left to it.
  return w.hour <= 23 && w.minute <= 59 && w.second <= 59 && w.millisecond <= 999;
}

/** ISO 8601 extended date-time as Wharf's sources write it; other ISO forms go to luxon. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Reads `2026-11-29T10:00`, `…:00`, `…:00.123`, each with or without `Z` / `±HH:MM`. `offset` is in
 * minutes (`undefined`: the text has none). Milliseconds as luxon's parseMillis computes them
 * (util.js: `Math.floor(parseFloat('0.' + f) * 1000)`, so `.57` is 569 ms there, and here).
 */
export function parseIso(s: string): { wall: WallTime; offset: number | undefined } | undefined {
  const m = ISO.exec(s);
  if (!m) return undefined;
  const wall: WallTime = {
    year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!,
    second: m[6] === undefined ? 0 : +m[6],
    millisecond: m[7] === undefined ? 0 : Math.floor(parseFloat(`0.${m[7]}`) * 1000),
  };
  if (!inRange(wall)) return undefined;
  const z = m[8];
  if (z === undefined) return { wall, offset: undefined };
  if (z === 'Z') return { wall, offset: 0 };
  const h = +z.slice(1, 3);
  const mi = +z.slice(4, 6);
  if (h > 23 || mi > 59) return undefined;
  return { wall, offset: (z[0] === '-' ? -1 : 1) * (h * 60 + mi) };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * luxon's `toISO({ suppressMilliseconds: true })` of a wall time with its offset: `Z` only for a
 * fixed zero-offset zone (luxon's UTC / a `Z` or `+00:00` text), `+00:00` for an IANA zone that is at
 * zero (Europe/London in winter).
 */
export function formatIso(w: WallTime, offset: number, fixedZero: boolean): string {
  let s = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  if (w.millisecond !== 0) s += `.${pad(w.millisecond, 3)}`;
  if (offset === 0 && fixedZero) return `${s}Z`;
  const a = Math.abs(offset);
  return `${s}${offset < 0 ? '-' : '+'}${pad(Math.trunc(a / 60))}:${pad(a % 60)}`;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

/**
 * The UTC offset (minutes) of local times in one zone, per week where one offset holds for the whole
 * week and a day either side (most weeks), else per local hour. An hour counts only when the
 * zone's offset is the same from a day before it to a day after it (checked every 6 hours, which no
 * IANA rule undercuts): luxon then reads every time of that hour with that offset, and its
 * getPossibleOffsets (which looks a day either side) finds no second candidate. Hours near a change
 * give `undefined`, and those values take the luxon path with its gap check and doubled-hour rule.
 */
export class ZoneOffsets {
  private readonly zone: IANAZone | undefined;
  /** luxon's fixed UTC zone ('UTC', 'GMT' in any case): offset 0, written `Z`. */
  readonly fixedUtc: boolean;
  private readonly byHour = new Map<number, number | null>();
  private readonly byWeek = new Map<number, number | null>();

  constructor(zone: string) {
    const lowered = zone.toLowerCase();
    this.fixedUtc = lowered === 'utc' || lowered === 'gmt';
    this.zone = this.fixedUtc ? undefined : IANAZone.create(zone);
  }

  /** Whether the zone is one this cache can answer for (an IANA zone or UTC). */
  get usable(): boolean {
    return this.fixedUtc || (this.zone !== undefined && this.zone.isValid);
  }

  /** Offset in minutes of the wall time `wallMs` (its fields as if UTC), or `undefined` near a change. */
  offsetAt(wallMs: number): number | undefined {
    if (this.fixedUtc) return 0;
    // A whole week with one offset (most weeks) answers every hour in it: dates spread over a year
    // need ~50 computations instead of one per distinct hour.
    const week = Math.floor(wallMs / WEEK);
    let w = this.byWeek.get(week);
    if (w === undefined) {
      w = this.compute(week * WEEK, WEEK);
      if (this.byWeek.size >= 50_000) this.byWeek.clear();
      this.byWeek.set(week, w);
    }
    if (w !== null) return w;
    const hour = Math.floor(wallMs / HOUR);
    let o = this.byHour.get(hour);
    if (o === undefined) {
      o = this.compute(hour * HOUR, HOUR);
      if (this.byHour.size >= 50_000) this.byHour.clear();
      this.byHour.set(hour, o);
    }
    return o ?? undefined;
  }

  /** The offset of every wall time in [start, start + span) when one offset holds from a day before to a day after, else null. */
  private compute(start: number, span: number): number | null {
    const zone = this.zone!;
    const o = zone.offset(start - DAY);
    if (!Number.isInteger(o)) return null; // local mean time before standard zones: luxon's business
    for (let t = start - DAY - 14 * HOUR; t <= start + span + DAY + 14 * HOUR; t += 6 * HOUR) {
      if (zone.offset(t) !== o) return null;
    }
    if (zone.offset(start + span + DAY + 14 * HOUR) !== o) return null;
    return o;
  }
}

/** Milliseconds of a wall time read as UTC (years 1970–9999 only: Date.UTC maps 0–99 to 19xx). */
export function wallMillis(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
}
