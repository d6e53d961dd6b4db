/**
 * Native mapping transforms: the computations integrators used to write in JSONata (`expr`), compiled
 * once to closures (issue 10: a JSONata expression costs ~300× a path and a Promise per record).
 *
 *   first:       [src, …]            the first source with a value            (`a ? a : b`)
 *   join:        [src, …] separator  the sources with a value, joined         (`$join([a, b][$ != ''], ' ')`)
 *   add/subtract [src, …] divideBy   arithmetic, lists summed; decimals       (`$formatNumber(a + b, '0.00')`)
 *   splitStreet: {line, part, …}     NL/BE/DE street + house number + suffix  (`$match(line, /…/)`)
 *   when:        cond | [cond, …]    the value only if a condition holds      (`c ? x`)
 *
 * A source (`src`) is a path, or an object with one of path/value/first/join/add/splitStreet (and an
 * optional `when`). docs/mapping.md "Computed values" is the user's reference.
 */
import { Invalid } from './coerce.js';
import { echo } from '../errors.js';
import { XML_TEXT_KEY } from '../formats/xml.js';
import type { MappingProblem } from './problems.js';

export interface ConditionDoc {
  path: string;
  equals?: string | number | boolean;
  in?: (string | number | boolean)[];
  startsWith?: string;
  matches?: string;
  greaterThan?: number;
}

export interface SplitStreetDoc {
  line: string;
  part: 'street' | 'houseNumber' | 'houseNumberSuffix';
  country?: string;
  countries?: string[];
  houseNumber?: string;
  houseNumberSuffix?: string;
}

export interface SourceObjDoc {
  path?: string;
  value?: string | number | boolean;
  first?: SourceDoc[];
  join?: SourceDoc[];
  separator?: string;
  add?: SourceDoc[];
  subtract?: SourceDoc[];
  divideBy?: SourceDoc;
  decimals?: number;
  splitStreet?: SplitStreetDoc;
  when?: ConditionDoc | ConditionDoc[];
}

export type SourceDoc = string | SourceObjDoc;

/** The keys that make a field spec a computed one. */
export const TRANSFORM_KEYS = ['first', 'join', 'add', 'splitStreet'] as const;

/** Reads a value from the scope's source; `all` reads every value of a path through lists (for sums). */
export interface Reader {
  one(path: string): Get;
  all(path: string): (src: unknown, rec: Rec) => unknown[];
}

/** The record being mapped (its own source object), for `$record.` paths in a list's fields. */
export interface Rec {
  first: unknown;
}

export type Get = (src: unknown, rec: Rec) => unknown;

/** A compiled source: bound to a format's reader once per mapper. */
export type SourceFn = (reader: Reader) => Get;

interface Ctx {
  problem: MappingProblem;
  /** Every path read (for the CSV header check). */
  sources: Set<string>;
}

/** Notes a path the mapping reads (a `$record.` path reads the record's own source). */
function use(ctx: Ctx, path: string): void {
  ctx.sources.add(path.startsWith('$record.') ? path.slice('$record.'.length) : path);
}

