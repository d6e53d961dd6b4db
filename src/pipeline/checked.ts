import type { InputMapping } from '../mapping/types.js';
import { checkRecord, type MerchantRule, type Provenance } from './records.js';

/** One record of a batch, mapped, made canonical and validated (see checkRecord). */
export interface CheckedItem {
  /** 1-based index of the record in the batch. */
  recordNo: number;
  /** 1-based line where the record starts, when the format knows it. */
  line?: number;
  /** The record's external id as far as it could be mapped (for the error report of an invalid record). */
  externalId?: string;
  /** The canonical record; absent when the record is invalid. */
  canonical?: Record<string, unknown>;
  /** Mapping, merchant and schema problems; empty when `canonical` is set. */
  problems: { path: string; message: string }[];
}

/** Records per yielded array; also the worker's message size. */
export const READ_CHUNK = 500;

/**
 * Maps pages of records (InputMapping.readPages) through checkRecord into arrays of up to READ_CHUNK
 * (the in-process reader, and the read worker's loop). When the source throws, the records read
 * before are yielded first.
 */
export async function* checkedChunks(
  pages: AsyncIterable<readonly { recordNo: number; line?: number; value?: Record<string, unknown>; errors: { path: string; message: string }[]; externalId?: string }[]>,
  mapping: { kind: InputMapping['kind'] },
  options: { provenance: Omit<Provenance, 'recordNo'>; merchantOf?: MerchantRule },
): AsyncGenerator<CheckedItem[]> {
  let chunk: CheckedItem[] = [];
  try {
    for await (const page of pages) for (const rec of page) {
      const { canonical, problems } = checkRecord(mapping.kind, rec, options.provenance, options.merchantOf);
      const item: CheckedItem = { recordNo: rec.recordNo, problems };
      if (rec.line !== undefined) item.line = rec.line;
      if (canonical) item.canonical = canonical;
      else {
        const externalId = typeof rec.value?.externalId === 'string' ? rec.value.externalId : rec.externalId;
        if (externalId) item.externalId = externalId;
      }
      chunk.push(item);
      if (chunk.length >= READ_CHUNK) {
        const full = chunk;
        chunk = [];
        yield full;
      }
    }
  } catch (err) {
    if (chunk.length > 0) yield chunk;
    throw err;
  }
  if (chunk.length > 0) yield chunk;
}
