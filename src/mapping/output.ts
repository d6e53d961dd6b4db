import { ContentError, echo } from '../errors.js';
import type { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import type Jsonata from 'jsonata';
import { isTimeZone } from '../time-zone.js';
import {
  CsvWriter, buildXml, guardFormula, ndjsonLine, outputEncoding, writeChunk, xmlRecordElement,
  type CsvWriteOptions, type OutputEncoder,
} from '../formats/writers.js';
import type { RecordKind } from '../schemas.js';
import { objectGetter, type Getter } from './accessors.js';
import type { ValueSpecDoc } from './fields.js';
import { outputFormatter } from './coerce.js';
import { buildLookup, type LookupSpec, type LookupTable } from './lookups.js';
import type { MappingProblem } from './problems.js';
import { pagesOf, type RenderInput } from './pages.js';
import type { FormatName, OutputMapping, RenderCounts } from './types.js';

// jsonata is one CommonJS file: required, not imported, because Node scans a CommonJS file that ESM
// imports for its export names, ~30 ms of every process start for this one (docs/benchmarks.md).
const jsonata = createRequire(import.meta.url)('jsonata') as typeof Jsonata;

/**
 * An output column/element spec as written in a mapping file: the input field spec's keys that make
 * sense when rendering, with constants limited to scalars.
 */
export type OutValueDoc = Pick<
  ValueSpecDoc,
  'description' | 'path' | 'expr' | 'type' | 'pattern' | 'timezone' | 'decimalSeparator' | 'upper' | 'lower' | 'lookup' | 'lookupMissing'
> & {
  value?: string | number | boolean;
  default?: string | number | boolean;
  /** The first of these canonical paths with a value (`shipTo.email, customer.email`). */
  first?: string[];
  /** The text after the `count`-th `separator` (JSONata's nested $substringAfter): `a:b:WEB-1` → `WEB-1`. */
  after?: { separator: string; count?: number };
};
export interface OutListDoc {
  description?: string;
  each: string;
  as?: string;
  fields: Record<string, OutDoc>;
}
export type OutDoc = string | OutValueDoc | OutListDoc;

export interface OutputSettings {
  name: string;
  file: string;
  kind: RecordKind;
  format: FormatName;
  each?: string;
  as?: string;
  /** CSV: column name → spec (in order). */
  columns?: Record<string, OutDoc>;
  /** XML/JSON/NDJSON: target path → spec; absent for JSON/NDJSON means "the canonical record as is". */
  fields?: Record<string, OutDoc>;
  csv?: CsvWriteOptions;
  xml?: { root: string; record: string; declaration?: boolean };
  json?: { root?: string };
  lookups: Map<string, LookupTable>;
  problem: MappingProblem;
}

/** Reads a value for the current record and list element; a string, or undefined when absent. */
type Cell = (record: Record<string, unknown>, element: unknown, bindings: Record<string, unknown>) => string | undefined | Promise<string | undefined>;

type OutNode =
  | { kind: 'value'; target: string[]; cell: Cell }
  | { kind: 'list'; target: string[]; each: (record: Record<string, unknown>, element: unknown) => unknown; nodes: OutNode[] };

/** Singular of a list name for `line.` paths: lines → line, components → component. */
export function singular(each: string): string {
  const last = each.split('.').pop()!;
  if (last.endsWith('ies')) return `${last.slice(0, -3)}y`;
  return last.endsWith('s') ? last.slice(0, -1) : last;
}

export class CompiledOutputMapping implements OutputMapping {
  readonly direction = 'output' as const;
  readonly name: string;
  readonly file: string;
  readonly kind: RecordKind;
  readonly format: FormatName;
  readonly extension: string;
  private readonly columns: { name: string; cell: Cell }[] = [];
  private readonly nodes: OutNode[] = [];
  private readonly each?: Getter;
  /** CSV: the file's character set; every cell is checked against it before anything is encoded. */
  private readonly encoder: OutputEncoder;

  constructor(private readonly s: OutputSettings) {
    this.name = s.name;
    this.file = s.file;
    this.kind = s.kind;
    this.format = s.format;
    this.extension = s.format;
    const as = s.as ?? (s.each ? singular(s.each) : undefined);
    this.encoder = outputEncoding(s.csv?.encoding ?? 'utf-8');
    if (s.format === 'csv') {
      const guard = s.csv?.formulaGuard ?? true;
      if (s.csv?.bom && this.encoder.name !== 'utf-8') throw s.problem('csv.bom', `a byte order mark is for UTF-8 files; this mapping writes ${this.encoder.name}`);
      if (!s.columns || Object.keys(s.columns).length === 0) throw s.problem('columns', 'a CSV output mapping needs columns: (column name → canonical field)');
      if (s.each) this.each = objectGetter(s.each);
      for (const [name, doc] of Object.entries(s.columns)) {
        if (typeof doc === 'object' && 'each' in doc) throw s.problem(`columns.${name}`, 'a CSV column holds one value; use each: at the top level for one row per line');
        const bad = this.encoder.unrepresentable(name);
        if (bad !== undefined) throw s.problem(`columns.${name}`, `the column name has ${describeChar(bad)}, which ${this.encoder.name} cannot represent`);
        this.columns.push({ name, cell: this.cell(doc, `columns.${name}`, as, guard) });
      }
    } else {
      if (s.each) throw s.problem('each', `only CSV output mappings have each:; for ${s.format} put each: inside fields`);
      if (s.fields) this.nodes = this.compileNodes(s.fields, 'fields', undefined);
      else if (s.format === 'xml') throw s.problem('fields', 'an XML output mapping needs fields: (element path → canonical field)');
    }
  }

  private compileNodes(fields: Record<string, OutDoc>, where: string, as: string | undefined): OutNode[] {
    return Object.entries(fields).map(([key, doc]): OutNode => {
      const target = key.split('.');
      if (target.some((t) => t === '')) throw this.s.problem(`${where}.${key}`, `"${key}" is not a valid element path`);
      if (typeof doc === 'object' && 'each' in doc) {
        const innerAs = doc.as ?? singular(doc.each);
        const each = this.sourceGetter(doc.each, as);
        return { kind: 'list', target, each, nodes: this.compileNodes(doc.fields, `${where}.${key}.fields`, innerAs) };
      }
      return { kind: 'value', target, cell: this.cell(doc, `${where}.${key}`, as, false) };
    });
  }

  /** `order.x` and plain `x` read the record; `line.x` (the `as` name) reads the current list element. */
  private sourceGetter(path: string, as: string | undefined): (record: Record<string, unknown>, element: unknown) => unknown {
    const segs = path.split('.');
    if (as && segs[0] === as) {
      if (segs.length === 1) return (_r, e) => e;
      const g = objectGetter(segs.slice(1).join('.'));
      return (_r, e) => g(e);
    }
    const rest = segs[0] === this.kind && segs.length > 1 ? segs.slice(1).join('.') : path;
    const g = objectGetter(rest);
    return (r) => g(r);
  }

  /**
   * One value's reader. With `guard` (CSV's formulaGuard) text read from the record that starts
   * like a formula gets a leading `'`; numbers — a JSON number, or a plain decimal string such as
   * "-5.00" in a column of type integer/decimal — are written as they are, and so are the mapping's
   * own constants (`value`, `default`).
   */
  private cell(doc: OutDoc, where: string, as: string | undefined, guard: boolean): Cell {
    const spec: OutValueDoc = typeof doc === 'string' ? { path: doc } : (doc as OutValueDoc);
    const problem = this.s.problem;
    const given = (['path', 'expr', 'value', 'first'] as const).filter((k) => spec[k] !== undefined);
    if (given.length !== 1) throw problem(where, given.length ? `use only one of path, first, expr and value (found ${given.join(', ')})` : 'needs a path (canonical field), first, an expr or a value');
    if (spec.after !== undefined && spec.path === undefined) throw problem(`${where}.after`, 'only applies together with path');
    if (spec.timezone !== undefined && !isTimeZone(spec.timezone)) throw problem(`${where}.timezone`, `"${spec.timezone}" is not an IANA time zone`);
    if (spec.pattern !== undefined && spec.type !== 'date') throw problem(`${where}.pattern`, 'only applies to type: date');
    const format = outputFormatter({ type: spec.type ?? (spec.decimalSeparator ? 'decimal' : 'string'), pattern: spec.pattern, timezone: spec.timezone, decimalSeparator: spec.decimalSeparator });
    let table: LookupTable | undefined;
    if (typeof spec.lookup === 'string') {
      table = this.s.lookups.get(spec.lookup);
      if (!table) throw problem(`${where}.lookup`, `no lookup named "${spec.lookup}"`);
    } else if (spec.lookup) {
      table = buildLookup(where, { values: spec.lookup } as LookupSpec, this.s.file, `${where}.lookup`, problem);
    }
    const missing = spec.lookupMissing ?? 'keep';
    const fallback = spec.default === undefined ? undefined : String(spec.default);
    const numericType = spec.type === 'integer' || spec.type === 'decimal';
    const isNumber = (v: unknown) => typeof v === 'number' || (numericType && typeof v === 'string' && PLAIN_NUMBER.test(v));
    const finish = (v: unknown, fromRecord: boolean): string | undefined => {
      if (v === undefined || v === null || v === '') return fallback;
      let s: string;
      let raw: unknown = v;
      if (table) {
        const hit = table.get(String(v));
        if (hit === undefined) {
          if (missing === 'error') throw new Error(`${where}: no entry for ${echo(String(v))} in lookup "${table.name}"`);
          if (missing === 'default') return fallback;
          s = format(v);
        } else {
          s = String(hit);
          raw = hit;
        }
      } else s = format(v);
      s = spec.upper ? s.toUpperCase() : spec.lower ? s.toLowerCase() : s;
      return guard && fromRecord && !isNumber(raw) ? guardFormula(s) : s;
    };
    if (spec.value !== undefined) {
      const c = finish(spec.value, false);
      return () => c;
    }
    if (spec.expr !== undefined) {
      let expr: Jsonata.Expression;
      try {
        expr = jsonata(spec.expr);
      } catch (err) {
        const e = err as { message?: string; position?: number };
        throw problem(`${where}.expr`, `JSONata syntax error${e.position !== undefined ? ` at position ${e.position}` : ''}: ${e.message}`);
      }
      return async (record, element, bindings) => {
        const v: unknown = await expr.evaluate(record, as ? { ...bindings, [as]: element } : bindings);
        return finish(Array.isArray(v) ? v.join(' ') : v, true);
      };
    }
    if (spec.first !== undefined) {
      if (!Array.isArray(spec.first) || spec.first.length === 0) throw problem(`${where}.first`, 'needs a list of canonical paths');
      const gets = spec.first.map((p) => this.sourceGetter(p, as));
      return (record, element) => {
        for (const g of gets) {
          const v = g(record, element);
          if (v !== undefined && v !== null && v !== '') return finish(v, true);
        }
        return finish(undefined, true);
      };
    }
    const get = this.sourceGetter(spec.path!, as);
    if (spec.after !== undefined) {
      const { separator: sep, count = 1 } = spec.after;
      if (typeof sep !== 'string' || sep === '') throw problem(`${where}.after.separator`, 'must be a non-empty text, e.g. ":"');
      return (record, element) => {
        const v = get(record, element);
        if (typeof v !== 'string') return finish(v, true);
        let t = v;
        for (let i = 0; i < count; i++) {
          const at = t.indexOf(sep);
          if (at >= 0) t = t.slice(at + sep.length);
        }
        return finish(t, true);
      };
    }
    return (record, element) => finish(get(record, element), true);
  }

  /**
   * Renders records into `out` (see OutputMapping.render). Memory stays bounded for every format:
   * CSV, NDJSON and JSON write record by record, XML writes one record element at a time. A CSV cell
   * the file's encoding cannot represent throws a ContentError 'RECORD_INVALID' naming the record,
   * column and value; whatever was written before that must be discarded by the caller.
   */
  async render(input: RenderInput, out: Writable): Promise<RenderCounts> {
    const bindings = {};
    let n = 0;
    let rowCount = 0;
    switch (this.format) {
      case 'csv': {
        const writer = new CsvWriter(this.columns.map((c) => c.name), this.s.csv);
        const enc = this.encoder;
        await writeChunk(out, enc.encode(writer.head()));
        // Rows go to csv-stringify (and `out`) CSV_CHUNK_ROWS at a time: one call per record spent more
        // on csv-stringify's per-call set-up than on the rows. Memory stays bounded by the chunk.
        let rows: string[][] = [];
        for await (const page of pagesOf(input)) for (const record of page) {
          n++;
          const elements = this.each ? listOf(this.each(record)) : [undefined];
          if (elements.length === 0) elements.push(undefined);
          for (const el of elements) {
            const row: string[] = [];
            for (const c of this.columns) {
              // Only a JSONata cell is async: awaiting every plain cell cost a microtask per cell.
              const v = c.cell(record, el, bindings);
              const text = (v instanceof Promise ? await v : v) ?? '';
              const bad = enc.unrepresentable(text);
              if (bad !== undefined) throw this.unrepresentable(n, c.name, text, bad);
              row.push(text);
            }
            rows.push(row);
          }
          if (rows.length >= CSV_CHUNK_ROWS) {
            rowCount += rows.length;
            await writeChunk(out, enc.encode(writer.rows(rows)));
            rows = [];
          }
        }
        rowCount += rows.length;
        if (rows.length > 0) await writeChunk(out, enc.encode(writer.rows(rows)));
        return { records: n, rows: rowCount };
      }
      case 'ndjson':
        for await (const page of pagesOf(input)) for (const record of page) {
          n++;
          await writeChunk(out, ndjsonLine(await this.shape(record, bindings)));
        }
        return { records: n, rows: n };
      case 'json': {
        const root = this.s.json?.root;
        const indent = root ? '    ' : '  ';
        await writeChunk(out, root ? `{\n  ${JSON.stringify(root)}: [` : '[');
        for await (const page of pagesOf(input)) for (const record of page) {
          const text = JSON.stringify(await this.shape(record, bindings), null, 2).replace(/\n/g, `\n${indent}`);
          await writeChunk(out, `${n++ ? ',' : ''}\n${indent}${text}`);
        }
        const close = n ? `\n${root ? '  ' : ''}]` : ']';
        await writeChunk(out, root ? `${close}\n}\n` : `${close}\n`);
        return { records: n, rows: n };
      }
      case 'xml': {
        const xml = { root: this.s.xml!.root, record: this.s.xml!.record, declaration: this.s.xml!.declaration };
        for await (const page of pagesOf(input)) for (const record of page) {
          const element = xmlRecordElement(await this.shape(record, bindings), xml);
          await writeChunk(out, n++ === 0 ? `${xmlHead(xml.declaration)}<${xml.root}>\n${element}` : element);
        }
        await writeChunk(out, n === 0 ? buildXml([], xml) : `</${xml.root}>\n`);
        return { records: n, rows: n };
      }
    }
  }

  private unrepresentable(recordNo: number, column: string, value: string, ch: string): ContentError {
    return new ContentError('RECORD_INVALID', `record ${recordNo}, column "${column}": ${echo(value)} has ${describeChar(ch)}, which ${this.encoder.name} cannot represent`, {
      where: this.name,
      record: recordNo,
      field: column,
      hint: `fix the value at its source, or write this file in utf-8 (csv.encoding in mapping ${this.name})`,
    });
  }

  /** The output object of one record (the canonical record itself when no fields are mapped). */
  private async shape(record: Record<string, unknown>, bindings: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!this.s.fields) return record;
    return build(this.nodes, record, undefined, bindings);
  }
}

