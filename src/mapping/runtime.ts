import { clipMessage, cutQuoted } from '../errors.js';
import type { FieldError } from '../schemas.js';
import { step, type Getter } from './accessors.js';
import { Invalid } from './coerce.js';
import { ABSENT, type Plan, type ScopePlan } from './fields.js';
import type { BundleComponent, LookupTable } from './lookups.js';
import { columnReader, objectReader, type Reader } from './transforms.js';

/** One source record: a single row/object, or the rows grouped into it (`groupBy`). */
export interface RecordCtx {
  /** The record's own source (the first row of a group): where top-level fields are read. */
  first: unknown;
  /** All rows of the record, for `from: rows`. */
  rows: unknown[];
}

/** How source paths are read for one format (bound once per file for CSV, once per mapping otherwise). */
export interface Binder {
  getter(path: string): Getter;
  /**
   * Optional: the same read as a JavaScript expression over the variable `src` (generated code reads
   * each field at its own call site, so V8 keeps every property access monomorphic).
   */
  code?(path: string): string;
  /** The object a JSONata expression sees for a source value (a CSV row becomes `{ column: cell }`). */
  exprInput(src: unknown): unknown;
  /** True for object formats (JSON, XML, NDJSON): computed values read paths through lists there. */
  objects?: boolean;
}

export interface MapResult {
  value?: Record<string, unknown>;
  errors: FieldError[];
  /** When there are errors: the fields that could be mapped (to name the record in reports). */
  partial?: Record<string, unknown>;
}

/** JSONata results computed ahead of the synchronous build, per scope and per list element. */
interface Prepared {
  vals: unknown[];
  lists: (Prepared[] | undefined)[];
}

type From = (src: unknown, rec: RecordCtx) => unknown[];
/** Builds the object of one scope; `base` + `idx` (−1: none) locate it for error paths (`lines`, 1 → `lines[1]`). */
type Build = (src: unknown, rec: RecordCtx, pre: Prepared | undefined, errs: FieldError[], base: string, idx: number) => Record<string, unknown>;

interface BoundScope {
  plan: ScopePlan;
  build: Build;
  lists: { from: From; scope: BoundScope }[];
  exprInput: (src: unknown) => unknown;
}

function at(base: string, idx: number, rel: string): string {
  const b = idx < 0 ? base : `${base}[${idx}]`;
  return b ? `${b}.${rel}` : rel;
}

export class RecordMapper {
  private readonly root: BoundScope;
  readonly hasExpr: boolean;

  constructor(scope: ScopePlan, binder: Binder) {
    this.root = bindScope(scope, binder);
    this.hasExpr = scope.hasExpr;
  }

  /** Maps one record without JSONata: no Promise per record. */
  mapSync(rec: RecordCtx): MapResult {
    return this.build(rec, undefined);
  }

  /** Maps one record whose mapping uses expressions: those are evaluated first, then the rest runs synchronously. */
  async mapAsync(rec: RecordCtx, bindings: Record<string, unknown>): Promise<MapResult> {
    const pre = await prepare(this.root, rec.first, rec, bindings);
    return this.build(rec, pre);
  }

  private build(rec: RecordCtx, pre: Prepared | undefined): MapResult {
    const errors: FieldError[] = [];
    const out = this.root.build(rec.first, rec, pre, errors, '', -1);
    return errors.length ? { errors, partial: out } : { value: out, errors };
  }

  /** The JSONata input of a record's own source (for `$record`). */
  exprInput(src: unknown): unknown {
    return this.root.exprInput(src);
  }
}

async function prepare(scope: BoundScope, src: unknown, rec: RecordCtx, bindings: Record<string, unknown>): Promise<Prepared> {
  const vals: unknown[] = [];
  if (scope.plan.exprs.length) {
    const input = scope.exprInput(src);
    for (const expr of scope.plan.exprs) {
      try {
        vals.push(await expr.evaluate(input, bindings));
      } catch (err) {
        vals.push(new Invalid(clipMessage(`expression failed: ${cutQuoted((err as Error).message)}`, 300)));
      }
    }
  }
  const lists: (Prepared[] | undefined)[] = [];
  for (const list of scope.lists) {
    if (!list.scope.plan.hasExpr) {
      lists.push(undefined);
      continue;
    }
    const items = list.from(src, rec);
    const prepared: Prepared[] = [];
    for (const item of items) prepared.push(await prepare(list.scope, item, rec, bindings));
    lists.push(prepared);
  }
  return { vals, lists };
}

/**
 * Compiles a scope into one JavaScript function, the way a hand-written mapper would look: fields
 * are read and written with constant property names at their own call sites. Only constants from the
 * mapping reach the generated text, always through JSON.stringify; everything else (converters, getters,
 * lookup tables) is passed in as closures.
 */
