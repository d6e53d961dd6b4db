import type { Readable, Writable } from 'node:stream';
import type { FieldError, RecordKind } from '../schemas.js';
import type { LookupTable } from './lookups.js';
import type { RenderInput } from './pages.js';

export type FormatName = 'csv' | 'xml' | 'json' | 'ndjson';

/** Context the pipeline hands to a mapping for one file (available to expressions as $merchant etc.). */
export interface MappingContext {
  merchant: string;
  channel: string;
  fileName: string;
  /**
   * Told about things that are allowed but worth knowing, once per file: e.g. the optional columns a
   * CSV header lacks (`wharf validate` prints them; the daemon adds them to the file's info line).
   */
  notice?: (message: string) => void;
}

/** One record read from an input file and mapped to canonical shape (not yet schema-validated). */
export interface MappedRecord {
  /** 1-based index of the record in the file. */
  recordNo: number;
  /** 1-based line where the record starts (CSV, NDJSON; XML when known), else undefined. */
  line?: number;
  /** The mapped canonical record; undefined when mapping failed. Never contains `id`/`source`. */
  value?: Record<string, unknown>;
  /** Mapping and coercion errors (path = canonical field path, e.g. `lines[1].quantity`). */
  errors: FieldError[];
  /** The record's external id when it could be mapped although the record is invalid (for reports). */
  externalId?: string;
}

export interface InputMapping {
  readonly name: string;
  /** Absolute path of the mapping file, for error messages. */
  readonly file: string;
  readonly direction: 'input';
  readonly kind: RecordKind;
  readonly format: FormatName;
  /**
   * Streams the records of one file. Whole-file problems (not well-formed XML/JSON, invalid UTF-8,
   * a CSV header that lacks the mapped columns, an empty file) throw a ContentError with a line
   * number where known. Memory stays flat for CSV and NDJSON however large the file.
   */
  read(input: Readable, ctx: MappingContext): AsyncIterable<MappedRecord>;
  /**
   * `read`'s records in pages (arrays of records in file order, none empty): one await per page
   * instead of one per record, the way the pipeline reads (src/pipeline/checked.ts).
   */
  readPages(input: Readable, ctx: MappingContext): AsyncIterable<MappedRecord[]>;
  /**
   * Maps records that arrived already parsed (the objects of an API page), in pages as readPages
   * gives them: each item is one source record, exactly as an item of the mapping's JSON record array
   * would be (numbered from 1, no line numbers). Only for object formats (json, ndjson, xml); a CSV mapping throws a MAPPING_INVALID
   * WharfError, since its fields name columns, not object paths.
   */
  mapObjectPages(items: Iterable<unknown> | AsyncIterable<unknown>, ctx: MappingContext): AsyncIterable<MappedRecord[]>;
  /**
   * The lookup tables this mapping uses as `bundles` (bundle SKU → [{ sku, quantity }]), for
   * computing bundle stock (src/exports/bundles.ts); empty when it has none.
   */
  readonly bundleTables?: readonly LookupTable[];
}

export interface OutputMapping {
  readonly name: string;
  readonly file: string;
  readonly direction: 'output';
  readonly kind: RecordKind;
  readonly format: FormatName;
  /** File extension for rendered files, without the dot (csv, xml, json, ndjson). */
  readonly extension: string;
  /**
   * Renders canonical records into one file's bytes. Deterministic: same records, same bytes.
   * Writes with back-pressure and does not end `out` (the caller fsyncs/closes/renames it).
   */
  render(records: RenderInput, out: Writable): Promise<RenderCounts>;
}

/** What one render wrote. */
export interface RenderCounts {
  /** Canonical records rendered. */
  records: number;
  /** Data rows/elements written: CSV rows (one per `each` element), else equal to `records`. */
  rows: number;
}

export type Mapping = InputMapping | OutputMapping;