/** JSONata's truthiness, which the replaced `a ? a : b` expressions used: no value, '', 0, false, [] are "none". */
export function hasValue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0) return false;
  if (typeof v === 'string') return v.trim() !== '';
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Compiles a field's computed value (spec keys first/join/add/splitStreet/when around path/value). */
export function compileSource(doc: SourceDoc, where: string, ctx: Ctx): SourceFn {
  if (typeof doc === 'string') {
    use(ctx, doc);
    return (r) => r.one(doc);
  }
  const kinds = (['path', 'value', ...TRANSFORM_KEYS] as const).filter((k) => doc[k] !== undefined);
  if (kinds.length !== 1) {
    throw ctx.problem(where, kinds.length ? `use only one of path, value, first, join, add and splitStreet here (found ${kinds.join(', ')})` : 'needs one of path, value, first, join, add or splitStreet');
  }
  const extra = (key: keyof SourceObjDoc, only: string) => {
    if (doc[key] !== undefined) throw ctx.problem(`${where}.${key}`, `only applies together with ${only}`);
  };
  if (kinds[0] !== 'join') extra('separator', 'join');
  if (kinds[0] !== 'add') {
    extra('subtract', 'add');
    extra('divideBy', 'add');
    extra('decimals', 'add');
  }
  let fn: SourceFn;
  switch (kinds[0]!) {
    case 'path': {
      const p = doc.path!;
      use(ctx, p);
      fn = (r) => r.one(p);
      break;
    }
    case 'value': {
      const v = doc.value;
      fn = () => () => v;
      break;
    }
    case 'first': {
      const parts = list(doc.first, `${where}.first`, ctx);
      fn = (r) => {
        const gets = parts.map((p) => p(r));
        return (src, rec) => {
          for (const g of gets) {
            const v = g(src, rec);
            if (v instanceof Invalid || hasValue(v)) return v;
          }
          return undefined;
        };
      };
      break;
    }
    case 'join': {
      // A path through a list joins every element's value (`attributes.option`: "Red, XL").
      const docs = doc.join;
      if (!Array.isArray(docs) || docs.length === 0) throw ctx.problem(`${where}.join`, 'needs a list of sources (paths, or objects with path, value, first …)');
      const parts = docs.map((d, i): ((r: Reader) => (src: unknown, rec: Rec) => unknown[]) => {
        if (typeof d === 'string') {
          use(ctx, d);
          return (r) => r.all(d);
        }
        const f = compileSource(d, `${where}.join[${i}]`, ctx);
        return (r) => {
          const g = f(r);
          return (src, rec) => [g(src, rec)];
        };
      });
      const sep = doc.separator ?? ' ';
      fn = (r) => {
        const gets = parts.map((p) => p(r));
        return (src, rec) => {
          let out: string | undefined;
          for (const g of gets) {
            for (let v of g(src, rec)) {
              if (v instanceof Invalid) return v;
              if (v !== null && typeof v === 'object' && !Array.isArray(v) && XML_TEXT_KEY in v) v = (v as Record<string, unknown>)[XML_TEXT_KEY];
              if (!hasValue(v) && v !== 0) continue;
              if (typeof v === 'object') return new Invalid(`cannot join ${Array.isArray(v) ? 'a list' : 'an element with fields'}`);
              const s = typeof v === 'string' ? v.trim() : String(v);
              out = out === undefined ? s : `${out}${sep}${s}`;
            }
          }
          return out;
        };
      };
      break;
    }
    case 'add':
      fn = compileArithmetic(doc, where, ctx);
      break;
    case 'splitStreet':
      fn = compileSplitStreet(doc.splitStreet!, `${where}.splitStreet`, ctx);
      break;
  }
  if (doc.when === undefined) return fn;
  const conds = (Array.isArray(doc.when) ? doc.when : [doc.when]).map((c, i) => compileCondition(c, Array.isArray(doc.when) ? `${where}.when[${i}]` : `${where}.when`, ctx));
  return (r) => {
    const tests = conds.map((c) => c(r));
    const get = fn(r);
    return (src, rec) => (tests.some((t) => t(src, rec)) ? get(src, rec) : undefined);
  };
}

function list(docs: SourceDoc[] | undefined, where: string, ctx: Ctx): SourceFn[] {
  if (!Array.isArray(docs) || docs.length === 0) throw ctx.problem(where, 'needs a list of sources (paths, or objects with path, value, join …)');
  return docs.map((d, i) => compileSource(d, `${where}[${i}]`, ctx));
}

