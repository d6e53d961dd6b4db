import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { CsvError, parse, type Parser } from 'csv-parse';
import { ContentError, WharfError } from '../errors.js';
import { decodeStream } from './decode.js';

export interface CsvReadOptions {
  /** Field separator, default `,`. */
  delimiter?: string;
  /** Quote character, default `"`. */
  quote?: string;
  /** Escape character inside quoted fields, default the quote (RFC 4180 `""`). */
  escape?: string;
  /** Whether the first row (after `skipLines`) names the columns; default true. */
  header?: boolean;
  /** Column names by position, for files without a header row (or to override it). */
  columns?: string[];
  /** Character set of the file, default utf-8. */
  encoding?: string;
  /** Lines to skip before the header (or the first record), e.g. a title line. */
  skipLines?: number;
}

export interface CsvRow {
  /** 1-based line where the row starts. */
  line: number;
  /** The row's cells as strings, exactly as in the file (no type casting: see DESIGN.md "Performance"). */
  cells: string[];
}

/**
 * Streams the data rows of a CSV file. `onHeader` receives the column names (from the header row or
 * `columns`) before the first row, and may throw to reject the file. Memory stays flat: nothing is
 * buffered beyond csv-parse's own chunk. An empty file, or one with a header only, is 'FILE_EMPTY'.
 */
export async function* readCsv(
  input: Readable | AsyncIterable<Buffer | string>,
  options: CsvReadOptions = {},
  onHeader?: (columns: string[], line: number) => void,
): AsyncGenerator<CsvRow> {
  const quote = options.quote ?? '"';
  const parser: Parser = parse({
    delimiter: options.delimiter ?? ',',
    quote,
    escape: options.escape ?? quote,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    from_line: (options.skipLines ?? 0) + 1,
  });
  const source = Readable.from(decodeStream(input, options.encoding));
  pipeline(source, parser, () => {
    /* errors surface through the parser's async iterator */
  });

  const useHeader = options.header ?? true;
  let columns: string[] | undefined;
  if (!useHeader) {
    columns = options.columns ? [...options.columns] : undefined;
    if (columns) onHeader?.(columns, 0);
  }
  let headerSeen = !useHeader;
  let rows = 0;
  try {
    for await (const item of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
      const cells = item.record;
      let multiline = 0;
      let blank = true;
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i]!;
        if (blank && c.trim() !== '') blank = false;
        if (c.length > 1 && c.includes('\n')) multiline += c.split('\n').length - 1;
      }
      if (blank) continue; // `;;;;` rows that spreadsheet exports leave behind
      const line = item.info.lines - multiline;
      if (!headerSeen) {
        headerSeen = true;
        columns = options.columns ? [...options.columns] : cells.map((c) => c.trim());
        onHeader?.(columns, line);
        continue;
      }
      rows++;
      yield { line, cells };
    }
  } catch (err) {
    throw asContentError(err);
  }
  if (!headerSeen) throw new ContentError('FILE_EMPTY', 'the file is empty', { line: 1 });
  if (rows === 0) {
    throw new ContentError('FILE_EMPTY', useHeader ? 'the file has a header row but no records' : 'the file has no records', {
      line: 1,
    });
  }
}

function asContentError(err: unknown): unknown {
  if (err instanceof WharfError) return err;
  const e = err as { code?: string; message?: string; lines?: number };
  // Every csv-parse error is about the file's content (its codes are not all prefixed CSV_).
  if (err instanceof CsvError || (typeof e?.code === 'string' && e.code.startsWith('CSV_'))) {
    // csv-parse messages end with a list of the options; keep the first sentence.
    const message = String(e.message ?? 'not valid CSV').split(/ instead of | at line \d+/)[0];
    return new ContentError('PARSE_FAILED', `not valid CSV at line ${e.lines}: ${message}`, {
      line: e.lines,
      hint: 'check quoting: a field containing the delimiter, a quote or a line break must be quoted, quotes doubled',
    }, err);
  }
  return err;
}
