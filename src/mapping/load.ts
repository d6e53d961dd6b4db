import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { WharfError } from '../errors.js';
import { formatAjvErrors, validatorFor, type RecordKind } from '../schemas.js';
import { canonicalShape, PIPELINE_FIELDS } from './canonical.js';
import { compileScope, type CompileEnv, type FieldDoc } from './fields.js';
import { CompiledInputMapping } from './input.js';
import { buildLookup, checkBundleTable, type LookupSpec, type LookupTable } from './lookups.js';
import { CompiledOutputMapping, type OutDoc } from './output.js';
import { OUTPUT_ENCODINGS, outputEncodingName } from '../formats/writers.js';
import { displayPath, problemsFor } from './problems.js';
import type { FormatName, Mapping } from './types.js';

/** A mapping file as written (after schema validation). */
interface MappingDoc {
  description?: string;
  kind: RecordKind;
  direction?: 'input' | 'output';
  format: FormatName;
  csv?: {
    delimiter?: string; quote?: string; escape?: string; header?: boolean; columns?: string[];
    encoding?: string; skipLines?: number; relaxQuotes?: boolean; lineEnding?: 'lf' | 'crlf'; bom?: boolean; formulaGuard?: boolean;
  };
  xml?: { record?: string; arrays?: string[]; encoding?: string; root?: string; declaration?: boolean };
  json?: { record?: string; encoding?: string; root?: string };
  ndjson?: { encoding?: string };
  groupBy?: string;
  lookups?: Record<string, LookupSpec>;
  fields?: Record<string, unknown>;
  each?: string;
  as?: string;
  columns?: Record<string, OutDoc>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Compiles a parsed mapping document. Every problem is a WharfError 'MAPPING_INVALID' whose message
 * names the file and the field (`mappings/x.yaml: fields.createdAt.pattern: …`); JSONata expressions
 * are compiled here, so `wharf check` finds their syntax errors.
 */
export function compileMapping(raw: unknown, file: string): Mapping {
  const problem = problemsFor(file);
  const validate = validatorFor('mapping.schema.json');
  if (!validate(raw)) {
    const errors = formatAjvErrors(validate.errors);
    const shown = displayPath(file);
    throw new WharfError('MAPPING_INVALID', errors.map((e) => `${shown}: ${e.path || '(top level)'}: ${e.message}`).join('\n'), {
      where: shown,
      field: errors[0]?.path,
    });
  }
  const doc = raw as MappingDoc;
  const name = basename(file, extname(file));
  const direction = doc.direction ?? 'input';

  const lookups = new Map<string, LookupTable>();
  for (const [lname, spec] of Object.entries(doc.lookups ?? {})) lookups.set(lname, buildLookup(lname, spec, file, `lookups.${lname}`, problem));

  const forbid = (key: keyof MappingDoc, why: string) => {
    if (doc[key] !== undefined) throw problem(key, why);
  };
  for (const f of ['csv', 'xml', 'json', 'ndjson'] as const) {
    if (doc[f] !== undefined && f !== doc.format) throw problem(f, `this mapping's format is ${doc.format}; ${f}: settings do not apply`);
  }

  if (direction === 'output') {
    forbid('groupBy', 'only input mappings group rows');
    if (doc.format !== 'csv') {
      forbid('columns', `columns: is for CSV output; ${doc.format} output uses fields:`);
      forbid('as', 'as: goes with each:, which only CSV output mappings have at the top level');
    } else {
      forbid('fields', 'CSV output mappings use columns: (column name → canonical field)');
    }
    for (const k of ['escape', 'columns', 'skipLines', 'relaxQuotes'] as const) {
      if (doc.csv?.[k] !== undefined) throw problem(`csv.${k}`, 'only applies to input mappings');
    }
    if (doc.xml?.arrays !== undefined) throw problem('xml.arrays', 'only applies to input mappings');
    if (doc.json?.record !== undefined) throw problem('json.record', 'only applies to input mappings; use json.root to wrap the output');
    for (const f of ['xml', 'json', 'ndjson'] as const) {
      if (doc[f]?.encoding !== undefined) throw problem(`${f}.encoding`, `${f} output is always written in UTF-8; encoding: applies to CSV output and to input mappings`);
    }
    const encoding = outputEncodingName(doc.csv?.encoding);
    if (!encoding) throw problem('csv.encoding', `output files can be written in ${OUTPUT_ENCODINGS.join(', ')}; not ${doc.csv?.encoding}`);
    if (doc.format === 'xml' && (!doc.xml?.root || !doc.xml.record)) throw problem('xml', 'an XML output mapping needs xml.root and xml.record (element names)');
    if (doc.xml?.record?.includes('.')) throw problem('xml.record', 'is the record element name in output mappings, e.g. order');
    return new CompiledOutputMapping({
      name,
      file,
      kind: doc.kind,
      format: doc.format,
      each: doc.each,
      as: doc.as,
      columns: doc.columns,
      fields: doc.fields as Record<string, OutDoc> | undefined,
      csv: doc.csv && {
        delimiter: doc.csv.delimiter,
        quote: doc.csv.quote,
        header: doc.csv.header,
        lineEnding: doc.csv.lineEnding === 'crlf' ? '\r\n' : '\n',
        bom: doc.csv.bom,
        encoding,
        formulaGuard: doc.csv.formulaGuard,
      },
      xml: doc.xml && { root: doc.xml.root!, record: doc.xml.record!, declaration: doc.xml.declaration },
      json: doc.json && { root: doc.json.root },
      lookups,
      problem,
    });
  }

  forbid('columns', 'only output mappings have columns:; input mappings map canonical fields under fields:');
  forbid('each', 'only output mappings have each:; in input mappings a list field has from:');
  forbid('as', 'only output mappings have as:');
  for (const k of ['lineEnding', 'bom', 'formulaGuard'] as const) {
    if (doc.csv?.[k] !== undefined) throw problem(`csv.${k}`, 'only applies to output mappings');
  }
  if (doc.xml?.root !== undefined) throw problem('xml.root', 'only applies to output mappings');
  if (doc.xml?.declaration !== undefined) throw problem('xml.declaration', 'only applies to output mappings');
  if (doc.json?.root !== undefined) throw problem('json.root', 'only applies to output mappings; use json.record to find the records');
  if (doc.format === 'xml' && !doc.xml?.record) throw problem('xml.record', 'is required: the dotted path of the record element, e.g. orders.order');
  if (doc.format === 'csv' && doc.csv?.header === false && !doc.csv.columns) {
    throw problem('csv.columns', 'is required when header: false (the column names by position)');
  }

  const isCsv = doc.format === 'csv';
  const env: CompileEnv = {
    problem,
    lookups,
    file,
    describeSource: (p) => (isCsv ? `column "${p}"` : `"${p}"`),
    checkFrom: (from, where) => {
      if (isCsv && from !== 'rows' && from !== '.') {
        throw problem(where, `a CSV record has no nested lists: use from: rows (the rows grouped by groupBy) or from: "."`);
      }
      if (from === 'rows' && doc.groupBy === undefined && !isCsv) throw problem(where, 'from: rows needs groupBy');
    },
    reserved: PIPELINE_FIELDS[doc.kind],
    sources: new Set(),
    requiredSources: new Set(),
  };
  const scope = compileScope(doc.fields as Record<string, FieldDoc>, canonicalShape(doc.kind), 'fields', env, PIPELINE_FIELDS[doc.kind]);
  const bundleTables: LookupTable[] = [];
  checkBundles(doc.fields as Record<string, FieldDoc>, 'fields', lookups, problem, bundleTables);

  // XML: the record element and every list's `from` are always lists, even when they occur once.
  const arrays = doc.xml ? [...(doc.xml.arrays ?? [])] : [];
  if (doc.xml?.record) collectFroms(doc.fields as Record<string, FieldDoc>, doc.xml.record, arrays);

  return new CompiledInputMapping({
    name,
    file,
    kind: doc.kind,
    format: doc.format,
    scope,
    sources: [...env.sources],
    requiredSources: [...env.requiredSources!],
    groupBy: doc.groupBy,
    bundleTables,
    csv: doc.csv && {
      delimiter: doc.csv.delimiter,
      quote: doc.csv.quote,
      escape: doc.csv.escape,
      header: doc.csv.header,
      columns: doc.csv.columns,
      encoding: doc.csv.encoding,
      skipLines: doc.csv.skipLines,
      relaxQuotes: doc.csv.relaxQuotes,
    },
    xml: doc.xml && { record: doc.xml.record!, arrays, encoding: doc.xml.encoding },
    json: { record: doc.json?.record ?? '', encoding: doc.json?.encoding },
    encoding: doc.ndjson?.encoding,
  });
}

function collectFroms(fields: Record<string, FieldDoc>, base: string, out: string[]): void {
  for (const spec of Object.values(fields)) {
    if (typeof spec === 'object' && 'from' in spec && spec.from !== 'rows' && spec.from !== '.') {
      const path = `${base}.${spec.from}`;
      out.push(path);
      collectFroms(spec.fields, path, out);
    }
  }
}

/** Checks every table used as `bundles` and collects them (once each) into `out`. */
function checkBundles(fields: Record<string, FieldDoc>, where: string, lookups: Map<string, LookupTable>, problem: ReturnType<typeof problemsFor>, out: LookupTable[]): void {
  for (const [key, spec] of Object.entries(fields)) {
    if (typeof spec === 'object' && 'from' in spec) {
      if (spec.bundles) {
        const table = lookups.get(spec.bundles)!;
        checkBundleTable(table, `${where}.${key}.bundles`, problem);
        if (!out.includes(table)) out.push(table);
      }
      checkBundles(spec.fields, `${where}.${key}.fields`, lookups, problem, out);
    }
  }
}

const cache = new Map<string, { mtimeMs: number; size: number; mapping: Mapping }>();

/**
 * Loads `<mappingsDir>/<name>.yaml` (compiled once per file; recompiled when the file changes).
 * A name that does not exist is 'MAPPING_NOT_FOUND'; a bad file is 'MAPPING_INVALID'.
 */
export async function loadMapping(name: string, mappingsDir: string): Promise<Mapping> {
  if (!NAME.test(name)) {
    throw new WharfError('MAPPING_INVALID', `"${name}" is not a mapping name (letters, digits, - _ . ; no folders or extension)`, { where: name });
  }
  const file = resolve(mappingsDir, `${name}.yaml`);
  let st;
  try {
    st = statSync(file);
  } catch {
    const known = safeList(mappingsDir);
    throw new WharfError('MAPPING_NOT_FOUND', `mapping "${name}" not found: ${displayPath(file)} does not exist`, {
      where: displayPath(file),
      hint: known.length ? `mappings in ${displayPath(resolve(mappingsDir))}: ${known.join(', ')}` : `no mappings in ${displayPath(resolve(mappingsDir))}`,
    });
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.mapping;
  const mapping = compileMapping(parseYamlFile(file), file);
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, mapping });
  return mapping;
}

/** Parses a YAML file; syntax errors (and duplicate keys) are 'MAPPING_INVALID' with line and column. */
export function parseYamlFile(file: string): unknown {
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    const first = e.message.split('\n')[0]!;
    const text = line && !first.includes(`line ${line}`) ? `line ${line}: ${first}` : first;
    throw new WharfError('MAPPING_INVALID', `${displayPath(file)}: ${text}`, {
      where: displayPath(file),
      line,
    });
  }
  return doc.toJS();
}

/** Names of the mappings in a folder (`<name>.yaml`), sorted. */
export function listMappingNames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.yaml') && !d.name.startsWith('.'))
    .map((d) => d.name.slice(0, -'.yaml'.length))
    .filter((n) => NAME.test(n))
    .sort();
}

function safeList(dir: string): string[] {
  try {
    return listMappingNames(dir);
  } catch {
    return [];
  }
}