async function build(nodes: OutNode[], record: Record<string, unknown>, element: unknown, bindings: Record<string, unknown>): Promise<Record<string, unknown>> {
  const o: Record<string, unknown> = {};
  for (const n of nodes) {
    let v: unknown;
    if (n.kind === 'value') {
      v = await n.cell(record, element, bindings);
    } else {
      const items = listOf(n.each(record, element));
      const arr: Record<string, unknown>[] = [];
      for (const it of items) arr.push(await build(n.nodes, record, it, bindings));
      v = arr.length ? arr : undefined;
    }
    if (v === undefined) continue;
    let cur = o;
    for (let i = 0; i < n.target.length - 1; i++) {
      const k = n.target[i]!;
      if (cur[k] === undefined || typeof cur[k] !== 'object') cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[n.target[n.target.length - 1]!] = v;
  }
  return o;
}

function listOf(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** A decimal number as canonical records write it (integer or decimal string, optional sign). */
/** CSV rows handed to csv-stringify and written per call (render). */
const CSV_CHUNK_ROWS = 256;

const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** `"€" (U+20AC)` for messages. */
function describeChar(ch: string): string {
  return `${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

function xmlHead(declaration: boolean | undefined): string {
  return declaration === false ? '' : '<?xml version="1.0" encoding="UTF-8"?>\n';
}
