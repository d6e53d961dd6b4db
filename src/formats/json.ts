import type { Readable } from 'node:stream';
import { ContentError, clipMessage, cutQuoted, echo } from '../errors.js';
import { decodeStream, lineAt, readText } from './decode.js';
import type { SourceRecord } from './xml.js';

export interface JsonReadOptions {
  /** Dotted path to the array of records: '' or '$' for a root array, e.g. `orders` or `data.orders`. */
  record?: string;
  encoding?: string;
}

/** Parses a whole JSON document (size bounded by the pipeline) and returns its records. */
export function parseJsonRecords(text: string, options: JsonReadOptions = {}): SourceRecord[] {
  if (text.trim() === '') throw new ContentError('FILE_EMPTY', 'the file is empty', { line: 1 });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const line = jsonErrorLine(text, err as Error);
    throw new ContentError('PARSE_FAILED', clipMessage(`not valid JSON${line ? ` at line ${line}` : ''}: ${cutQuoted((err as Error).message)}`, 300), { line }, err);
  }
  const path = options.record ?? '';
  let node: unknown = doc;
  if (path !== '' && path !== '$') {
    for (const seg of path.replace(/^\$\.?/, '').split('.')) {
      node = node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  if (node === undefined || node === null) {
    throw new ContentError('PARSE_FAILED', `no records at ${echo(path)} in the JSON document`, { hint: 'check json.record in the mapping' });
  }
  const items = Array.isArray(node) ? node : [node];
  if (items.length === 0) throw new ContentError('FILE_EMPTY', `the record array "${path || '$'}" is empty`);
  return items.map((data) => ({ data }));
}

export async function readJsonRecords(input: Readable | AsyncIterable<Buffer | string>, options: JsonReadOptions = {}): Promise<SourceRecord[]> {
  return parseJsonRecords(await readText(input, options.encoding), options);
}

/** A record of an NDJSON file: its data, or the reason its line is not valid JSON. */
export interface NdjsonRecord extends SourceRecord {
  line: number;
  error?: string;
}

/**
 * Streams NDJSON: one JSON value per line, blank lines skipped. A bad line is an error of that
 * record (not of the file). Memory stays flat: only the current line is held.
 */
export async function* readNdjson(input: Readable | AsyncIterable<Buffer | string>, options: { encoding?: string } = {}): AsyncGenerator<NdjsonRecord> {
  for await (const page of readNdjsonPages(input, options)) yield* page;
}

/**
 * `readNdjson`'s records in pages: those of each decoded chunk of the file as one array (never
 * empty), so the consumer awaits once per page instead of once per record.
 */
export async function* readNdjsonPages(input: Readable | AsyncIterable<Buffer | string>, options: { encoding?: string } = {}): AsyncGenerator<NdjsonRecord[]> {
  let pending = '';
  let lineNo = 0;
  let records = 0;
  let page: NdjsonRecord[] = [];
  // `last`: the file's final line, without a line ending. Valid JSON there is fine (many writers
  // leave the last newline out); invalid JSON there most likely means the file was cut off.
  const take = (line: string, last = false): void => {
    lineNo++;
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() === '') return;
    records++;
    try {
      page.push({ line: lineNo, data: JSON.parse(text) });
    } catch (err) {
      const why = clipMessage(cutQuoted((err as Error).message), 200);
      const error = last
        ? `not valid JSON, and line ${lineNo} is the last line and has no line ending: the file looks cut off; send it again complete (${why})`
        : `not valid JSON: ${why}`;
      page.push({ line: lineNo, data: undefined, error });
    }
  };
  const full = (): NdjsonRecord[] => {
    const done = page;
    page = [];
    return done;
  };
  try {
    for await (const chunk of decodeStream(input, options.encoding)) {
      pending += chunk;
      let start = 0;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
        take(pending.slice(start, nl));
        start = nl + 1;
      }
      pending = pending.slice(start);
      if (page.length > 0) yield full();
    }
  } catch (err) {
    // A decode error: the lines before it are read and counted first.
    if (page.length > 0) yield full();
    throw err;
  }
  if (pending !== '') take(pending, true);
  if (page.length > 0) yield full();
  if (records === 0) throw new ContentError('FILE_EMPTY', 'the file is empty', { line: 1 });
}

function jsonErrorLine(text: string, err: Error): number | undefined {
  const m = /\(line (\d+) column \d+\)/.exec(err.message);
  if (m) return Number(m[1]);
  const p = /position (\d+)/.exec(err.message);
  if (p) return lineAt(text, Number(p[1]));
  return undefined;
}
