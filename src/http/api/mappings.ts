import { Readable } from 'node:stream';
import { WharfError, describeError } from '../../errors.js';
import { listMappingNames, loadMapping } from '../../mapping/index.js';
import { previewRecords } from '../../pipeline/preview.js';
import type { HttpRoutes } from '../server.js';
import type { ErrorEntry } from '../../pipeline/report.js';

/** Canonical records a preview answers with at most (the counts say how many the file holds). */
const PREVIEW_RECORDS = 500;
/** Errors a preview answers at most (a pasted file of thousands of bad rows stays a readable page). */
const PREVIEW_ERRORS = 500;

const previewBody = {
  type: 'object',
  required: ['mapping', 'content'],
  properties: {
    mapping: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
    content: { type: 'string' },
    fileName: { type: 'string', minLength: 1, maxLength: 255 },
  },
  additionalProperties: false,
} as const;

/**
 * The mapping preview (`wharf map` in the browser, issue 11 §4), on the mappings folder of the config:
 * - `GET /api/mappings` → `{ mappings: [{ name, direction, kind, format } | { name, error }] }`;
 * - `POST /api/preview` `{ mapping, content, fileName? }` → the canonical records the content becomes
 *   (at most 500, `recordsShown`) and the errors (record, line, externalId, field, message), as
 *   `wharf validate --json` counts them. Nothing is stored. 404 unknown mapping, 400 an output mapping
 *   or a mapping that does not compile.
 */
export const mappingRoutes: HttpRoutes = async (app, deps) => {
  const dir = deps.config.mappingsDir;

  app.get('/api/mappings', async () => ({ mappings: await listMappings(dir) }));

  app.post<{ Body: { mapping: string; content: string; fileName?: string } }>('/api/preview', { schema: { body: previewBody } }, async (request, reply) => {
    const { mapping, content, fileName } = request.body;
    const r = await previewContent(dir, mapping, content, fileName);
    if ('status' in r) return reply.code(r.status).send({ error: r.status === 404 ? 'not found' : 'bad request', message: r.message });
    return r;
  });
};

/** A mapping of the mappings folder as `GET /api/mappings` lists it. */
export type MappingListed = { name: string; direction: string; kind: string; format: string } | { name: string; error: string };

/** The mappings of folder `dir` (sorted by name), each with its direction, kind and format, or why it does not compile. */
export async function listMappings(dir: string): Promise<MappingListed[]> {
  let names: string[];
  try {
    names = listMappingNames(dir);
  } catch {
    names = [];
  }
  return Promise.all(names.map(async (name): Promise<MappingListed> => {
    try {
      const m = await loadMapping(name, dir);
      return { name, direction: m.direction, kind: m.kind, format: m.format };
    } catch (err) {
      return { name, error: describeError(err) };
    }
  }));
}

/** What `POST /api/preview` answers (the console's preview page renders it). */
export interface PreviewResult {
  mapping: string; kind: string; format: string; fileName: string;
  valid: boolean; read: number; invalid: number; unreadable: boolean;
  records: Record<string, unknown>[]; recordsShown: number;
  /** The first PREVIEW_ERRORS problems; `errorsTotal` counts them all. */
  errors: ErrorEntry[]; errorsTotal: number; notes: string[];
}

/** Why a preview was not run: 404 no such mapping, 400 one that does not compile or is an output mapping. */
export interface PreviewRefusal {
  status: 400 | 404;
  message: string;
}

/**
 * Runs `content` through the input mapping `name` of folder `dir` as `wharf validate` would, storing
 * nothing: the canonical records (at most 500) and the errors (at most 500, `errorsTotal` all). `{ status: 404 }` for an unknown
 * mapping, `{ status: 400 }` for one that does not compile or is an output mapping.
 */
export async function previewContent(dir: string, name: string, content: string, fileNameGiven?: string): Promise<PreviewResult | PreviewRefusal> {
  let mapping;
  try {
    mapping = await loadMapping(name, dir);
  } catch (err) {
    const code = err instanceof WharfError ? err.code : undefined;
    return { status: code === 'MAPPING_NOT_FOUND' ? 404 : 400, message: describeError(err) };
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
