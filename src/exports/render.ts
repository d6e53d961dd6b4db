import { Writable } from 'node:stream';
import { ContentError } from '../errors.js';
import { pagesOf, type RenderInput } from '../mapping/pages.js';
import type { OutputMapping, RenderCounts } from '../mapping/types.js';
import { validateRecord, type FieldError, type RecordKind } from '../schemas.js';

/** What one export file holds: the mapping's counts plus the bytes written. */
export interface ExportRenderResult extends RenderCounts {
  /** Bytes written to `out` (after encoding). */
  bytes: number;
}

/**
 * Canonical records an export renders, e.g. rows read from the stock state with a cursor: one by one,
 * or in pages (RecordPages: one await per page, the cheaper way for many records).
 */
export type CanonicalRecords = RenderInput;

/**
 * Checks one canonical record against schemas/<kind>.schema.json. Returns a ContentError
 * 'RECORD_INVALID' naming the record number (1-based), the first field and its problem (all of them
 * in the message when there are several), or undefined for a valid record.
 */
export function canonicalProblem(kind: RecordKind, record: unknown, recordNo: number): ContentError | undefined {
  const errors = validateRecord(kind, record);
  if (errors.length === 0) return undefined;
  return new ContentError('RECORD_INVALID', `record ${recordNo} is not a valid ${kind}: ${errors.map(describeFieldError).join('; ')}`, {
    record: recordNo,
    field: errors[0]!.path,
    hint: `see schemas/${kind}.schema.json for the fields a ${kind} has`,
  });
}

function describeFieldError(e: FieldError): string {
  return `${e.path || '(record)'}: ${e.message}`;
}

/**
 * Streams one export file: each record is checked against its kind's schema (the mapping's kind;
 * `options.needsCheck` may exempt records the ledger holds checked already),
 * then rendered by `mapping` into `out`, with back-pressure all the way, so memory stays bounded
 * however many records `records` yields (200k stock rows hold only a few rows at a time). `out` is
 * not ended: the caller writes to a temporary file and renames it on success.
 *
 * Throws (and the caller must discard what was written, never deliver half a file):
 * - ContentError 'RECORD_INVALID' for a record that fails its schema (record number, field), or
 *   a CSV value the file's encoding cannot represent (record, column, value);
 * - whatever `out` or `records` throw (e.g. ENOSPC).
 */
export async function renderExport(mapping: OutputMapping, records: CanonicalRecords, out: Writable, options: RenderOptions = {}): Promise<ExportRenderResult> {
  const counter = new CountingWritable(out);
  const counts = await mapping.render({ pages: checked(mapping.kind, records, options.needsCheck) }, counter);
  await counter.flush();
  return { ...counts, bytes: counter.bytes };
}

/** How `renderExport` treats its records. */
export interface RenderOptions {
  /**
   * False for a record already checked against its schema when it entered the ledger (a stock level
   * stored by the intake), which is then not checked again; every record is checked without it. The
   * mapping's own checks of the rendered cells (encoding) apply to every record regardless.
   */
  needsCheck?: (record: Record<string, unknown>) => boolean;
}

/** `records` page by page, each record checked (see RenderOptions) before its page is handed on. */
async function* checked(kind: RecordKind, records: CanonicalRecords, needsCheck: RenderOptions['needsCheck']): AsyncGenerator<readonly Record<string, unknown>[]> {
  let n = 0;
  for await (const page of pagesOf(records)) {
    for (const record of page) {
      n++;
      if (needsCheck && !needsCheck(record)) continue;
      const problem = canonicalProblem(kind, record, n);
      if (problem) throw problem;
    }
    yield page;
  }
}

/** Passes chunks on to `target`, counting bytes and waiting whenever `target` asks to. */
class CountingWritable extends Writable {
  bytes = 0;

  constructor(private readonly target: Writable) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (this.target.write(chunk)) {
      cb();
      return;
    }
    const done = (err?: Error) => {
      this.target.off('drain', done);
      this.target.off('error', done);
      cb(err ?? null);
    };
    this.target.once('drain', done);
    this.target.once('error', done);
  }

  /** Resolves when every chunk has been handed to the target (does not end the target). */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.once('error', reject);
      this.end(() => resolve());
    });
  }
}
