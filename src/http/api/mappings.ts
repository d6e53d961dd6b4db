import { describeError } from '../../errors.js';
import { listMappingNames, loadMapping } from '../../mapping/index.js';
import { previewInWorker } from '../../pipeline/preview-remote.js';
import type { PreviewRefusal } from '../../pipeline/preview-content.js';
import type { FastifyReply } from 'fastify';
import type { HttpRoutes } from '../server.js';

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
 *   or a mapping that does not compile, 503 + Retry-After too many previews at once, 500 the preview
 *   worker failed. The work runs on the read worker's thread (src/pipeline/preview-remote.ts).
 */
export const mappingRoutes: HttpRoutes = async (app, deps) => {
  const dir = deps.config.mappingsDir;

  app.get('/api/mappings', async () => ({ mappings: await listMappings(dir) }));

  app.post<{ Body: { mapping: string; content: string; fileName?: string } }>('/api/preview', { schema: { body: previewBody } }, async (request, reply) => {
    const { mapping, content, fileName } = request.body;
    const r = await previewInWorker(dir, mapping, content, fileName);
    if ('status' in r) return refuse(reply, r).send({ error: refusalLabel(r.status), message: r.message });
    return reply.type('application/json; charset=utf-8').send(r.json);
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

export type { PreviewResult, PreviewRefusal } from '../../pipeline/preview-content.js';

/** The error label of a refused preview's status (the server's error shape). */
export function refusalLabel(status: PreviewRefusal['status']): string {
  return { 400: 'bad request', 404: 'not found', 500: 'internal server error', 503: 'service unavailable' }[status];
}

/** Sets a refused preview's status code, and Retry-After with a 503. */
export function refuse(reply: FastifyReply, r: PreviewRefusal): FastifyReply {
  if (r.retryAfter !== undefined) void reply.header('retry-after', String(r.retryAfter));
  return reply.code(r.status);
}
