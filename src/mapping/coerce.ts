import { DateTime } from 'luxon';
import { echo } from '../errors.js';
import type { ValueType } from './canonical.js';
import { compileWallParser, formatIso, parseIso, wallMillis, ZoneOffsets, type WallTime } from './dates.js';

/** A value that could not be converted; `message` is shown to the integrator as is. */
export class Invalid {
  constructor(readonly message: string) {}
}

export interface TypeOptions {
  type: ValueType;
  /** `,` for files that write 29,95. */
  decimalSeparator?: '.' | ',';
  /** Digit grouping of the source, only between groups of three digits, e.g. `.` in 1.234,50. */
  thousandsSeparator?: string;
  /** luxon format of input dates (input mappings) or of rendered dates (output mappings). */
  pattern?: string;
  /** IANA zone of dates without an offset; default UTC. */
  timezone?: string;
}

export type Converter = (raw: string | number | boolean) => unknown;

function show(raw: unknown): string {
  return echo(raw);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/**
 * The one regular expression a number cell is read with: sign, whole part, optional decimal part.
 * A thousands separator is only allowed between groups of exactly three digits (`1.234,50`), so
 * `6.25` with thousandsSeparator '.' is not a number (never 625).
 */
function numberPattern(sep: '.' | ',', th: string | undefined): RegExp {
  const whole = th ? `\\d{1,3}(?:${escapeRe(th)}\\d{3})+|\\d+` : '\\d+';
  return new RegExp(`^([+-]?)(${whole})(?:${escapeRe(sep)}(\\d+))?$`);
}

/** A value written with digit grouping (1.000, 1,234.50, 12 500): said in errors, never guessed at. */
const GROUPED = /^[+-]?\d{1,3}([.,' \u00a0\u202f])\d{3}(?:\1\d{3})*(?:[.,]\d+)?$/;

function groupingHint(raw: string, o: TypeOptions): string {
  const m = GROUPED.exec(raw);
  if (!m) return '';
  const th = m[1]!;
  if (o.thousandsSeparator === undefined) {
    return ` (it looks like digit grouping: if the file writes thousands as 1${th}000, set thousandsSeparator: '${th}'${th === '.' ? " and decimalSeparator: ','" : ''} in the mapping)`;
  }
  return '';
}

function expectation(o: TypeOptions): string {
  const sep = o.decimalSeparator ?? '.';
  if (o.thousandsSeparator !== undefined) {
    return ` (the mapping expects thousands separator '${o.thousandsSeparator}' between groups of three digits and decimal separator '${sep}': 1${o.thousandsSeparator}234${sep}50)`;
  }
  return sep === ',' ? ' (the mapping expects a decimal comma: 29,95)' : '';
}

/** Builds the converter from a source value (already trimmed, never empty) to the canonical type. */
export function inputConverter(o: TypeOptions): Converter | undefined {
  switch (o.type) {
    case 'string':
      return undefined;
    case 'integer':
      return integerConverter(o);
    case 'decimal':
      return decimalConverter(o);
    case 'date':
      return dateConverter(o);
    case 'boolean':
      return booleanConverter;
  }
}

function integerConverter(o: TypeOptions): Converter {
  const sep = o.decimalSeparator ?? '.';
  const th = o.thousandsSeparator;
  const re = numberPattern(sep, th);
  return (raw) => {
    if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : new Invalid(`${raw} is not a whole number`);
    if (typeof raw !== 'string') return new Invalid(`${show(raw)} is not a whole number`);
    const m = re.exec(raw);
    if (!m || (m[3] !== undefined && !/^0+$/.test(m[3]))) {
      return new Invalid(`${show(raw)} is not a whole number${groupingHint(raw, o) || (m ? '' : expectation(o))}`);
    }
    // `1.000` in a whole-number field without a declared separator: one, or a Dutch thousand? Refused.
    if (th === undefined && m[3] !== undefined && m[3].length === 3 && m[2]!.length <= 3) {
      return new Invalid(`${show(raw)} looks like digit grouping (a thousand?) in a whole-number field; set thousandsSeparator: '${sep}'${sep === '.' ? " and decimalSeparator: ','" : ''} in the mapping if the file groups digits, or write it without decimals`);
    }
    const digits = th !== undefined && m[2]!.length > 3 ? m[2]!.split(th).join('') : m[2]!;
    const n = parseInt(m[1] === '-' ? `-${digits}` : digits, 10);
    return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : new Invalid(`${show(raw)} is too large`);
  };
}

const SIMPLE_DECIMAL = /^-?\d+(?:\.\d+)?$/;

function decimalConverter(o: TypeOptions): Converter {
  const sep = o.decimalSeparator ?? '.';
  const th = o.thousandsSeparator;
  const re = numberPattern(sep, th);
  return (raw) => {
    if (typeof raw === 'number') {
      const s = String(raw);
      return Number.isFinite(raw) && !s.includes('e') ? s : new Invalid(`${raw} is not a decimal number`);
    }
    if (typeof raw !== 'string') return new Invalid(`${show(raw)} is not a decimal number`);
    if (sep === '.' && !th && SIMPLE_DECIMAL.test(raw)) return raw;
    const m = re.exec(raw);
    if (!m) return new Invalid(`${show(raw)} is not a decimal number${groupingHint(raw, o) || expectation(o)}`);
    const sign = m[1] === '-' ? '-' : '';
    const whole = th !== undefined && m[2]!.length > 3 ? m[2]!.split(th).join('') : m[2]!;
    return m[3] === undefined ? `${sign}${whole}` : `${sign}${whole}.${m[3]}`;
  };
}

/** A zone no source is in: reading a value in it and in UTC gives two instants iff the value has no offset. */
const PROBE_ZONE = 'UTC+7';

/** Whether an ISO 8601 / SQL value has a time of day (`2026-11-29T10:00`, `2026-11-29 10:00`), not just a date. */
function hasTimeOfDay(raw: string): boolean {
  return /[Tt ]/.test(raw);
}

/**
 * The local time `wall` (read as if it were UTC, so its fields are the written ones) must exist in
 * `dt`'s zone: luxon moves a time in the spring-forward gap (`2026-03-29 02:30` Europe/Amsterdam) past
 * the gap, which would be a guess. An hour that occurs twice (autumn) is read as the later one, in
 * standard (winter) time: one fixed rule, documented in docs/mapping.md.
 */
const WALL = 'yyyy-MM-dd HH:mm:ss.SSS';

function localTime(dt: DateTime, wall: DateTime, raw: string, zone: string): DateTime | Invalid {
  if (dt.toFormat(WALL) !== wall.toFormat(WALL)) {
    return new Invalid(`local time ${show(raw)} does not exist in ${zone} (the clocks skip that hour when summer time starts); send the time with its UTC offset`);
  }
  const offsets = dt.getPossibleOffsets();
  return offsets.length > 1 ? offsets.reduce((a, b) => (b.offset < a.offset ? b : a)) : dt;
}

const NO_ZONE_HINT = 'add timezone: Europe/Amsterdam (the zone the source writes its local times in, or UTC) to this field in the mapping, or send the time with its offset (2026-11-29T10:00:00+01:00 or …Z)';

/**
 * Reads dates to RFC 3339 text with offset. `fast: false` gives the luxon-only reference path, which
 * test/mapping/dates.test.ts compares the fast path with.
 */
export function dateConverter(o: TypeOptions, fast = true): Converter {
  const zone = o.timezone ?? 'UTC';
  const pattern = o.pattern;
  const out = (dt: DateTime): string => dt.toISO({ suppressMilliseconds: true })!;
  // The fast path (src/mapping/dates.ts): wall fields by a compiled matcher, the offset from a cache
  // per week (per local hour near a DST change). It answers only where luxon's answer is certain; the rest goes to luxon below.
  const offsets = fast && o.timezone !== undefined ? new ZoneOffsets(o.timezone) : undefined;
  const local = offsets?.usable
    ? (w: WallTime): string | undefined => {
        const off = offsets.offsetAt(wallMillis(w));
        return off === undefined ? undefined : formatIso(w, off, offsets.fixedUtc);
      }
    : undefined;
  if (pattern) {
    const slow = (s: string): unknown => {
      const dt = DateTime.fromFormat(s, pattern, { zone, setZone: true });
      if (dt.isValid) {
        const wall = DateTime.fromFormat(s, pattern, { zone: 'UTC', setZone: true });
        if (o.timezone && wall.toMillis() !== dt.toMillis()) {
          const local = localTime(dt, wall, s, zone);
          return local instanceof Invalid ? local : out(local);
        }
        return out(dt);
      }
      if (dt.invalidReason === 'unit out of range') return new Invalid(`date ${show(s)} is not a real date (${dt.invalidExplanation ?? 'out of range'})`);
      return new Invalid(`date ${show(s)} does not match pattern ${pattern}`);
    };
    const wallOf = local ? compileWallParser(pattern) : undefined;
    const parse = wallOf && local
      ? (s: string): unknown => {
          const w = wallOf(s);
          return (w && local(w)) ?? slow(s);
        }
      : slow;
    // Order files repeat the same timestamps (orders of the same minute, the rows of one order), so a
    // bounded memo of this pure function saves even the fast path's work.
    return memoized(parse);
  }
  const iso = (raw: string, z: string): DateTime => {
    const dt = DateTime.fromISO(raw, { zone: z, setZone: true });
    return dt.isValid ? dt : DateTime.fromSQL(raw, { zone: z, setZone: true });
  };
  const slow = (raw: string): unknown => {
    const dt = iso(raw, zone);
    if (!dt.isValid) return new Invalid(`date ${show(raw)} is not an ISO 8601 date; set a pattern in the mapping`);
    // The same text read in another zone gives another instant only when it carries no offset.
    const zoneless = iso(raw, PROBE_ZONE).toMillis() !== dt.toMillis();
    if (zoneless && hasTimeOfDay(raw)) {
      if (!o.timezone) return new Invalid(`date-time ${show(raw)} has no UTC offset and the mapping gives no timezone, so the moment it means is unknown; ${NO_ZONE_HINT}`);
      const local = localTime(dt, iso(raw, 'UTC'), raw, zone);
      return local instanceof Invalid ? local : out(local);
    }
    return out(dt);
  };
  return (raw) => {
    if (typeof raw !== 'string') return new Invalid(`date ${show(raw)} is not an ISO 8601 date; set a pattern in the mapping`);
    const p = fast ? parseIso(raw) : undefined;
    if (p) {
      // A text with its offset keeps it (luxon's setZone); one without is local time in the field's zone.
      if (p.offset !== undefined) return formatIso(p.wall, p.offset, true);
      const r = local?.(p.wall);
      if (r !== undefined) return r;
    }
    return slow(raw);
  };
}

const TRUE = new Set(['true', '1', 'yes', 'y', 'ja', 'j', 'oui', 'x']);
const FALSE = new Set(['false', '0', 'no', 'n', 'nee', 'non', '']);
function booleanConverter(raw: string | number | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return new Invalid(`${show(raw)} is not yes/no (true, false, 1, 0, yes, no, ja, nee)`);
}

/**
 * A bounded memo of a pure string function: input and output files repeat the same timestamps (the
 * rows of one order, a stock report's one `asOf`), and luxon's parse + zone + format costs tens of µs.
 */
function memoized<T>(f: (s: string) => T): (v: unknown) => T {
  const memo = new Map<string, T>();
  return (v) => {
    const s = String(v);
    let r = memo.get(s);
    if (r === undefined) {
      if (memo.size >= 10_000) memo.clear();
      r = f(s);
      memo.set(s, r);
    }
    return r;
  };
}

/** Renders a canonical value for an output file cell/element. */
export function outputFormatter(o: TypeOptions): (v: unknown) => string {
  if (o.type === 'date' && o.pattern) {
    const zone = o.timezone ?? 'UTC';
    const pattern = o.pattern;
    return memoized((v) => {
      const dt = DateTime.fromISO(v, { setZone: true });
      return dt.isValid ? dt.setZone(zone).toFormat(pattern) : v;
    });
  }
  if (o.type === 'date' && o.timezone) {
    const zone = o.timezone;
    return memoized((v) => {
      const dt = DateTime.fromISO(v, { setZone: true });
      return dt.isValid ? dt.setZone(zone).toISO({ suppressMilliseconds: true })! : v;
    });
  }
  if ((o.type === 'decimal' || o.type === 'integer') && o.decimalSeparator === ',') return (v) => String(v).replace('.', ',');
  return (v) => String(v);
}