function bindScope(plan: ScopePlan, binder: Binder): BoundScope {
  const helpers: unknown[] = [];
  const ref = (x: unknown): string => {
    helpers.push(x);
    return `h[${helpers.length - 1}]`;
  };
  const lists: { from: From; scope: BoundScope }[] = new Array(plan.lists.length);
  let n = 0;
  const q = (s: string) => JSON.stringify(s);
  let reader: Reader | undefined;
  const readerOf = (): Reader => (reader ??= binder.objects ? objectReader((p) => binder.getter(p)) : columnReader((p) => binder.getter(p)));

  const setter = (target: string, key: string, any: string | undefined) => `${target}[${q(key)}] = v;${any ? ` ${any} = true;` : ''}`;
  const store = (p: Plan & { kind: 'leaf' }, target: string, any: string | undefined) =>
    `if (v !== ABSENT) { if (v instanceof Invalid) errs.push({ path: at(base, idx, ${q(p.rel)}), message: v.message }); else { ${setter(target, p.key, any)} } }\n`;

  const emit = (children: Plan[], target: string, any: string | undefined): string => {
    let code = '';
    for (const p of children) {
      if (p.kind === 'object') {
        const o = `o${n}`;
        const a = `any${n++}`;
        code += `{ const ${o} = {}; let ${a} = false;\n${emit(p.children, o, a)}if (${a}) { ${target}[${q(p.key)}] = ${o};${any ? ` ${any} = true;` : ''} } }\n`;
      } else if (p.kind === 'list') {
        const from = fromGetter(p.from, binder);
        const scope = bindScope(p.scope, binder);
        lists[p.listIndex] = { from, scope };
        const expand = p.bundles ? `${ref(expandBundles)}(arr, ${ref(p.bundles)})` : 'arr';
        code += `{ const items = ${ref(from)}(src, rec); if (items.length !== 0) {
  const lp = pre === undefined ? undefined : pre.lists[${p.listIndex}];
  const prefix = base === '' && idx < 0 ? ${q(p.rel)} : at(base, idx, ${q(p.rel)});
  const arr = new Array(items.length); const build = ${ref(scope.build)};
  for (let i = 0; i < items.length; i++) arr[i] = build(items[i], rec, lp === undefined ? undefined : lp[i], errs, prefix, i);
  ${target}[${q(p.key)}] = ${expand};${any ? ` ${any} = true;` : ''} } }\n`;
      } else if (p.compute !== undefined) {
        code += `v = ${ref(p.compute(readerOf()))}(src, rec); if (!(v instanceof Invalid)) v = ${ref(p.finish)}(v);\n${store(p, target, any)}`;
      } else if (p.exprIndex !== undefined) {
        code += `v = pre.vals[${p.exprIndex}]; if (!(v instanceof Invalid)) v = ${ref(p.finish)}(v);\n${store(p, target, any)}`;
      } else if (p.source !== undefined) {
        const read = binder.code?.(p.source) ?? `${ref(binder.getter(p.source))}(src)`;
        code += `v = ${ref(p.finish)}(${read});\n${store(p, target, any)}`;
      } else if (p.constant instanceof Invalid) {
        code += `errs.push({ path: at(base, idx, ${q(p.rel)}), message: ${q(p.constant.message)} });\n`;
      } else if (p.constant !== ABSENT) {
        code += `v = ${ref(p.constant)};\n${setter(target, p.key, any)}\n`;
      }
    }
    return code;
  };

  const body = emit(plan.children, 'out', undefined);
  const factory = new Function('h', 'ABSENT', 'Invalid', 'at', 'step',
    `'use strict';\nreturn function mapScope(src, rec, pre, errs, base, idx) {\nconst out = {}; let v; let t;\n${body}return out;\n};`);
  const build = factory(helpers, ABSENT, Invalid, at, step) as Build;
  return { plan, build, lists, exprInput: (s) => binder.exprInput(s) };
}

function fromGetter(from: string, binder: Binder): From {
  if (from === 'rows') return (_src, rec) => rec.rows;
  if (from === '.') return (src) => [src];
  const get = binder.getter(from);
  return (src) => {
    const v = get(src);
    if (v === undefined || v === null || v === '') return [];
    return Array.isArray(v) ? v : [v];
  };
}

/**
 * Replaces each line whose SKU is a bundle by its components: quantity multiplied, line id suffixed
 * `-1`, `-2`…; price, EAN and name belong to the bundle and are not copied onto the components. Each
 * component keeps the shop's bundle line as `bundle: { lineId?, sku, quantity }` (the canonical order
 * schema), so that a shipment push can report the bundle line the shop knows once its components have
 * shipped (src/pipeline/shipment-lines.ts).
 */
function expandBundles(lines: Record<string, unknown>[], table: LookupTable): Record<string, unknown>[] {
  let out: Record<string, unknown>[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const parts = typeof line.sku === 'string' ? (table.get(line.sku) as BundleComponent[] | undefined) : undefined;
    if (!parts) {
      out?.push(line);
      continue;
    }
    out ??= lines.slice(0, i);
    const qty = typeof line.quantity === 'number' ? line.quantity : 1;
    parts.forEach((c, k) => {
      const comp: Record<string, unknown> = {};
      if (line.lineId !== undefined) comp.lineId = `${String(line.lineId)}-${k + 1}`;
      comp.sku = c.sku;
      comp.quantity = qty * (c.quantity ?? 1);
      const bundle: Record<string, unknown> = {};
      if (line.lineId !== undefined) bundle.lineId = String(line.lineId);
      bundle.sku = line.sku;
      bundle.quantity = qty;
      comp.bundle = bundle;
      out!.push(comp);
    });
  }
  return out ?? lines;
}
