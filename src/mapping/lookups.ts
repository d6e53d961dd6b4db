import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { MappingProblem } from './problems.js';

/** A named table of a mapping: source value → canonical value (or bundle components). */
export interface LookupTable {
  readonly name: string;
  get(key: string): unknown;
  values(): Iterable<unknown>;
  /** Every entry as [key as written (trimmed), value], in file order (inline values last). */
  entries(): Iterable<[string, unknown]>;
  readonly size: number;
}

export interface LookupSpec {
  description?: string;
  file?: string;
  values?: Record<string, unknown>;
  ignoreCase?: boolean;
}

export interface BundleComponent {
  sku: string;
  quantity: number;
}

/**
 * Builds a lookup table from inline `values` and/or a YAML `file` under the mappings folder
 * (inline values win). Keys are trimmed and, unless `ignoreCase: false`, compared case-insensitively.
 */
export function buildLookup(name: string, spec: LookupSpec, mappingFile: string, where: string, problem: MappingProblem): LookupTable {
  const ignoreCase = spec.ignoreCase ?? true;
  const norm = ignoreCase ? (k: string) => k.trim().toLowerCase() : (k: string) => k.trim();
  const map = new Map<string, unknown>();
  const written = new Map<string, string>();
  const add = (values: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(values)) {
      map.set(norm(k), v);
      written.set(norm(k), k.trim());
    }
  };
  if (spec.file !== undefined) {
    const base = dirname(mappingFile);
    const path = resolve(base, spec.file);
    const rel = relative(base, path);
    if (isAbsolute(spec.file) || rel.startsWith('..') || isAbsolute(rel)) {
      throw problem(`${where}.file`, `"${spec.file}" must be a path inside the mappings folder, e.g. lookups/countries.yaml`);
    }
    if (!existsSync(path)) throw problem(`${where}.file`, `lookup file "${spec.file}" does not exist`);
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(path, 'utf8'));
    } catch (err) {
      throw problem(`${where}.file`, `lookup file "${spec.file}" is not valid YAML: ${(err as Error).message}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      throw problem(`${where}.file`, `lookup file "${spec.file}" must be a map of "source value: canonical value" lines`);
    }
    add(doc as Record<string, unknown>);
  }
  if (spec.values) add(spec.values);
  return {
    name,
    size: map.size,
    get: (key: string) => map.get(norm(key)),
    values: () => map.values(),
    entries: () => [...map].map(([k, v]): [string, unknown] => [written.get(k)!, v]),
  };
}

/** Checks that every value of a table used as `bundles` is a list of {sku, quantity}. */
export function checkBundleTable(table: LookupTable, where: string, problem: MappingProblem): void {
  for (const v of table.values()) {
    const ok = Array.isArray(v) && v.length > 0 && v.every((c) =>
      c && typeof c === 'object' && typeof (c as BundleComponent).sku === 'string' && (c as BundleComponent).sku !== '' &&
      ((c as BundleComponent).quantity === undefined || (Number.isInteger((c as BundleComponent).quantity) && (c as BundleComponent).quantity >= 1)));
    if (!ok) throw problem(where, `lookup "${table.name}" is used for bundles, so each value must be a list like [{ sku: MUG-01, quantity: 2 }]`);
  }
}