function compileCondition(c: ConditionDoc, where: string, ctx: Ctx): (r: Reader) => (src: unknown, rec: Rec) => boolean {
  if (typeof c !== 'object' || c === null || typeof c.path !== 'string') throw ctx.problem(where, 'needs a path (the value to test)');
  use(ctx, c.path);
  const tests: ((v: unknown) => boolean)[] = [];
  if (c.equals !== undefined) tests.push((v) => v === c.equals);
  if (c.in !== undefined) {
    const set = new Set(c.in);
    tests.push((v) => set.has(v as string));
  }
  if (c.startsWith !== undefined) {
    const p = c.startsWith;
    tests.push((v) => typeof v === 'string' && v.startsWith(p));
  }
  if (c.matches !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(c.matches, 'u');
    } catch (err) {
      throw ctx.problem(`${where}.matches`, `${echo(c.matches)} is not a regular expression: ${(err as Error).message}`);
    }
    tests.push((v) => typeof v === 'string' && re.test(v));
  }
  if (c.greaterThan !== undefined) {
    const n = c.greaterThan;
    tests.push((v) => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '')) && Number(v) > n);
  }
  // A bare { path }: the value is there (JSONata's `x ? …`: not '', 0, false or missing).
  if (tests.length === 0) tests.push(hasValue);
  const path = c.path;
  return (r) => {
    const get = r.one(path);
    return (src, rec) => {
      const v = get(src, rec);
      for (const t of tests) if (!t(v)) return false;
      return true;
    };
  };
}

// ---------------------------------------------------------------------------------------- arithmetic

/**
 * JSONata's `$round(x, n)` (round half to even, with the decimal shift done on the number's text so
 * that 2.675 is 267.5, not 267.49999…), which its `$formatNumber(x, '0.00')` applies before writing
 * the digits: the bundled mappings' money sums are byte-identical to the expressions they replace.
 * https://docs.jsonata.org/numeric-functions#round
 */
export function roundHalfEven(x: number, decimals: number): number {
  let [m, e] = x.toString().split('e');
  let v = +`${m}e${e ? +e + decimals : decimals}`;
  let r = Math.round(v);
  if (Math.abs(r - v) === 0.5 && Math.abs(r % 2) === 1) r -= 1;
  [m, e] = r.toString().split('e');
  v = +`${m}e${e ? +e - decimals : -decimals}`;
  return Object.is(v, -0) ? 0 : v;
}

/**
 * `x` with exactly `decimals` decimals, as JSONata's `$formatNumber(x, '0.00')` writes it: rounded
 * half to even, the sign taken from `x` before rounding (so -0.004 is "-0.00", as there).
 */
export function formatDecimals(x: number, decimals: number): string {
  return `${x < 0 ? '-' : ''}${Math.abs(roundHalfEven(x, decimals)).toFixed(decimals)}`;
}

function toNumber(v: unknown): number | Invalid | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    const n = Number(t);
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) && Number.isFinite(n) ? n : new Invalid(`${echo(v)} is not a number`);
  }
  if (v === undefined || v === null) return undefined;
  return new Invalid(`${echo(v)} is not a number`);
}

