import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CsvError, parse, type Options, type Parser } from 'csv-parse';
import { ContentError, WharfError, clipMessage, echo, echoList } from '../errors.js';
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
  /** Character set of the file, default utf-8 (a UTF-8 or UTF-16 byte order mark is recognised). */
  encoding?: string;
  /** Lines to skip before the header (or the first record), e.g. a title line. */
  skipLines?: number;
  /**
   * Accept a quote inside an unquoted cell as an ordinary character (`12" pizza`), csv-parse's
   * `relax_quotes`. Off by default: such a quote is a parse error naming its line.
   */
  relaxQuotes?: boolean;
}

export interface CsvRow {
  /** 1-based physical line of the file where the row starts (quoted line breaks and blank lines counted). */
  line: number;
  /** The row's cells as strings, exactly as in the file (no type casting: see DESIGN.md "Performance"). */
  cells: string[];
  /** Why the row cannot be read as it is (more cells than columns); the row is an invalid record. */
  error?: string;
}

/**
 * Every line ending ends a record wherever it appears: csv-parse otherwise fixes the record delimiter
 * at the first line break it sees, and a CRLF file with one bare-LF row glues that row onto the last
 * cell of the previous one. `\r\n` comes first so a CRLF is one break, not two.
 * https://csv.js.org/parse/options/record_delimiter/
 */
const RECORD_DELIMITERS = ['\r\n', '\n', '\r'];

/**
 * Streams the data rows of a CSV file. `onHeader` receives the column names (from the header row or
 * `columns`) before the first row, and may throw to reject the file. Memory stays flat: nothing is
 * buffered beyond csv-parse's own chunk. An empty file, or one with a header only, is 'FILE_EMPTY'.
 * An Excel `sep=X` first line is skipped when X is the delimiter, and refused when it is not. A row
 * with more non-empty cells than there are columns comes with `error` set (a row error, never glued
 * into the last column).
 */
export async function* readCsv(
  input: Readable | AsyncIterable<Buffer | string>,
  options: CsvReadOptions = {},
  onHeader?: (columns: string[], line: number) => void,
): AsyncGenerator<CsvRow> {
  for await (const page of readCsvPages(input, options, onHeader)) yield* page;
}

/**
 * `readCsv`'s rows in pages: the rows of each decoded chunk of the file (about 64 KiB) as one array,
 * in file order, never empty. The consumer awaits once per page, not once per row (an async generator
 * costs a promise and a microtask per value; at a million rows through several of them, a large share
 * of the read). Rows read before an error are yielded (as a last page) before the error is thrown.
 */
