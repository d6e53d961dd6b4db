import { createRequire } from 'node:module';
import type Jsonata from 'jsonata';
import { DateTime } from 'luxon';
import { isTimeZone } from '../time-zone.js';
import type { ShapeNode, ValueType } from './canonical.js';
import { fieldNames } from './canonical.js';
import { Invalid, inputConverter, type TypeOptions } from './coerce.js';
import { buildLookup, type LookupSpec, type LookupTable } from './lookups.js';
import type { MappingProblem } from './problems.js';
import { XML_TEXT_KEY } from '../formats/xml.js';
import { compileSource, TRANSFORM_KEYS, type SourceFn, type SourceObjDoc } from './transforms.js';
import { echo } from '../errors.js';

// jsonata is one CommonJS file: required, not imported, because Node scans a CommonJS file that ESM
// imports for its export names, ~30 ms of every process start for this one (docs/benchmarks.md).
const jsonata = createRequire(import.meta.url)('jsonata') as typeof Jsonata;

/** A field spec as written in a mapping file (after schema validation); computed values: transforms.ts. */
export interface ValueSpecDoc extends Omit<SourceObjDoc, 'value'> {
  description?: string;
  path?: string;
  expr?: string;
  value?: unknown;
  default?: unknown;
  required?: boolean;
  type?: ValueType;
  pattern?: string;
  timezone?: string;
  decimalSeparator?: '.' | ',';
  thousandsSeparator?: string;
  trim?: boolean;
  upper?: boolean;
  lower?: boolean;
  lookup?: string | Record<string, unknown>;
  lookupMissing?: 'error' | 'keep' | 'default';
}

export interface ListSpecDoc {
  description?: string;
  from: string;
  fields: Record<string, FieldDoc>;
  bundles?: string;
}

export type FieldDoc = string | ValueSpecDoc | ListSpecDoc;

/** "Nothing here": an absent value is left out of the record, never written as "" or null. */
export const ABSENT: unique symbol = Symbol('absent');
export type Finished = unknown | typeof ABSENT | Invalid;

export interface LeafPlan {
  kind: 'leaf';
  key: string;
  /** Canonical path relative to its scope (the record, or one list element), for error paths. */
  rel: string;
  source?: string;
  exprIndex?: number;
  /** A native computed value (first, join, add, splitStreet, when), bound to the format's reader. */
  compute?: SourceFn;
  constant?: unknown;
  finish: (raw: unknown) => Finished;
}

export interface ObjectPlan {
  kind: 'object';
  key: string;
  children: Plan[];
}

export interface ListPlan {
  kind: 'list';
  key: string;
  rel: string;
  from: string;
  /** Index among the lists of the enclosing scope (where its prepared expression values live). */
  listIndex: number;
  scope: ScopePlan;
  bundles?: LookupTable;
}

export type Plan = LeafPlan | ObjectPlan | ListPlan;

/** The fields mapped from one source object: the record itself, or one element of a list. */
export interface ScopePlan {
  children: Plan[];
  exprs: Jsonata.Expression[];
  lists: ListPlan[];
  /** True when this scope or a nested one uses a JSONata expression. */
  hasExpr: boolean;
}

export interface CompileEnv {
  problem: MappingProblem;
  lookups: Map<string, LookupTable>;
  /** Mapping file path (inline lookups are resolved relative to it). */
  file: string;
  /** How a source path is named in "required" hints: `column "SKU"` or `"shipping.name"`. */
  describeSource: (path: string) => string;
  /** Checks a list's `from` for the format (CSV only knows `rows` and `.`). */
  checkFrom: (from: string, where: string) => void;
  /** Canonical top-level fields an input mapping may not set (filled in by the pipeline). */
  reserved: readonly string[];
  /** Every source path used, for the CSV header check. */
  sources: Set<string>;
  /**
   * Source paths of fields that must have a value (`required: true`, or required by the canonical
   * schema) and have no `default`: a CSV header must have these columns. Other fields' columns may
   * be missing from the header (their values are then absent). Optional for callers that do not
   * check a header.
   */
  requiredSources?: Set<string>;
}

interface TreeNode {
  shape: ShapeNode;
  children: Map<string, TreeNode>;
  spec?: FieldDoc;
  where: string;
}

/**
 * Compiles `fields` against the canonical shape: unknown names are load-time errors, and the record's
 * keys come out in the schema's property order whatever order the mapping lists them in.
 */
