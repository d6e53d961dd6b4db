import { DateTime } from 'luxon';
import type { ValueType } from './canonical.js';

/** A value that could not be converted; `message` is shown to the integrator as is. */
export class Invalid {
  constructor(readonly message: string) {}
}

export interface TypeOptions {
  type: ValueType;
  /** `,` for files that write 29,95. */
  decimalSeparator?: '.' | ',';
  /** Removed before parsing numbers, e.g. `.` in 1.234,50. */
  thousandsSeparator?: string;
  /** luxon format of input dates (input mappings) or of rendered dates (output mappings). */
  pattern?: string;
  /** IANA zone of dates without an offset; default UTC. */
  timezone?: string;
}

export type Converter = (raw: string | number | boolean) => unknown;

function show(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
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
  const whole = sep === ',' ? /^[+-]?\d+(,0+)?$/ : /^[+-]?\d+(\.0+)?$/;
  return (raw) => {
    if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : new Invalid(`${raw} is not a whole number`);
    if (typeof raw !== 'string') return new Invalid(`${show(raw)} is not a whole number`);
    const s = th ? raw.split(th).join('') : raw;
    if (!whole.test(s)) return new Invalid(`${show(raw)} is not a whole number`);
    const n = parseInt(s, 10);
    return Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : new Invalid(`${show(raw)} is too large`);
  };
}

const SIMPLE_DECIMAL = /^-?\d+(?:\.\d+)?$/;

function decimalConverter(o: TypeOptions): Converter {
  const sep = o.decimalSeparator ?? '.';
  const th = o.thousandsSeparator;
  const re = sep === ',' ? /^([+-]?)(\d+)(?:,(\d+))?$/ : /^([+-]?)(\d+)(?:\.(\d+))?$/;
  const expected = sep === ',' ? ' (the mapping expects a decimal comma: 29,95)' : '';
  return (raw) => {
    if (typeof raw === 'number') {
      const s = String(raw);
      return Number.isFinite(raw) && !s.includes('e') ? s : new Invalid(`${raw} is not a decimal number`);
    }
    if (typeof raw !== 'string') return new Invalid(`${show(raw)} is not a decimal number`);
    if (sep === '.' && !th && SIMPLE_DECIMAL.test(raw)) return raw;
    const m = re.exec(th ? raw.split(th).join('') : raw);
    if (!m) return new Invalid(`${show(raw)} is not a decimal number${expected}`);
    const sign = m[1] === '-' ? '-' : '';
    return m[3] === undefined ? `${sign}${m[2]}` : `${sign}${m[2]}.${m[3]}`;
  };
}

function dateConverter(o: TypeOptions): Converter {
  const zone = o.timezone ?? 'UTC';
  const pattern = o.pattern;
  const out = (dt: DateTime): string => dt.toISO({ suppressMilliseconds: true })!;
  if (pattern) {
    const parse = (s: string): unknown => {
      const dt = DateTime.fromFormat(s, pattern, { zone, setZone: true });
      if (dt.isValid) return out(dt);
      if (dt.invalidReason === 'unit out of range') return new Invalid(`date ${show(s)} is not a real date (${dt.invalidExplanation ?? 'out of range'})`);
      return new Invalid(`date ${show(s)} does not match pattern ${pattern}`);
    };
    // luxon's fromFormat costs ~40 µs; order files repeat the same timestamps (orders of the same
    // minute, the rows of one order), so a bounded memo of this pure function saves most of it.
    const memo = new Map<string, unknown>();
    return (raw) => {
      const s = String(raw);
      let v = memo.get(s);
      if (v === undefined) {
        if (memo.size >= 10_000) memo.clear();
        v = parse(s);
        memo.set(s, v);
      }
      return v;
    };
  }
  return (raw) => {
    if (typeof raw !== 'string') return new Invalid(`date ${show(raw)} is not an ISO 8601 date; set a pattern in the mapping`);
    let dt = DateTime.fromISO(raw, { zone, setZone: true });
    if (!dt.isValid) dt = DateTime.fromSQL(raw, { zone, setZone: true });
    if (dt.isValid) return out(dt);
    return new Invalid(`date ${show(raw)} is not an ISO 8601 date; set a pattern in the mapping`);
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

/** Renders a canonical value for an output file cell/element. */
export function outputFormatter(o: TypeOptions): (v: unknown) => string {
  if (o.type === 'date' && o.pattern) {
    const zone = o.timezone ?? 'UTC';
    const pattern = o.pattern;
    return (v) => {
      const dt = DateTime.fromISO(String(v), { setZone: true });
      return dt.isValid ? dt.setZone(zone).toFormat(pattern) : String(v);
    };
  }
  if (o.type === 'date' && o.timezone) {
    const zone = o.timezone;
    return (v) => {
      const dt = DateTime.fromISO(String(v), { setZone: true });
      return dt.isValid ? dt.setZone(zone).toISO({ suppressMilliseconds: true })! : String(v);
    };
  }
  if ((o.type === 'decimal' || o.type === 'integer') && o.decimalSeparator === ',') return (v) => String(v).replace('.', ',');
  return (v) => String(v);
}