function compileArithmetic(doc: SourceObjDoc, where: string, ctx: Ctx): SourceFn {
  const decimals = doc.decimals;
  if (decimals !== undefined && (!Number.isInteger(decimals) || decimals < 0 || decimals > 10)) throw ctx.problem(`${where}.decimals`, 'must be a whole number from 0 to 10');
  // Paths in add/subtract are read through lists (every element's value counts, like JSONata's $sum).
  const terms = (docs: SourceDoc[] | undefined, key: string): ((r: Reader) => (src: unknown, rec: Rec) => unknown[])[] => {
    if (docs === undefined) return [];
    if (!Array.isArray(docs) || docs.length === 0) throw ctx.problem(`${where}.${key}`, 'needs a list of sources');
    return docs.map((d, i) => {
      if (typeof d === 'string') {
        use(ctx, d);
        return (r: Reader) => r.all(d);
      }
      const f = compileSource(d, `${where}.${key}[${i}]`, ctx);
      return (r: Reader) => {
        const g = f(r);
        return (src: unknown, rec: Rec) => [g(src, rec)];
      };
    });
  };
  const plus = terms(doc.add, 'add');
  const minus = terms(doc.subtract, 'subtract');
  const div = doc.divideBy === undefined ? undefined : compileSource(doc.divideBy, `${where}.divideBy`, ctx);
  return (r) => {
    const p = plus.map((t) => t(r));
    const m = minus.map((t) => t(r));
    const d = div?.(r);
    return (src, rec) => {
      let sum = 0;
      let any = false;
      for (const [sign, gets] of [[1, p], [-1, m]] as const) {
        for (const g of gets) {
          for (const raw of g(src, rec)) {
            const n = toNumber(raw);
            if (n instanceof Invalid) return n;
            if (n === undefined) continue;
            if (sign === 1) any = true;
            sum += sign * n;
          }
        }
      }
      if (!any) return undefined;
      if (d) {
        const n = toNumber(d(src, rec));
        if (n instanceof Invalid || n === undefined) return n;
        if (n === 0) return new Invalid('cannot divide by 0 (divideBy)');
        sum /= n;
      }
      return decimals === undefined ? sum : formatDecimals(sum, decimals);
    };
  };
}

// ------------------------------------------------------------------------------------- street lines

/**
 * A Belgian box number after the house number: "Rue de la Paix 10 bte 3", "Kerkstraat 5 bus 2".
 * Tried first, because the general rule below would read the box number as the house number.
 */
const BOX = /^(.*\S)\s+(\d+)\s*((?:bus|bte|boîte|box)\.?\s*[A-Za-z0-9]{1,4})$/iu;

/**
 * Street, house number and suffix of an NL/BE/DE street line ("Keizersgracht 221 B", "Straat 12-14",
 * "Hauptstr. 5b", "1e Jan Steenstraat 3"): the last number is the house number, a suffix after it is
 * 1–6 letters/digits after - or /, or 1–4 letters. The same rule the bundled mappings had in JSONata.
 */
const LINE = /^(.*\S)\s+(\d+)(?:\s*[-/]\s*([A-Za-z0-9]{1,6})|\s*([A-Za-z]{1,4}))?$/;

export interface StreetParts {
  street: string;
  houseNumber?: string;
  houseNumberSuffix?: string;
}

/** Splits one street line; `undefined` when it has no house number at the end. */
export function splitStreetLine(line: string): StreetParts | undefined {
  const a = line.trim();
  const box = BOX.exec(a);
  if (box) return { street: box[1]!, houseNumber: box[2]!, houseNumberSuffix: box[3]!.replace(/\s+/g, ' ') };
  const m = LINE.exec(a);
  if (!m) return undefined;
  const suffix = m[3] || m[4];
  return suffix ? { street: m[1]!, houseNumber: m[2]!, houseNumberSuffix: suffix } : { street: m[1]!, houseNumber: m[2]! };
}

const PARTS = ['street', 'houseNumber', 'houseNumberSuffix'] as const;

function compileSplitStreet(doc: SplitStreetDoc, where: string, ctx: Ctx): SourceFn {
  if (typeof doc !== 'object' || doc === null || typeof doc.line !== 'string') throw ctx.problem(where, 'needs line: (the path of the street line, e.g. shipping.address_1)');
  if (!PARTS.includes(doc.part)) throw ctx.problem(`${where}.part`, `must be one of ${PARTS.join(', ')}`);
  if (doc.houseNumberSuffix !== undefined && doc.houseNumber === undefined) throw ctx.problem(`${where}.houseNumberSuffix`, 'only applies together with houseNumber');
  const countries = new Set((doc.countries ?? ['NL', 'BE', 'DE']).map((c) => c.toUpperCase()));
  for (const p of [doc.line, doc.country, doc.houseNumber, doc.houseNumberSuffix]) if (p !== undefined) use(ctx, p);
  const { part, line, country, houseNumber, houseNumberSuffix } = doc;
  return (r) => {
    const getLine = r.one(line);
    const getCountry = country === undefined ? undefined : r.one(country);
    const getNumber = houseNumber === undefined ? undefined : r.one(houseNumber);
    const getSuffix = houseNumberSuffix === undefined ? undefined : r.one(houseNumberSuffix);
    return (src, rec) => {
      // A separate house-number field (a checkout plugin's, a platform's own) wins: the line is the street.
      if (getNumber && hasValue(getNumber(src, rec))) {
        return part === 'street' ? getLine(src, rec) : part === 'houseNumber' ? getNumber(src, rec) : getSuffix?.(src, rec);
      }
      const raw = getLine(src, rec);
      if (getCountry) {
        const c = getCountry(src, rec);
        if (typeof c !== 'string' || !countries.has(c.trim().toUpperCase())) return part === 'street' ? raw : undefined;
      }
      const parts = typeof raw === 'string' ? splitStreetLine(raw) : undefined;
      if (!parts) return part === 'street' ? raw : undefined;
      return parts[part];
    };
  };
}

