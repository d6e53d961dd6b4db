import type { LookupTable } from './lookups.js';
import type { Readable } from 'node:stream';
import { ContentError, WharfError, echo, echoList } from '../errors.js';
import { readCsvPages, type CsvReadOptions } from '../formats/csv.js';
import { readJsonRecords, readNdjsonPages } from '../formats/json.js';
import { readXmlRecords } from '../formats/xml.js';
import type { RecordKind } from '../schemas.js';
import { ambiguousColumn, cellGetter, columnIndex, findColumn, objectGetter, objectPathCode, rowObject, type Getter } from './accessors.js';
import type { ScopePlan } from './fields.js';
import { RecordMapper, type Binder, type RecordCtx } from './runtime.js';
import type { FormatName, InputMapping, MappedRecord, MappingContext } from './types.js';

export interface InputSettings {
  name: string;
  file: string;
  kind: RecordKind;
  format: FormatName;
  scope: ScopePlan;
  /** Source paths the fields read (CSV: the columns looked up in the header). */
  sources: string[];
  /** Source paths of required fields (CSV: the columns the header must have). */
  requiredSources: string[];
  groupBy?: string;
  /** Lookup tables used as `bundles` by a list field (bundle SKU → components). */
  bundleTables?: LookupTable[];
  csv?: CsvReadOptions;
  xml?: { record: string; arrays: string[]; encoding?: string };
  json?: { record: string; encoding?: string };
  encoding?: string;
}

interface SourceItem {
  line?: number;
  data: unknown;
  error?: string;
}

const objectBinder: Binder = { getter: objectGetter, code: objectPathCode, exprInput: (s) => s, objects: true };

/** A compiled input mapping: reads one file and yields its mapped records. */
export class CompiledInputMapping implements InputMapping {
  readonly direction = 'input' as const;
  readonly name: string;
  readonly file: string;
  readonly kind: RecordKind;
  readonly format: FormatName;
  readonly bundleTables: readonly LookupTable[];
  /** The mapper for object sources (JSON, NDJSON, XML), bound once. */
  private objectMapper?: RecordMapper;

  constructor(private readonly s: InputSettings) {
    this.name = s.name;
    this.file = s.file;
    this.kind = s.kind;
    this.format = s.format;
    this.bundleTables = s.bundleTables ?? [];
    if (s.format !== 'csv') this.objectMapper = new RecordMapper(s.scope, objectBinder);
  }

  read(input: Readable, ctx: MappingContext): AsyncIterable<MappedRecord> {
    return flatten(this.readPages(input, ctx));
  }

  readPages(input: Readable, ctx: MappingContext): AsyncIterable<MappedRecord[]> {
    const s = this.s;
    switch (s.format) {
      case 'csv':
        return this.readCsvFile(input, ctx);
      case 'ndjson':
        return this.records(readNdjsonPages(input, { encoding: s.encoding }), ctx, this.objectMapper!, objectGetter, s.groupBy);
      case 'json':
        return this.fromPromise(readJsonRecords(input, { record: s.json!.record, encoding: s.json!.encoding }), ctx);
      case 'xml':
        return this.fromPromise(readXmlRecords(input, s.xml!), ctx);
    }
  }

  mapObjectPages(items: Iterable<unknown> | AsyncIterable<unknown>, ctx: MappingContext): AsyncIterable<MappedRecord[]> {
    if (!this.objectMapper) {
      throw new WharfError('MAPPING_INVALID', `mapping ${this.name} reads CSV columns; records that arrive as objects need a json, ndjson or xml mapping`, { where: this.file });
    }
    const source = Symbol.iterator in items
      ? pagesOfItems(items as Iterable<unknown>)
      : (async function* () {
          for await (const data of items) yield [{ data } as SourceItem];
        })();
    return this.records(source, ctx, this.objectMapper, objectGetter, this.s.groupBy);
  }

  private async *fromPromise(items: Promise<SourceItem[]>, ctx: MappingContext): AsyncGenerator<MappedRecord[]> {
    const all = await items;
    yield* this.records(chunksOf(all), ctx, this.objectMapper!, objectGetter, this.s.groupBy);
  }

