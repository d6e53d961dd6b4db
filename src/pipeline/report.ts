/** The quarantine report written next to a bad file as `<name>.errors.json`. */
export interface ErrorEntry {
  /** 1-based record number in the file (absent for whole-file errors before the first record). */
  record?: number;
  line?: number;
  externalId?: string;
  /** Canonical field path, e.g. `lines[0].quantity` (absent for whole-file errors). */
  field?: string;
  message: string;
}

export interface ErrorReport {
  file: string;
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

export function describeEntry(e: ErrorEntry): string {
  const where = [e.record !== undefined ? `record ${e.record}` : undefined, e.line !== undefined ? `line ${e.line}` : undefined]
    .filter(Boolean)
    .join(', ');
  const field = e.field ? `${e.field}: ` : '';
  return `${where ? `${where}: ` : ''}${field}${e.message}`;
}

export function summarise(file: string, outcome: ErrorReport['outcome'], read: number, invalid: number, errors: ErrorEntry[], more: number): string {
  const first = errors[0] ? describeEntry(errors[0]) : 'unknown error';
  const rest = errors.length - 1 + more;
  const tail = rest > 0 ? ` (+${rest} more error${rest === 1 ? '' : 's'})` : '';
  if (read === 0 || invalid === 0) return `${file}: ${first}${tail}`;
  const what = outcome === 'rejected' ? 'nothing imported' : `${read - invalid} valid record${read - invalid === 1 ? '' : 's'} imported`;
  return `${file}: ${invalid} of ${read} records invalid, ${what} — ${first}${tail}`;
}

export function reportHint(outcome: ErrorReport['outcome']): string {
  return outcome === 'rejected'
    ? 'fix the file (or the mapping) and drop it again, or run `wharf retry <file id>` after fixing the mapping'
    : 'the valid records were imported; fix the listed records and drop them again (already imported orders are recognised as duplicates)';
}