export function compileScope(fields: Record<string, FieldDoc>, shape: ShapeNode, where: string, env: CompileEnv, reserved: readonly string[] = [], mustExist = true): ScopePlan {
  const scope: ScopePlan = { children: [], exprs: [], lists: [], hasExpr: false };
  const root: TreeNode = { shape, children: new Map(), where };
  for (const [key, spec] of Object.entries(fields)) {
    const fieldWhere = `${where}.${key}`;
    const segs = key.split('.');
    if (segs.some((s) => s === '')) throw env.problem(fieldWhere, `"${key}" is not a valid field path`);
    if (reserved.includes(segs[0]!)) {
      throw env.problem(fieldWhere, `"${segs[0]}" is filled in by Wharf (from the config and the file), not by a mapping`);
    }
    let node = root;
    let path = '';
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      if (node.shape.node !== 'object') throw env.problem(fieldWhere, `"${path}" has no fields`);
      const child = node.shape.props.get(seg);
      if (!child) {
        throw env.problem(fieldWhere, `"${seg}" is not a field of ${path ? `"${path}"` : 'the record'}`, `known fields: ${fieldNames(node.shape).join(', ')}`);
      }
      path = path ? `${path}.${seg}` : seg;
      let next = node.children.get(seg);
      if (!next) {
        next = { shape: child, children: new Map(), where: fieldWhere };
        node.children.set(seg, next);
      }
      if (next.spec !== undefined) throw env.problem(fieldWhere, `"${path}" is already mapped as a whole`);
      node = next;
    }
    if (node.children.size > 0) throw env.problem(fieldWhere, `"${path}" is an object whose fields are mapped one by one; map ${path}.<field> instead`);
    if (node.shape.node === 'object') {
      throw env.problem(fieldWhere, `"${path}" is an object; map its fields one by one (${fieldNames(node.shape).map((f) => `${path}.${f}`).slice(0, 3).join(', ')}, ...)`);
    }
    node.spec = spec;
  }
  scope.children = toPlans(root, '', scope, env, mustExist);
  return scope;
}

/** `mustExist`: the canonical schema requires this object in every record (the root, shipTo, lines' items…). */
function toPlans(tree: TreeNode, prefix: string, scope: ScopePlan, env: CompileEnv, mustExist: boolean): Plan[] {
  const out: Plan[] = [];
  if (tree.shape.node !== 'object') return out;
  for (const name of tree.shape.props.keys()) {
    const node = tree.children.get(name);
    if (!node) continue;
    const rel = prefix ? `${prefix}.${name}` : name;
    const needed = mustExist && tree.shape.required.has(name);
    if (node.spec === undefined) {
      out.push({ kind: 'object', key: name, children: toPlans(node, rel, scope, env, needed) });
    } else if (node.shape.node === 'array') {
      out.push(compileList(name, rel, node.spec, node.shape, node.where, scope, env, needed));
    } else {
      const type = node.shape.node === 'leaf' ? node.shape.type : 'string';
      out.push(compileLeaf(name, rel, node.spec, type, node.where, scope, env, needed));
    }
  }
  return out;
}

function compileList(key: string, rel: string, spec: FieldDoc, shape: ShapeNode & { node: 'array' }, where: string, scope: ScopePlan, env: CompileEnv, needed: boolean): ListPlan {
  if (typeof spec !== 'object' || !('from' in spec) || !('fields' in spec)) {
    throw env.problem(where, `"${rel}" is a list; map it with from: (where its elements are) and fields: (what each element holds)`);
  }
  env.checkFrom(spec.from, `${where}.from`);
  if (spec.from !== 'rows' && spec.from !== '.') env.sources.add(spec.from);
  const inner = compileScope(spec.fields, shape.items, `${where}.fields`, env, [], needed);
  let bundles: LookupTable | undefined;
  if (spec.bundles !== undefined) {
    bundles = env.lookups.get(spec.bundles);
    if (!bundles) throw env.problem(`${where}.bundles`, `no lookup named "${spec.bundles}"`, lookupHint(env));
  }
  const plan: ListPlan = { kind: 'list', key, rel, from: spec.from, listIndex: scope.lists.length, scope: inner, bundles };
  scope.lists.push(plan);
  if (inner.hasExpr) scope.hasExpr = true;
  return plan;
}

function lookupHint(env: CompileEnv): string {
  return env.lookups.size ? `lookups defined: ${[...env.lookups.keys()].join(', ')}` : 'define it under lookups:';
}

const SPEC_SOURCES = ['path', 'expr', 'value', ...TRANSFORM_KEYS] as const;

