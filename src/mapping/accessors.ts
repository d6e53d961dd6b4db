/**
 * Source paths compiled to closures once, at load time: the per-record cost of `shipping.first_name`
 * is two property reads, never a string split (DESIGN.md "Performance").
 */
import { LIST_MAX, echo } from '../errors.js';

export type Getter = (src: unknown) => unknown;

type Seg = string | number;

/** `a.b[0].c` → ['a', 'b', 0, 'c']. Throws on an empty segment. */
export function parsePath(path: string): Seg[] {
  const out: Seg[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) throw new Error(`"${path}" is not a valid path (empty or malformed segment)`);
    if (m[1] !== '') out.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

export function step(v: unknown, seg: Seg): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  if (typeof seg === 'number') return Array.isArray(v) ? v[seg] : seg === 0 ? v : undefined;
  // Walking through a list by name takes its first element (an XML element that repeated once too often).
  if (Array.isArray(v)) return v.length ? step(v[0], seg) : undefined;
  return (v as Record<string, unknown>)[seg];
}

/** Compiles a dotted path over objects (JSON, XML, NDJSON records). */
export function objectGetter(path: string): Getter {
  const segs = parsePath(path);
  if (segs.every((s) => typeof s === 'string')) {
    // Plain property reads; lists on the way (an XML element that repeated) fall back to step().
    const keys = segs as string[];
    const get1 = (o: unknown, k: string): unknown => {
      if (o === null || typeof o !== 'object') return undefined;
      const v = (o as Record<string, unknown>)[k];
      return v === undefined && Array.isArray(o) ? step(o, k) : v;
    };
    if (keys.length === 1) {
      const a = keys[0]!;
      return (o) => get1(o, a);
    }
    if (keys.length === 2) {
      const [a, b] = keys as [string, string];
      return (o) => get1(get1(o, a), b);
    }
    if (keys.length === 3) {
      const [a, b, c] = keys as [string, string, string];
      return (o) => get1(get1(get1(o, a), b), c);
    }
  }
  return (o) => {
    let v = o;
    for (let i = 0; i < segs.length && v !== undefined; i++) v = step(v, segs[i]!);
    return v;
  };
}

/**
 * The same read as objectGetter, as a JavaScript expression over `src` for generated code (uses the
 * variables `t` and `step`). Keys are embedded with JSON.stringify only.
 */
export function objectPathCode(path: string): string {
  const parts = parsePath(path).map((seg) =>
    typeof seg === 'number'
      ? `t = step(t, ${seg})`
      : `t = (t !== null && typeof t === 'object') ? (Array.isArray(t) ? step(t, ${JSON.stringify(seg)}) : t[${JSON.stringify(seg)}]) : undefined`,
  );
  return `(t = src, ${parts.join(', ')}, t)`;
}

/** Where a column name is in a header: one position, none, or several (an ambiguous name). */
export type ColumnMatch = { index: number } | { missing: true } | { ambiguous: number[] };

/**
 * Finds a column by name: exact first, then ignoring case and surrounding spaces. A name found more
 * than once is ambiguous (never silently the first); `Name#2` picks the second column called Name
 * (1-based), unless a column is literally called `Name#2`.
 */
export function findColumn(columns: readonly string[], name: string): ColumnMatch {
  const hits = positions(columns, name);
  if (hits.length === 1) return { index: hits[0]! };
  if (hits.length > 1) return { ambiguous: hits };
  const pick = /^(.*)#(\d+)$/.exec(name);
  if (pick) {
    const all = positions(columns, pick[1]!);
    const n = Number(pick[2]);
    if (n >= 1 && n <= all.length) return { index: all[n - 1]! };
  }
  return { missing: true };
}

function positions(columns: readonly string[], name: string): number[] {
  const exact: number[] = [];
  for (let i = 0; i < columns.length; i++) if (columns[i] === name) exact.push(i);
  if (exact.length) return exact;
  const want = name.trim().toLowerCase();
  const loose: number[] = [];
  for (let i = 0; i < columns.length; i++) if (columns[i]!.trim().toLowerCase() === want) loose.push(i);
  return loose;
}

/** Index of a column (see findColumn); −1 when it is missing or ambiguous. */
export function columnIndex(columns: readonly string[], name: string): number {
  const m = findColumn(columns, name);
  return 'index' in m ? m.index : -1;
}

/** A getter for one cell of a CSV row (an array of strings). */
export function cellGetter(index: number): Getter {
  return (row) => (row as string[])[index];
}

/**
 * How a column name found more than once is named in messages: its places (1-based, a bounded list)
 * and the `Name#n` picks to write instead.
 */
export function ambiguousColumn(name: string, indexes: readonly number[]): { places: string; picks: string } {
  const at = indexes.map((i) => i + 1);
  const places = at.length <= LIST_MAX ? at.join(' and ') : `${at.slice(0, LIST_MAX).join(', ')} and ${at.length - LIST_MAX} more`;
  const picks = `${at.slice(0, 2).map((_, k) => echo(`${name}#${k + 1}`)).join(' or ')}${at.length > 2 ? ' (and so on)' : ''}`;
  return { places, picks };
}

/**
 * Turns a CSV row into `{ column: cell }`, the input of JSONata expressions over CSV. A column name
 * that occurs more than once is there as `Name#1`, `Name#2`…; reading the bare name fails the
 * expression (and so the record) with the positions, instead of silently giving the first.
 */
export function rowObject(columns: readonly string[]): (row: unknown) => Record<string, string | undefined> {
  const count = new Map<string, number[]>();
  columns.forEach((c, i) => count.set(c, [...(count.get(c) ?? []), i]));
  const dups = [...count].filter(([, at]) => at.length > 1).map(([name, at]) => {
    const { places, picks } = ambiguousColumn(name, at);
    return [name, at, places, picks] as const;
  });
  return (row) => {
    const cells = row as string[];
    const o: Record<string, string | undefined> = {};
    for (let i = 0; i < columns.length; i++) o[columns[i]!] = cells[i];
    for (const [name, at, places, picks] of dups) {
      at.forEach((i, k) => (o[`${name}#${k + 1}`] = cells[i]));
      Object.defineProperty(o, name, {
        enumerable: false,
        get() {
          throw new Error(`column ${echo(name)} appears ${at.length} times in the header (columns ${places}); read ${picks}`);
        },
      });
    }
    return o;
  };
}
