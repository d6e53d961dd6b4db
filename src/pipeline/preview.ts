import type { Readable } from 'node:stream';
import { WharfError, describeError } from '../errors.js';
import type { InputMapping } from '../mapping/types.js';
import { checkRecord, type MerchantRule } from './records.js';
import type { ErrorEntry } from './report.js';

/** Where a previewed file seems to come from: put into the records as their provenance. */
export interface PreviewSource {
  merchant: string;
  channel: string;
  fileName: string;
  /** UTC ISO 8601. */
  receivedAt: string;
  /** Whose records these are (see MerchantRule); `{ from: 'channel' }` for a merchant channel. */
  rule: MerchantRule;
}

/** What previewing one file found. */
export interface PreviewOutcome {
  /** Records read (valid and invalid). */
  read: number;
  invalid: number;
  /** One entry per problem (record, line, externalId, field, message); a whole-file error has no field. */
  errors: ErrorEntry[];
  /** The mapping's notices (e.g. a column it ignored). */
  notes: string[];
  /** True when the file could not be read to its end (not well-formed, wrong encoding, …). */
  unreadable: boolean;
}

/**
 * `wharf map` / `wharf validate` and the console's mapping preview: runs `input` through parse →
 * map → canonical → schema check with `mapping`, without the ledger, calling `onValid` with each
 * canonical record in file order. Never throws for bad content: a file that cannot be read ends the
 * walk with one whole-file entry in `errors` (`unreadable`).
 */
export async function previewRecords(input: Readable, mapping: InputMapping, src: PreviewSource, onValid: (rec: Record<string, unknown>) => void): Promise<PreviewOutcome> {
  const errors: ErrorEntry[] = [];
  const notes: string[] = [];
  let read = 0;
  let invalid = 0;
  const p = { merchant: src.merchant, channel: src.channel, sourceType: 'file', fileName: src.fileName, receivedAt: src.receivedAt };
  try {
    for await (const rec of mapping.read(input, { merchant: src.merchant, channel: src.channel, fileName: src.fileName, notice: (m) => notes.push(m) })) {
      read++;
      const { canonical, problems } = checkRecord(mapping.kind, rec, p, src.rule);
      if (canonical) onValid(canonical);
      else {
        invalid++;
        const externalId = typeof rec.value?.externalId === 'string' ? rec.value.externalId : rec.externalId;
        for (const e of problems) errors.push({ record: rec.recordNo, ...(rec.line !== undefined ? { line: rec.line } : {}), ...(externalId ? { externalId } : {}), field: e.path, message: e.message });
      }
    }
  } catch (err) {
    // The file itself could not be read: that is no invalid record ("1 of 0 records invalid").
    const d = err instanceof WharfError ? err.details : {};
    errors.push({ ...(d.record !== undefined ? { record: d.record } : {}), ...(d.line !== undefined ? { line: d.line } : {}), message: describeError(err) });
    return { read, invalid, errors, notes, unreadable: true };
  }
  return { read, invalid, errors, notes, unreadable: false };
}