export async function* readCsvPages(
  input: Readable | AsyncIterable<Buffer | string>,
  options: CsvReadOptions = {},
  onHeader?: (columns: string[], line: number) => void,
): AsyncGenerator<CsvRow[]> {
  const quote = options.quote ?? '"';
  const delimiter = options.delimiter ?? ',';
  // csv-parse counts a CRLF inside a quoted cell as two lines; `extra` is how many such CRLFs came
  // before, so that physical line = csv-parse's line − extra. `lastEnd` is csv-parse's line where the
  // previous record ended: a record that ends on the next line spans one line and needs no scan.
  // This runs in on_record, in parse order, so a parse error later in the file is placed right too.
  let extra = 0;
  let lastEnd = options.skipLines ?? 0;
  let lastEmpty = 0; // csv-parse's count of skipped empty lines when the previous record ended
  const locate = (cells: string[], info: { lines: number; empty_lines: number }): CsvRow => {
    const end = info.lines;
    lastEmpty = info.empty_lines;
    let start = end;
    let crlf = 0;
    if (end - lastEnd > 1) {
      // The record spans several lines, or blank lines came before it: count its quoted breaks.
      let breaks = 0;
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i]!;
        if (c.length === 0 || (c.indexOf('\n') === -1 && c.indexOf('\r') === -1)) continue;
        for (let k = 0; k < c.length; k++) {
          const ch = c.charCodeAt(k);
          if (ch === 10) breaks++;
          else if (ch === 13) {
            breaks++;
            if (c.charCodeAt(k + 1) === 10) crlf++;
          }
        }
      }
      start = end - breaks;
    }
    lastEnd = end;
    const line = start - extra;
    extra += crlf;
    return { line, cells };
  };
  const parserOptions: Options = {
    delimiter,
    quote,
    escape: options.escape ?? quote,
    record_delimiter: RECORD_DELIMITERS,
    // Rows with fewer cells are fine (exports leave trailing empty cells out); rows with more are
    // checked below, per row, so that one bad row is an error of that row and not of the whole file.
    relax_column_count: true,
    relax_quotes: options.relaxQuotes ?? false,
    skip_empty_lines: true,
    from_line: (options.skipLines ?? 0) + 1,
  };
  // Rows are collected as csv-parse pushes them (returning nothing to the stream) and handed over
  // after each chunk is written: csv-parse parses a chunk synchronously, so every row before a parse
  // error in that chunk is read and counted before the error is thrown (an async iterator over the
  // stream would drop them when the stream is destroyed with the error). Each row's place is read
  // from the parser's running counts (`parser.info`, https://csv.js.org/parse/info/) at its push:
  // an `on_record` hook would make csv-parse build two info objects per row, a third of parse time.
  // (test/formats/csv-quirks.test.ts pins the line numbers this gives.)
  let queue: CsvRow[] = [];
  const parser: Parser = parse(parserOptions);
  const info = parser.info; // the same object throughout, updated in place as csv-parse reads
  const pushToStream = parser.push.bind(parser);
  parser.push = (cells: string[] | null): boolean => {
    if (cells === null) return pushToStream(null);
    queue.push(locate(cells, info));
    return true;
  };
  parser.on('error', () => {
    /* read from parser.errored after each write, and from finished() at the end */
  });
  parser.resume();
  // A decode error is held back until csv-parse has read the whole lines before it (decodeStream
  // yields them first), so the rows before a bad byte are counted as read, then it is thrown.
  // `ending` is the file's last character: whether the last row has its line ending.
  let decodeFailure: unknown;
  let ending = '';
  /** The rows csv-parse pushed for each decoded chunk, one array per chunk (never empty). */
  const parsed = async function* (): AsyncGenerator<CsvRow[]> {
    const texts = decodeStream(input, options.encoding);
    try {
      for (;;) {
        let next: IteratorResult<string>;
        try {
          next = await texts.next();
        } catch (err) {
          decodeFailure = err;
          break;
        }
        if (next.done) break;
        ending = next.value[next.value.length - 1]!;
        parser.write(next.value);
        if (queue.length > 0) {
          const page = queue;
          queue = [];
          yield page;
        }
        if (parser.errored) throw parser.errored;
      }
      parser.end();
      await finished(parser);
      if (queue.length > 0) {
        const page = queue;
        queue = [];
        yield page;
      }
    } finally {
      // Stopped early (a header the mapping cannot use, an error): close the input too.
      if (!parser.destroyed) parser.destroy();
      await texts.return(undefined);
    }
  };

  const useHeader = options.header ?? true;
  let columns: string[] | undefined;
  if (!useHeader) {
    columns = options.columns ? [...options.columns] : undefined;
    if (columns) onHeader?.(columns, 0);
  }
  let headerSeen = !useHeader;
  let first = true;
  let rows = 0;
  // A row with fewer cells than columns waits until the next record (or the end) shows whether it
  // is the file's last one and lacks its line ending: then the file was cut off in that row.
  let short: CsvRow | undefined;
  // The rows of the page being built; yielded after each parsed page, and before an error is thrown.
  let out: CsvRow[] = [];
  const take = (row: CsvRow): void => {
    if (short) {
      out.push(short);
      short = undefined;
    }
    const { cells, line } = row;
    let blank = true;
    for (let i = 0; i < cells.length; i++) {
      if (cells[i]!.trim() !== '') {
        blank = false;
        break;
      }
    }
    if (blank) return; // `;;;;` rows that spreadsheet exports leave behind
    if (first) {
      first = false;
      const sep = sepLine(cells, delimiter);
      if (sep !== undefined) {
        if (sep !== delimiter) {
          throw new ContentError('PARSE_FAILED', `the file's first line says sep=${sep} but the mapping's delimiter is ${echo(delimiter)}`, {
            line,
            hint: `set csv.delimiter: ${echo(sep)} in the mapping if the file really is separated by ${echo(sep)}`,
          });
        }
        return; // Excel's "sep=;" hint line: not the header
      }
    }
    if (!headerSeen) {
      headerSeen = true;
      columns = options.columns ? [...options.columns] : cells.map((c) => c.trim());
      onHeader?.(columns, line);
      return;
    }
    rows++;
    if (columns && cells.length !== columns.length) {
      if (cells.length < columns.length) {
        short = row;
        return;
      }
      const error = extraCells(cells, columns.length, line);
      if (error) {
        out.push({ line, cells, error });
        return;
      }
    }
    out.push(row);
  };
  try {
    for await (const page of parsed()) {
      for (let i = 0; i < page.length; i++) take(page[i]!);
      if (out.length > 0) {
        const done = out;
        out = [];
        yield done;
      }
    }
  } catch (err) {
    if (out.length > 0) {
      const done = out;
      out = [];
      yield done;
    }
    // A csv-parse error after a bad byte follows from the cut: the bad byte is the problem. Our own
    // errors (a header without the mapped columns) come from lines before it and stand.
    if (decodeFailure !== undefined && !(err instanceof WharfError)) throw decodeFailure;
    throw asContentError(err, extra, lastEnd + 1 + ((err as { empty_lines?: number }).empty_lines ?? lastEmpty) - lastEmpty);
  }
  if (decodeFailure !== undefined) throw decodeFailure;
  if (short) {
    if (ending !== '\n' && ending !== '\r') {
      const n = short.cells.length;
      const m = columns!.length;
      throw new ContentError('PARSE_FAILED', `the last row has ${n} of ${m} cells and no line ending: the file looks cut off; send it again complete`, {
        line: short.line,
        hint: 'a complete file ends its last row with a line break, or that row has all its cells',
      });
    }
    yield [short];
  }
  if (!headerSeen) throw new ContentError('FILE_EMPTY', 'the file is empty', { line: 1 });
  if (rows === 0) {
    throw new ContentError('FILE_EMPTY', useHeader ? 'the file has a header row but no records' : 'the file has no records', {
      line: 1,
    });
  }
}

