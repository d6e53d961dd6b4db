import { MESSAGE_MAX, clipMessage } from '../errors.js';

/** The quarantine report written next to a bad file as `<name>.errors.json`. */
export interface ErrorEntry {
  /** 1-based record number in the file (absent for whole-file errors before the first record). */
  record?: number;
  /** 1-based physical line of the file where the record (or the problem) starts. */
  line?: number;
  /** The record's external id (order number), also when the record could not be mapped completely. */
  externalId?: string;
  /** Canonical field path, e.g. `lines[0].quantity` (absent for whole-file errors). */
  field?: string;
  /** What is wrong, quoting the offending value cut short (see echo() in errors.ts). */
  message: string;
}

export interface ErrorReport {
  file: string;
  /** The ledger's id of this file: `wharf retry <fileId>` re-runs it after the mapping is fixed. */
  fileId?: number;
  origin: string;
  merchant: string;
  channel: string;
  mapping: string;
  trace: string;
  receivedAt: string;
  /** rejected: nothing from the file was imported. partial: its valid records were imported. */
  outcome: 'rejected' | 'partial';
  /** One line for humans. */
  summary: string;
  recordsRead: number;
  recordsInvalid: number;
  recordsImported: number;
  errors: ErrorEntry[];
  /** Errors left out of `errors` because there were too many. */
  moreErrors: number;
  hint: string;
}

/** Reports keep at most this many errors: a file with a million bad rows must not produce a huge report. */
export const MAX_REPORTED_ERRORS = 1000;
/** …and at most about this many characters of errors, so a report stays a few KB whatever the input. */
export const REPORT_ERRORS_BUDGET = 8 * 1024;
/** Longest message of one entry; the values it quotes are already cut short by echo(). */
const ENTRY_MESSAGE_MAX = MESSAGE_MAX;
const EXTERNAL_ID_MAX = 100;
/** Longest first error a summary quotes. */
const SUMMARY_ENTRY_MAX = 600;

/**
 * Collects the error entries of one file within the report's bounds: each entry cut to a short
 * message, and entries beyond MAX_REPORTED_ERRORS or REPORT_ERRORS_BUDGET only counted.
 */
export class ErrorCollector {
  readonly entries: ErrorEntry[] = [];
  more = 0;
  private size = 0;

  add(e: ErrorEntry): void {
    const entry: ErrorEntry = { ...e, message: clipMessage(e.message, ENTRY_MESSAGE_MAX) };
    if (entry.externalId !== undefined && entry.externalId.length > EXTERNAL_ID_MAX) entry.externalId = `${entry.externalId.slice(0, EXTERNAL_ID_MAX)}…`;
    const cost = entry.message.length + (entry.externalId?.length ?? 0) + (entry.field?.length ?? 0) + 60;
    if (this.entries.length >= MAX_REPORTED_ERRORS || (this.entries.length > 0 && this.size + cost > REPORT_ERRORS_BUDGET)) {
      this.more++;
      return;
    }
    this.size += cost;
    this.entries.push(entry);
  }
}

export function describeEntry(e: ErrorEntry): string {
  const where = [e.record !== undefined ? `record ${e.record}` : undefined, e.line !== undefined ? `line ${e.line}` : undefined]
    .filter(Boolean)
    .join(', ');
  const field = e.field ? `${e.field}: ` : '';
  // The external id is in the JSON entry (and `validate --json`); this line keeps the shape
  // `record N, line L: field: message` that people and scripts read.
  return `${where ? `${where}: ` : ''}${field}${e.message}`;
}

/**
 * The report's one-line summary. `whole` means the file itself could not be read (parse, encoding,
 * header): then it says how many records were read before the problem, never "1 of 0 invalid".
 */
export function summarise(file: string, outcome: ErrorReport['outcome'], read: number, invalid: number, errors: ErrorEntry[], more: number, whole = false): string {
  // A one-line summary (status, log lines): the first error, cut in the middle if need be, so that
  // its advice at the end stays.
  const first = errors[0] ? clipMessage(describeEntry(errors[0]), SUMMARY_ENTRY_MAX) : 'unknown error';
  const rest = errors.length - 1 + more;
  const tail = rest > 0 ? ` (+${rest} more error${rest === 1 ? '' : 's'})` : '';
  if (whole) return `${file}: ${first} (${read} record${read === 1 ? '' : 's'} read, nothing imported)`;
  if (read === 0 || invalid === 0) return `${file}: ${first}${tail}`;
  const what = outcome === 'rejected' ? 'nothing imported' : `${read - invalid} valid record${read - invalid === 1 ? '' : 's'} imported`;
  return `${file}: ${invalid} of ${read} records invalid, ${what} — ${first}${tail}`;
}

export function reportHint(outcome: ErrorReport['outcome'], fileId?: number, more = 0): string {
  const retry = `\`wharf retry ${fileId ?? '<file id>'}\``;
  const full = more > 0 ? ` (\`wharf validate <file> --mapping <name>\` lists all ${more} errors left out here)` : '';
  return outcome === 'rejected'
    ? `fix the file (or the mapping) and drop it again, or run ${retry} after fixing the mapping${full}`
    : `the valid records were imported; fix the listed records and drop them again (already imported orders are recognised as duplicates)${full}`;
}

/** How the records of one imported file ended up in the ledger (each record counts in exactly one). */
export interface ImportCounts {
  /** New orders (owed to the warehouse); new or changed products. */
  fresh: number;
  /** Known open orders that came again cancelled (a cancellation is owed). */
  cancellations: number;
  /** Records already in the ledger (nothing sent again). */
  duplicates: number;
  /** Stored, nothing owed: orders cancelled before they were ever sent; stock levels and shipments. */
  stored: number;
  /** Routing's count per outcome (src/pipeline/routing.ts FileRouter.tally), for stock and shipments. */
  tally?: Partial<Record<string, number>>;
}

/**
 * The counts part of the "imported <file>: …" log line, naming every record of the file once:
 * `2 new, 0 cancelled, 0 duplicate, 1 cancelled before it was sent` for orders.
 */
export function describeImport(kind: string, c: ImportCounts): string {
  if (kind === 'order') {
    const unsent = c.stored > 0 ? `, ${c.stored} cancelled before it was sent (stored, nothing to send)` : '';
    return `${c.fresh} new, ${c.cancellations} cancelled, ${c.duplicates} duplicate${unsent}`;
  }
  if (kind === 'product') return `${c.fresh} new or changed, ${c.duplicates} unchanged`;
  const n = (k: string) => c.tally?.[k] ?? 0;
  const plural = (x: number, one: string, many: string) => `${x} ${x === 1 ? one : many}`;
  if (kind === 'stock') {
    const parts = [`${plural(n('stock-updated'), 'stock level', 'stock levels')} updated`, `${n('stock-unchanged')} unchanged`];
    if (n('stock-older') > 0) parts.push(`${n('stock-older')} older than the ledger (kept)`);
    if (n('stock-zeroed') > 0) parts.push(`${plural(n('stock-zeroed'), 'level', 'levels')} not in this full report set to 0`);
    return parts.join(', ');
  }
  if (kind === 'shipment') return `${plural(n('shipment'), 'shipment', 'shipments')}, ${c.duplicates} duplicate`;
  return `${c.stored} stored, ${c.duplicates} duplicate`;
}