/** Whether a luxon format carries a UTC offset or zone (Z, ZZ, ZZZ, z …), quoted literals aside. */
function hasOffsetToken(pattern: string): boolean {
  return /[Zz]/.test(pattern.replace(/'[^']*'/g, ''));
}

/** `schemaRequired`: every record must have this field by the canonical schema. */
function compileLeaf(key: string, rel: string, doc: FieldDoc, canonicalType: ValueType, where: string, scope: ScopePlan, env: CompileEnv, schemaRequired: boolean): LeafPlan {
  if (typeof doc === 'object' && ('from' in doc || 'fields' in doc)) throw env.problem(where, `"${rel}" is a single value, not a list`);
  const spec: ValueSpecDoc = typeof doc === 'string' ? { path: doc } : (doc as ValueSpecDoc);
  const given = SPEC_SOURCES.filter((k) => spec[k] !== undefined);
  if (given.length > 1) throw env.problem(where, `use only one of path, expr, value, first, join, add and splitStreet (found ${given.join(', ')})`);
  if (given.length === 0 && spec.default === undefined) throw env.problem(where, 'needs a path (source column or element), a value, a computed value (first, join, add, splitStreet) or an expr');
  if (spec.when !== undefined && spec.expr !== undefined) throw env.problem(`${where}.when`, 'does not apply to expr (write the condition in the expression)');
  const computed = spec.when !== undefined || TRANSFORM_KEYS.some((k) => spec[k] !== undefined);

  const type = spec.type ?? canonicalType;
  if (spec.pattern !== undefined && type !== 'date') throw env.problem(`${where}.pattern`, 'only applies to type: date');
  if (spec.pattern !== undefined) checkPattern(spec.pattern, `${where}.pattern`, env);
  if (spec.pattern !== undefined && spec.timezone === undefined && !hasOffsetToken(spec.pattern)) {
    // Local times without a zone would be read as UTC: a silent guess of when an order was placed.
    throw env.problem(`${where}.timezone`, `pattern '${spec.pattern}' has no UTC offset, so the time zone its times are in must be given`, 'add timezone: Europe/Amsterdam (the zone the source writes its local times in), or timezone: UTC');
  }
  if (spec.timezone !== undefined && !isTimeZone(spec.timezone)) {
    throw env.problem(`${where}.timezone`, `"${spec.timezone}" is not an IANA time zone`, 'for example Europe/Amsterdam or UTC');
  }
  if (spec.upper && spec.lower) throw env.problem(where, 'use upper or lower, not both');
  if (spec.thousandsSeparator !== undefined) {
    if (type !== 'integer' && type !== 'decimal') throw env.problem(`${where}.thousandsSeparator`, 'only applies to type: integer or decimal');
    if (spec.thousandsSeparator === (spec.decimalSeparator ?? '.')) {
      throw env.problem(`${where}.thousandsSeparator`, `'${spec.thousandsSeparator}' is also the decimal separator${spec.decimalSeparator === undefined ? ' (the default)' : ''}: a number like 6${spec.thousandsSeparator}25 could not be read`, `set decimalSeparator: '${spec.thousandsSeparator === '.' ? ',' : '.'}'`);
    }
    if (/[\d+-]/.test(spec.thousandsSeparator)) throw env.problem(`${where}.thousandsSeparator`, `'${spec.thousandsSeparator}' cannot separate digits`);
  }
  const typeOptions: TypeOptions = {
    type,
    decimalSeparator: spec.decimalSeparator,
    thousandsSeparator: spec.thousandsSeparator,
    pattern: spec.pattern,
    timezone: spec.timezone,
  };
  const convert = inputConverter(typeOptions);

  let table: LookupTable | undefined;
  if (typeof spec.lookup === 'string') {
    table = env.lookups.get(spec.lookup);
    if (!table) throw env.problem(`${where}.lookup`, `no lookup named "${spec.lookup}"`, lookupHint(env));
  } else if (spec.lookup) {
    table = buildLookup(key, { values: spec.lookup } as LookupSpec, env.file, `${where}.lookup`, env.problem);
  }
  const missing = spec.lookupMissing ?? 'error';
  if (spec.lookupMissing !== undefined && !table) throw env.problem(`${where}.lookupMissing`, 'only applies together with lookup');

  // Type conversion of a present, trimmed value (after lookup).
  const typed = (v: unknown): Finished => (convert ? convert(v as string | number | boolean) : typeof v === 'string' ? v : stringOf(v));
  const trim = spec.trim ?? true;
  const caseFn = spec.upper ? (s: string) => s.toUpperCase() : spec.lower ? (s: string) => s.toLowerCase() : undefined;

  let fallback: Finished = ABSENT;
  if (spec.default !== undefined) {
    fallback = typed(spec.default);
    if (fallback instanceof Invalid) throw env.problem(`${where}.default`, fallback.message);
  }
  const source = spec.path;
  const requiredHint = computed ? ' (the computed value is empty)' : source !== undefined ? ` (${env.describeSource(source)} is empty)` : spec.expr !== undefined ? ' (the expression gave no value)' : '';
  const onAbsent: Finished = fallback !== ABSENT ? fallback : spec.required ? new Invalid(`is required but missing${requiredHint}`) : ABSENT;

  const general = (input: unknown): Finished => {
    let raw = input;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && XML_TEXT_KEY in raw) raw = (raw as Record<string, unknown>)[XML_TEXT_KEY];
    if (raw === undefined || raw === null) return onAbsent;
    if (typeof raw === 'string') {
      if (trim) raw = (raw as string).trim();
      if (raw === '') return onAbsent;
      if (caseFn) raw = caseFn(raw as string);
    } else if (typeof raw === 'object') {
      if (Array.isArray(raw) && raw.length === 0) return onAbsent;
      return new Invalid(Array.isArray(raw) ? `expected one value, found a list of ${raw.length}` : 'expected a value, found an element with fields');
    }
    if (table) {
      const hit = table.get(String(raw));
      if (hit === undefined) {
        if (missing === 'error') return new Invalid(`unknown ${table.name} ${echo(String(raw))}; add it to lookup "${table.name}"`);
        if (missing === 'default') return onAbsent;
      } else {
        raw = hit;
      }
    }
    return typed(raw);
  };

  // The fast path: a trimmed string straight from the source, no conversion at all.
  const plain = !convert && !table && !caseFn && trim;
  const finish = plain
    ? (raw: unknown): Finished => {
        if (typeof raw === 'string') {
          const t = raw.trim();
          return t === '' ? onAbsent : t;
        }
        return general(raw);
      }
    : general;

  const leaf: LeafPlan = { kind: 'leaf', key, rel, finish };
  if (computed) {
    const { path, value, first, join, separator, add, subtract, divideBy, decimals, splitStreet, when } = spec as SourceObjDoc;
    leaf.compute = compileSource({ path, value, first, join, separator, add, subtract, divideBy, decimals, splitStreet, when }, where, { problem: env.problem, sources: env.sources });
  } else if (spec.expr !== undefined) {
    let expr: Jsonata.Expression;
    try {
      expr = jsonata(spec.expr);
    } catch (err) {
      const e = err as { message?: string; position?: number };
      throw env.problem(`${where}.expr`, `JSONata syntax error${e.position !== undefined ? ` at position ${e.position}` : ''}: ${e.message}`);
    }
    leaf.exprIndex = scope.exprs.length;
    scope.exprs.push(expr);
    scope.hasExpr = true;
  } else if (spec.value !== undefined) {
    const v = finish(spec.value);
    if (v instanceof Invalid) throw env.problem(`${where}.value`, v.message);
    leaf.constant = v;
  } else if (source !== undefined) {
    leaf.source = source;
    env.sources.add(source);
    // A field that must have a value and has no default: its column must be in a CSV header.
    if ((spec.required || schemaRequired) && spec.default === undefined) env.requiredSources?.add(source);
  } else {
    leaf.constant = onAbsent;
  }
  return leaf;
}

function stringOf(v: unknown): Finished {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  return new Invalid('expected a text value');
}

function checkPattern(pattern: string, where: string, env: CompileEnv): void {
  const bad = (why: string) => env.problem(where, `"${pattern}" ${why}`, 'luxon tokens: yyyy year, MM month, dd day, HH hour, mm minute, ss second');
  const tokens = pattern.replace(/'[^']*'/g, ''); // quoted text is literal
  if (/Y/.test(tokens)) throw bad('uses YYYY, which luxon does not know: years are yyyy');
  if (/D/.test(tokens)) throw bad('uses D/DD, a luxon locale macro: days of the month are dd');
  if (/m/.test(tokens) && !/M|L/.test(tokens) && /[dy]/.test(tokens)) throw bad('has minutes (mm) but no month: months are MM');
  const probe = DateTime.fromObject({ year: 2026, month: 11, day: 25, hour: 14, minute: 5, second: 7 }, { zone: 'UTC' });
  if (!DateTime.fromFormat(probe.toFormat(pattern), pattern, { zone: 'UTC' }).isValid) {
    throw bad('is not a usable date pattern');
  }
}
