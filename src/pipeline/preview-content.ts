import { Readable } from 'node:stream';
import { WharfError, describeError } from '../errors.js';
import { listMappingNames, loadMapping } from '../mapping/index.js';
import { previewRecords } from './preview.js';
import type { ErrorEntry } from './report.js';

/** Canonical records a preview answers with at most (the counts say how many the file holds). */
export const PREVIEW_RECORDS = 500;
/** Errors a preview answers at most (a pasted file of thousands of bad rows stays a readable page). */
export const PREVIEW_ERRORS = 500;

/** What `POST /api/preview` answers (the console's preview page renders it). */
export interface PreviewResult {
  mapping: string; kind: string; format: string; fileName: string;
  valid: boolean; read: number; invalid: number; unreadable: boolean;
  records: Record<string, unknown>[]; recordsShown: number;
  /** The first PREVIEW_ERRORS problems; `errorsTotal` counts them all. */
  errors: ErrorEntry[]; errorsTotal: number; notes: string[];
}

/**
 * Why a preview was not run: 404 no such mapping, 400 one that does not compile or is an output
 * mapping; 503 too many previews at once (`retryAfter` seconds), 500 the preview worker stopped.
 */
export interface PreviewRefusal {
  status: 400 | 404 | 500 | 503;
  message: string;
  /** Seconds, with 503: when to try again (the `Retry-After` header). */
  retryAfter?: number;
}

/**
 * Runs `content` through the input mapping `name` of folder `dir` as `wharf validate` would, storing
 * nothing: the canonical records (at most 500) and the errors (at most 500, `errorsTotal` all).
 * `{ status: 404 }` for an unknown mapping, `{ status: 400 }` for one that does not compile or is an
 * output mapping. CPU-heavy for a large content: the daemon runs it on the read worker
 * (src/pipeline/preview-remote.ts), never on its main thread.
 */
export async function previewContent(dir: string, name: string, content: string, fileNameGiven?: string): Promise<PreviewResult | PreviewRefusal> {
  let mapping;
  try {
    mapping = await loadMapping(name, dir);
  } catch (err) {
    const code = err instanceof WharfError ? err.code : undefined;
    // Not found: the message names the missing file once, and offers only what the preview takes.
    if (code === 'MAPPING_NOT_FOUND') return { status: 404, message: `${(err as WharfError).message}; ${await inputMappingsHint(dir)}` };
    return { status: 400, message: describeError(err) };
  }
  if (mapping.direction !== 'input') return { status: 400, message: `${name} is an output mapping; the preview takes input mappings (a partner's file in, canonical records out)` };
  const fileName = fileNameGiven ?? `preview.${mapping.format}`;
  const records: Record<string, unknown>[] = [];
  const outcome = await previewRecords(Readable.from([Buffer.from(content, 'utf8')]), mapping, {
    merchant: 'preview', channel: 'preview', fileName, receivedAt: new Date().toISOString(), rule: { from: 'channel' },
  }, (rec) => {
    if (records.length < PREVIEW_RECORDS) records.push(rec);
  });
  return {
    mapping: name, kind: mapping.kind, format: mapping.format, fileName,
    valid: outcome.errors.length === 0, read: outcome.read, invalid: outcome.invalid, unreadable: outcome.unreadable,
    records, recordsShown: records.length, errors: outcome.errors.slice(0, PREVIEW_ERRORS), errorsTotal: outcome.errors.length, notes: outcome.notes,
  };
}

/** "input mappings: a, b" — the mappings of `dir` that compile and that the preview takes — or that there are none. */
async function inputMappingsHint(dir: string): Promise<string> {
  let names: string[];
  try {
    names = listMappingNames(dir);
  } catch {
    names = [];
  }
  const inputs: string[] = [];
  for (const n of names) {
    const m = await loadMapping(n, dir).catch(() => undefined);
    if (m?.direction === 'input') inputs.push(n);
  }
  return inputs.length > 0 ? `input mappings: ${inputs.join(', ')}` : 'there is no input mapping in the mappings folder';
}