  private async *readCsvFile(input: Readable, ctx: MappingContext): AsyncGenerator<MappedRecord[]> {
    const s = this.s;
    let mapper: RecordMapper | undefined;
    let getter: (path: string) => Getter = objectGetter;
    const pages = readCsvPages(input, s.csv ?? {}, (columns, line) => {
      this.checkHeader(columns, line, ctx);
      getter = (path) => cellGetter(columnIndex(columns, path));
      const cell = (path: string) => {
        const i = columnIndex(columns, path);
        return i < 0 ? 'undefined' : `src[${i}]`;
      };
      mapper = new RecordMapper(s.scope, { getter, code: cell, exprInput: rowObject(columns) });
    });
    const items = (async function* () {
      for await (const rows of pages) {
        const page = new Array<SourceItem>(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!;
          page[i] = row.error === undefined ? { line: row.line, data: row.cells } : { line: row.line, data: row.cells, error: row.error };
        }
        yield page;
      }
    })();
    // The header callback runs before the first row, so the mapper exists by the time records() needs it.
    yield* this.records(items, ctx, () => mapper!, (p) => getter(p), s.groupBy);
  }

  /**
   * Checks the header against the columns the mapping reads: a column read by a required field (or
   * groupBy) must be there; a column read only by optional fields may be missing (those fields are
   * then absent in every record, and `ctx.notice` is told). A name the mapping reads that occurs
   * twice is always an error.
   */
  private checkHeader(columns: string[], line: number, ctx: MappingContext): void {
    const needed = new Set([...this.s.requiredSources, ...(this.s.groupBy ? [this.s.groupBy] : [])]);
    const read = [...new Set([...this.s.sources, ...needed])];
    const matches = read.map((n) => [n, findColumn(columns, n)] as const);
    for (const [name, m] of matches) {
      if ('ambiguous' in m) {
        const { places, picks } = ambiguousColumn(name, m.ambiguous);
        throw new ContentError(
          'PARSE_FAILED',
          `the CSV header has column ${echo(name)} ${m.ambiguous.length} times (columns ${places}), and mapping ${this.name} reads it: which one is meant is not clear`,
          { line: line || 1, hint: `write ${picks} in the mapping to pick one column by its place among the columns of that name` },
        );
      }
    }
    const absent = matches.filter(([, m]) => 'missing' in m).map(([n]) => n);
    const missing = absent.filter((n) => needed.has(n));
    const optional = absent.filter((n) => !needed.has(n));
    if (missing.length === 0) {
      if (optional.length > 0) {
        ctx.notice?.(`the header has no column${optional.length > 1 ? 's' : ''} ${echoList(optional)}, read by optional fields of mapping ${this.name}: those fields are left out of every record (check the spelling if the file should have ${optional.length > 1 ? 'them' : 'it'})`);
      }
      return;
    }
    const delimiter = this.s.csv?.delimiter ?? ',';
    let hint = 'check the column names in the mapping against the file, or set csv.columns for a file without a header';
    if (columns.length === 1) {
      const other = [';', ',', '\t', '|'].find((d) => d !== delimiter && columns[0]!.includes(d));
      if (other) hint = `the header is one single column: did you mean delimiter '${other === '\t' ? '\\t' : other}'? (the mapping says '${delimiter === '\t' ? '\\t' : delimiter}')`;
    }
    throw new ContentError(
      'PARSE_FAILED',
      `the CSV header lacks column${missing.length > 1 ? 's' : ''} ${echoList(missing)} used by mapping ${this.name}; found: ${echoList(columns, 10)}`,
      { line: line || 1, hint },
    );
  }