// ----------------------------------------------------------------------------------------- readers

/** `meta_data[key=_shipping_house_number].value`: a path segment may pick the first list element whose field equals a text. */
const FILTER = /^([^[\]=]+)\[([^[\]=]+)=([^[\]]*)\]$/;

/**
 * The reader of object formats (JSON, XML, NDJSON): `one` as the plain path getter (a list on the way
 * gives its first element), `all` through every list on the way, as JSONata's path mapping does.
 * Filter segments (`name[field=text]`) keep the elements whose field equals the text.
 */
export function objectReader(plain: (path: string) => (src: unknown) => unknown): Reader {
  return withRecord({ one: (path) => objectOne(plain, path), all: (path) => objectWalk(path) });
}

/** `$record.path` in a list's fields reads the record's own source (JSONata's `$record`). */
function withRecord(r: Reader): Reader {
  const P = '$record.';
  return {
    one: (path) => {
      if (!path.startsWith(P)) return r.one(path);
      const g = r.one(path.slice(P.length));
      return (_src, rec) => g(rec.first, rec);
    },
    all: (path) => {
      if (!path.startsWith(P)) return r.all(path);
      const g = r.all(path.slice(P.length));
      return (_src, rec) => g(rec.first, rec);
    },
  };
}

function objectOne(plain: (path: string) => (src: unknown) => unknown, path: string): (src: unknown) => unknown {
  if (!path.includes('=')) return plain(path);
  const w = objectWalk(path);
  return (src) => w(src)[0];
}

function objectWalk(path: string): (src: unknown) => unknown[] {
  const segs = path.split('.').map((seg) => {
    const f = FILTER.exec(seg);
    return f ? { key: f[1]!, field: f[2]!.trim(), eq: f[3]!.trim().replace(/^'(.*)'$/, '$1') } : { key: seg };
  });
  return (src) => {
    let vals: unknown[] = [src];
    for (const s of segs) {
      const next: unknown[] = [];
      const push = (v: unknown) => {
        if (Array.isArray(v)) for (const x of v) next.push(x);
        else if (v !== undefined && v !== null) next.push(v);
      };
      for (const v of vals) {
        if (Array.isArray(v)) {
          for (const x of v) if (x !== null && typeof x === 'object') push((x as Record<string, unknown>)[s.key]);
        } else if (v !== null && typeof v === 'object') {
          push((v as Record<string, unknown>)[s.key]);
        }
      }
      vals = 'field' in s ? next.filter((x) => x !== null && typeof x === 'object' && String((x as Record<string, unknown>)[s.field!]) === s.eq) : next;
    }
    return vals;
  };
}

/** The reader of CSV rows: a path is a column; `all` gives its one cell. */
export function columnReader(plain: (path: string) => (src: unknown) => unknown): Reader {
  return withRecord({
    one: (path) => plain(path),
    all: (path) => {
      const get = plain(path);
      return (src) => [get(src)];
    },
  });
}
