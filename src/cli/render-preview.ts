import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { WharfError, describeError } from '../errors.js';
import { renderExport } from '../exports/render.js';
import { readText } from '../formats/decode.js';
import { readNdjson } from '../formats/json.js';
import type { OutputMapping } from '../mapping/types.js';
import { describeEntry, type ErrorEntry } from '../pipeline/report.js';
import { validateRecord } from '../schemas.js';
import { EXIT } from './context.js';

/** One canonical record read from the preview file, or why it could not be read. */
interface Given {
  recordNo: number;
  line?: number;
  value?: unknown;
  error?: string;
}

/**
 * Reads canonical records from a JSON file (an array of records, or a single record object) or an
 * NDJSON file (one record per line; chosen when the text is no single JSON document). Throws a
 * ContentError for an empty file or text that is neither.
 */
async function readCanonical(file: string): Promise<Given[]> {
  const text = await readText(createReadStream(file));
  if (text.trim() === '') throw new WharfError('FILE_EMPTY', 'the file is empty', { line: 1, hint: 'give canonical records as a JSON array, one JSON object, or NDJSON lines' });
  try {
    const doc: unknown = JSON.parse(text);
    return (Array.isArray(doc) ? doc : [doc]).map((value, i) => ({ recordNo: i + 1, value }));
  } catch {
    // Not one JSON document: read it as NDJSON, where a bad line is an error of that record.
  }
  const out: Given[] = [];
  let n = 0;
  for await (const r of readNdjson(Readable.from([text]))) {
    n++;
    out.push(r.error !== undefined ? { recordNo: n, line: r.line, error: r.error } : { recordNo: n, line: r.line, value: r.data });
  }
  return out;
}

/**
 * `wharf map --mapping <output mapping> FILE`: checks every canonical record of FILE against the
 * mapping's kind (schemas/<kind>.schema.json) and, when all are valid, writes the rendered file to
 * stdout (bytes in the mapping's encoding). Any invalid record: each problem on stderr as
 * `FILE: record N[, line L]: field: message`, nothing on stdout, exit 1. A value the encoding cannot
 * represent is reported the same way. Never half an output: the file is rendered in memory first.
 */
export async function renderPreview(file: string, mapping: OutputMapping): Promise<number> {
  const name = path.basename(file);
  const fail = (entries: ErrorEntry[]) => {
    for (const e of entries) process.stderr.write(`${name}: ${describeEntry(e)}\n`);
    return EXIT.failed;
  };
  let given: Given[];
  try {
    given = await readCanonical(file);
  } catch (err) {
    return fail([{ message: describeError(err) }]);
  }
  const errors: ErrorEntry[] = [];
  for (const g of given) {
    const at = { record: g.recordNo, ...(g.line !== undefined ? { line: g.line } : {}) };
    if (g.error !== undefined) {
      errors.push({ ...at, message: g.error });
      continue;
    }
    for (const e of validateRecord(mapping.kind, g.value)) errors.push({ ...at, ...(e.path ? { field: e.path } : {}), message: e.message });
  }
  if (errors.length) {
    fail(errors);
    process.stderr.write(`${file}: ${new Set(errors.map((e) => e.record)).size} of ${given.length} record(s) are not valid ${mapping.kind} records; nothing rendered\n`);
    return EXIT.failed;
  }
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  try {
    await renderExport(mapping, given.map((g) => g.value as Record<string, unknown>), sink);
  } catch (err) {
    const d = err instanceof WharfError ? err.details : {};
    return fail([{ ...(d.record !== undefined ? { record: d.record } : {}), message: describeError(err) }]);
  }
  process.stdout.write(Buffer.concat(chunks));
  return EXIT.ok;
}