  /**
   * Groups consecutive items by key (when `groupBy` is set) and maps each record; pages in, pages
   * out (a page of records per page of items, none empty), one await per page unless the mapping has
   * JSONata expressions. Records finished before an error are yielded before it is thrown.
   */
  private async *records(
    source: AsyncIterable<readonly SourceItem[]>,
    ctx: MappingContext,
    mapperOf: RecordMapper | (() => RecordMapper),
    getterOf: (path: string) => Getter,
    groupBy: string | undefined,
  ): AsyncGenerator<MappedRecord[]> {
    const resolve = typeof mapperOf === 'function' ? mapperOf : () => mapperOf;
    let recordNo = 0;
    let keyOf: Getter | undefined;
    const firstLine = new Map<string, number | undefined>();
    let group: { key: string; line?: number; rows: unknown[]; repeatOf?: number | null; errors?: MappedRecord['errors'] } | undefined;
    let out: MappedRecord[] = [];

    const made = (line: number | undefined, result: { value?: Record<string, unknown>; partial?: Record<string, unknown>; errors: MappedRecord['errors'] }, extra?: MappedRecord['errors']): MappedRecord => {
      recordNo++;
      if (result.value && !extra?.length) return { recordNo, line, value: result.value, errors: result.errors };
      // An invalid record still names its external id (from what could be mapped), for the report.
      const externalId = (result.value ?? result.partial)?.externalId;
      const errors = extra?.length ? [...extra, ...result.errors] : result.errors;
      return typeof externalId === 'string' && externalId !== '' ? { recordNo, line, externalId, errors } : { recordNo, line, errors };
    };
    /** Maps one record into `out`: synchronously, unless the mapping has JSONata expressions. */
    const emit = (line: number | undefined, rec: RecordCtx, extra?: MappedRecord['errors']): Promise<void> | undefined => {
      const mapper = resolve();
      if (!mapper.hasExpr) {
        out.push(made(line, mapper.mapSync(rec), extra));
        return undefined;
      }
      return mapper.mapAsync(rec, this.bindings(mapper, rec, ctx, groupBy !== undefined)).then((result) => {
        out.push(made(line, result, extra));
      });
    };
    const flush = (): Promise<void> | undefined => {
      if (!group) return undefined;
      const g = group;
      group = undefined;
      let extra = g.errors;
      if (g.repeatOf !== undefined) {
        extra = [...(extra ?? []), { path: '', message: `the rows of ${echo(g.key)} (${groupBy}) are not adjacent: they also appear in the record starting at line ${g.repeatOf ?? '?'}; rows of one record must follow each other` }];
      }
      return emit(g.line, { first: g.rows[0], rows: g.rows }, extra);
    };
    const taken = (): MappedRecord[] => {
      const done = out;
      out = [];
      return done;
    };

    try {
      for await (const page of source) {
        for (const item of page) {
          if (item.error !== undefined && item.data === undefined) {
            // Nothing readable (a line of NDJSON that is not JSON): a record of its own.
            const f = flush();
            if (f) await f;
            recordNo++;
            out.push({ recordNo, line: item.line, errors: [{ path: '', message: item.error }] });
            continue;
          }
          // A row with an error of its own (too many cells) is still mapped, to name its record.
          const rowErrors = item.error !== undefined ? [{ path: '', message: item.error }] : undefined;
          if (groupBy === undefined) {
            const e = emit(item.line, { first: item.data, rows: [item.data] }, rowErrors);
            if (e) await e;
            continue;
          }
          keyOf ??= getterOf(groupBy);
          const raw = keyOf(item.data);
          const key = raw === undefined || raw === null ? '' : String(raw).trim();
          if (group && key !== '' && key === group.key) {
            group.rows.push(item.data);
            if (rowErrors) (group.errors ??= []).push(...rowErrors);
            continue;
          }
          const f = flush();
          if (f) await f;
          group = { key, line: item.line, rows: [item.data] };
          if (rowErrors) group.errors = rowErrors;
          if (key !== '') {
            if (firstLine.has(key)) group.repeatOf = firstLine.get(key) ?? null;
            else firstLine.set(key, item.line);
          }
        }
        if (out.length > 0) yield taken();
      }
    } catch (err) {
      // The file cannot be read on: the rows read so far still make their record, so that "N records
      // read before the error" counts them (the file is refused as a whole anyway).
      const f = flush();
      if (f) await f;
      if (out.length > 0) yield taken();
      throw err;
    }
    const f = flush();
    if (f) await f;
    if (out.length > 0) yield taken();
  }

  private bindings(mapper: RecordMapper, rec: RecordCtx, ctx: MappingContext, grouped: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      merchant: ctx.merchant,
      channel: ctx.channel,
      fileName: ctx.fileName,
      record: mapper.exprInput(rec.first),
    };
    if (grouped) out.rows = rec.rows.map((r) => mapper.exprInput(r));
    return out;
  }
}

/** Items per page when they are all at hand (an API page, a parsed JSON or XML file). */
const ITEMS_PAGE = 500;

/** Already parsed items as pages of SourceItem. */
async function* pagesOfItems(items: Iterable<unknown>): AsyncGenerator<SourceItem[]> {
  let page: SourceItem[] = [];
  for (const data of items) {
    page.push({ data });
    if (page.length >= ITEMS_PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** `items` in pages of ITEMS_PAGE. */
async function* chunksOf(items: readonly SourceItem[]): AsyncGenerator<SourceItem[]> {
  for (let i = 0; i < items.length; i += ITEMS_PAGE) yield items.slice(i, i + ITEMS_PAGE);
}

/** Pages as single values, in order. */
async function* flatten<T>(pages: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const page of pages) yield* page;
}
