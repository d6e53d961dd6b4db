import { promises as fs } from 'node:fs';
import type { FileRow } from '../ledger/store.js';
import type { ErrorEntry, ErrorReport } from '../pipeline/report.js';

/** Longest report read (a report keeps its errors to about 8 KiB, src/pipeline/report.ts; this leaves room). */
export const REPORT_MAX_BYTES = 256 * 1024;
/** The first lines shown of a quarantined file: at most this many lines… */
export const HEAD_MAX_LINES = 20;
/** …from at most this many bytes of its start… */
export const HEAD_MAX_BYTES = 16 * 1024;
/** …each cut to this many characters. */
export const HEAD_LINE_MAX_CHARS = 400;

/** A quarantined file's `<copy>.errors.json`, or why it cannot be shown. */
export type ReportRead = { ok: true; report: ErrorReport } | { ok: false; problem: string };

/**
 * Reads the error report next to a quarantined file's copy (`<quarantinePath>.errors.json`), at most
 * REPORT_MAX_BYTES. A report that names another merchant or channel than the ledger's row is not
 * returned (one merchant's report never shows under another's file). Never throws.
 */
export async function readQuarantineReport(row: FileRow): Promise<ReportRead> {
  if (!row.quarantinePath) return { ok: false, problem: 'the file has no quarantined copy (it was never moved, or it left the quarantine)' };
  const file = `${row.quarantinePath}.errors.json`;
  let text: string;
  try {
    const h = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(REPORT_MAX_BYTES + 1);
      const { bytesRead } = await h.read(buf, 0, buf.length, 0);
      if (bytesRead > REPORT_MAX_BYTES) return { ok: false, problem: `the report is larger than ${REPORT_MAX_BYTES} bytes; open it on the server: ${file}` };
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await h.close();
    }
  } catch (err) {
    return { ok: false, problem: `the report cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${file}` };
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    return { ok: false, problem: `the report is not valid JSON: ${file}` };
  }
  if (!isReport(report)) return { ok: false, problem: `the report does not have the expected shape: ${file}` };
  if (report.merchant !== row.merchant || report.channel !== row.channel) return { ok: false, problem: 'the report next to this copy belongs to another channel; not shown' };
  return { ok: true, report: { ...report, errors: report.errors.filter(isEntry) } };
}

function isReport(v: unknown): v is ErrorReport {
  const r = v as Partial<ErrorReport> | null;
  return typeof r === 'object' && r !== null && typeof r.merchant === 'string' && typeof r.channel === 'string' && typeof r.summary === 'string' && Array.isArray(r.errors);
}

function isEntry(v: unknown): v is ErrorEntry {
  return typeof v === 'object' && v !== null && typeof (v as ErrorEntry).message === 'string';
}

/** The start of a quarantined file as text lines (numbered from 1). */
export interface FileHead {
  lines: string[];
  /** True when the file goes on after the lines shown (more lines, or more bytes than were read). */
  more: boolean;
  /** The file's size in bytes. */
  size: number;
}

/**
 * The first `maxLines` lines of `file`, from at most `maxBytes` of its start, decoded as UTF-8
 * (invalid bytes become U+FFFD; a BOM is dropped), each line cut to HEAD_LINE_MAX_CHARS with `…`.
 * Throws the file system's error when the file cannot be read.
 */
export async function readFileHead(file: string, maxLines = HEAD_MAX_LINES, maxBytes = HEAD_MAX_BYTES): Promise<FileHead> {
  const h = await fs.open(file, 'r');
  try {
    const size = (await h.stat()).size;
    const buf = Buffer.alloc(Math.min(maxBytes, size));
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    const cutMidFile = bytesRead < size;
    const all = text.split(/\r\n|\n|\r/);
    // A last line cut by the byte limit is shown as far as it was read; a final newline ends no extra line.
    if (!cutMidFile && all.length > 1 && all[all.length - 1] === '') all.pop();
    const lines = all.slice(0, maxLines).map((l) => (l.length > HEAD_LINE_MAX_CHARS ? `${l.slice(0, HEAD_LINE_MAX_CHARS)}…` : l));
    return { lines, more: cutMidFile || all.length > maxLines, size };
  } finally {
    await h.close();
  }
}
