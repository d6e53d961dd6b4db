import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Readable, Writable } from 'node:stream';
import { WharfError } from '../../src/errors.js';
import { compileMapping, loadMapping, type InputMapping, type MappedRecord, type OutputMapping } from '../../src/mapping/index.js';
import { validateRecord, type FieldError, type RecordKind } from '../../src/schemas.js';
import { parse as parseYaml } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAPPINGS = `${ROOT}mappings`;
export const CTX = { merchant: 'demo', channel: 'x', fileName: 'test-file' };

export async function inputMapping(name: string): Promise<InputMapping> {
  const m = await loadMapping(name, MAPPINGS);
  if (m.direction !== 'input') throw new Error(`${name} is not an input mapping`);
  return m;
}

export async function outputMapping(name: string): Promise<OutputMapping> {
  const m = await loadMapping(name, MAPPINGS);
  if (m.direction !== 'output') throw new Error(`${name} is not an output mapping`);
  return m;
}

/** Compiles a mapping written inline in a test (as if it were mappings/<name>.yaml). */
export function inline(yaml: string, name = 'inline-test'): InputMapping & Pick<OutputMapping, 'extension' | 'render'> {
  // Either an input or an output mapping; tests use the side they wrote.
  return compileMapping(parseYaml(yaml), `${MAPPINGS}/${name}.yaml`) as unknown as InputMapping & Pick<OutputMapping, 'extension' | 'render'>;
}

export async function readAll(mapping: InputMapping, input: Readable | string | Buffer): Promise<MappedRecord[]> {
  const stream = typeof input === 'string' && !input.includes('\n') && input.startsWith('samples/')
    ? createReadStream(`${ROOT}${input}`)
    : input instanceof Readable ? input : Readable.from([typeof input === 'string' ? Buffer.from(input) : input]);
  const out: MappedRecord[] = [];
  for await (const r of mapping.read(stream, CTX)) out.push(r);
  return out;
}

/** The fields the pipeline adds before schema validation. */
export function withPipelineFields(kind: RecordKind, value: Record<string, unknown>): Record<string, unknown> {
  switch (kind) {
    case 'order':
      return { id: `demo:x:${String(value.externalId)}`, merchant: 'demo', channel: 'x', ...value };
    case 'product':
      return { merchant: 'demo', channel: 'x', ...value };
    default:
      return { merchant: 'demo', ...value };
  }
}

/** The canonical schema's verdict on a mapped record (as the pipeline will give it). */
export function checkRecord(kind: RecordKind, value: unknown): FieldError[] {
  return validateRecord(kind, value);
}

export interface ExpectedError {
  recordNo: number | null;
  line: number | null;
  path: string;
  message: string;
}

/** What `wharf validate` reports for a file: mapping errors, else the canonical schema's errors. */
export async function userErrors(mapping: InputMapping, file: string): Promise<ExpectedError[]> {
  try {
    const out: ExpectedError[] = [];
    for (const r of await readAll(mapping, file)) {
      const errs = r.errors.length ? r.errors : checkRecord(mapping.kind, withPipelineFields(mapping.kind, r.value!));
      for (const e of errs) out.push({ recordNo: r.recordNo, line: r.line ?? null, path: e.path, message: e.message });
    }
    return out;
  } catch (err) {
    if (!(err instanceof WharfError)) throw err;
    return [{ recordNo: null, line: err.details.line ?? null, path: '', message: err.message }];
  }
}

export async function expected<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(`${ROOT}test/expected/${name}`, 'utf8')) as T;
}

/** Collects what a renderer writes. */
export function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