/** The delimiter an Excel `sep=X` line announces, or undefined when the row is not such a line. */
function sepLine(cells: string[], delimiter: string): string | undefined {
  if (cells.length > 2 || !/^sep=/i.test(cells[0]!)) return undefined;
  const text = cells.join(delimiter).replace(/^ +| +$/g, ''); // not trim(): the delimiter may be a tab
  return /^sep=.$/i.test(text) ? text.slice(4) : undefined;
}

/** The error of a row with more cells than columns, unless the extra cells are all empty. */
function extraCells(cells: string[], columns: number, line: number): string | undefined {
  const extra = cells.slice(columns).filter((c) => c.trim() !== '');
  if (extra.length === 0) return undefined; // a trailing delimiter: nothing is lost
  return `line ${line} has ${cells.length} cells but the header has ${columns} columns (extra: ${echoList(extra, 3)}); ` +
    'a cell with the delimiter in it must be quoted, and every line must end where its record ends';
}

/**
 * A csv-parse error as a ContentError at its physical line. `opened` is csv-parse's line where the
 * record being read started: a quote that is never closed is reported there, where it opened, not
 * at the end of the file where csv-parse noticed.
 */
function asContentError(err: unknown, extra: number, opened: number): unknown {
  if (err instanceof WharfError) return err;
  const e = err as { code?: string; message?: string; lines?: number };
  // Every csv-parse error is about the file's content (its codes are not all prefixed CSV_).
  if (err instanceof CsvError || (typeof e?.code === 'string' && e.code.startsWith('CSV_'))) {
    // csv-parse messages end with a list of the options; keep the first sentence, and cut the cell
    // value some messages quote (`value is "…"`) to a short prefix.
    let message = String(e.message ?? 'not valid CSV').split(/ instead of | at line \d+/)[0]!;
    message = message.replace(/value is (".*")$/s, (_m, v: string) => {
      try {
        return `value is ${echo(JSON.parse(v) as string)}`;
      } catch {
        return 'value is (cut)';
      }
    });
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
      const line = opened - extra;
      return new ContentError('PARSE_FAILED', `not valid CSV: a quote opened at line ${line} is never closed`, {
        line,
        hint: 'the file looks cut off, or a quote in that row is missing its closing quote (quotes inside a quoted cell are doubled: "")',
      }, err);
    }
    const line = typeof e.lines === 'number' ? e.lines - extra : undefined;
    return new ContentError('PARSE_FAILED', clipMessage(`not valid CSV at line ${line}: ${message}`), {
      line,
      hint: 'check quoting: a field containing the delimiter, a quote or a line break must be quoted, quotes doubled (or set csv.relaxQuotes: true for cells like 12" pizza)',
    }, err);
  }
  return err;
}
