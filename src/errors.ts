/**
 * Every error Wharf raises on purpose is a WharfError with a stable code and a `retryable` flag.
 * That flag alone decides between retry-with-back-off (transport trouble) and quarantine (bad content).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_SECRET'
  | 'MAPPING_INVALID'
  | 'MAPPING_NOT_FOUND'
  | 'PARSE_FAILED'
  | 'FILE_TOO_LARGE'
  | 'FILE_EMPTY'
  | 'ENCODING_INVALID'
  | 'UNSAFE_NAME'
  | 'RECORD_INVALID'
  | 'LEDGER_FAILED'
  | 'DELIVERY_CONFLICT'
  /** Another process runs this channel's job right now (its ledger lease): try again later. */
  | 'CHANNEL_BUSY'
  | 'TRANSPORT_FAILED'
  | 'HOST_KEY_MISMATCH'
  | 'AUTH_FAILED'
  | 'NOT_FOUND'
  | 'FILE_CHANGED'
  | 'USAGE';

export interface ErrorDetails {
  /** Where the problem is: a file, key path, mapping field, remote path. */
  where?: string;
  /** 1-based line in the input file, when known. */
  line?: number;
  /** 1-based record number in the input file, when known. */
  record?: number;
  /** Canonical (or config) field path, e.g. `lines[0].quantity`. */
  field?: string;
  /** How to fix it, in plain words. */
  hint?: string;
}

export class WharfError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WharfError';
    this.code = code;
    this.retryable = options.retryable ?? (code === 'TRANSPORT_FAILED');
    this.details = details;
  }
}

/** A problem with the content of an input file: never retried, always quarantined. */
export class ContentError extends WharfError {
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, cause?: unknown) {
    super(code, message, details, { retryable: false, cause });
    this.name = 'ContentError';
  }
}

/** A network/remote failure: retried with back-off, never quarantined. */
export class TransportError extends WharfError {
  constructor(message: string, details: ErrorDetails = {}, cause?: unknown, code: ErrorCode = 'TRANSPORT_FAILED') {
    super(code, message, details, { retryable: true, cause });
    this.name = 'TransportError';
  }
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof WharfError) return err.retryable;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EPIPE' || code === 'EAI_AGAIN';
}

/** One-line description of any thrown value, for logs and reports (at most MESSAGE_MAX characters). */
export function describeError(err: unknown): string {
  if (err instanceof WharfError) {
    // The advice is Wharf's own text and stays whole; only the message part (which quotes the input,
    // already cut by echo()) gives way when the whole would be too long.
    const where = err.details.where ? ` (${clipMessage(err.details.where, 200)})` : '';
    const hint = err.details.hint ? ` — ${clipMessage(err.details.hint, HINT_MAX)}` : '';
    return `${clipMessage(err.message, MESSAGE_MAX - where.length - hint.length)}${where}${hint}`;
  }
  if (err instanceof Error) return clipMessage(err.message);
  return clipMessage(String(err));
}

/** Longest prefix of an echoed value (in characters) that messages, reports and logs quote. */
export const ECHO_MAX = 40;
/** Longest message (in characters) a report entry or a log line carries, whatever it quotes. */
export const MESSAGE_MAX = 1000;
/** Longest hint (advice) describeError() appends to a message. */
const HINT_MAX = 400;
/** How many values a message lists before it says "and N more". */
export const LIST_MAX = 5;

/**
 * Quotes a value from an input file for a message, cut to a short prefix: `"Jan de Vries"`, or
 * `"aaaaaaaa…" (20971520 characters)` when longer than `max` characters. The one helper every
 * message, report and log line uses to echo input, so no report or log line grows with the input.
 * Non-strings are shown as JSON (numbers, booleans, null) or by their type.
 */
export function echo(value: unknown, max = ECHO_MAX): string {
  if (typeof value === 'string') {
    if (value.length <= max) return JSON.stringify(value);
    // Do not cut a surrogate pair in half.
    let end = max;
    const c = value.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
    return `${JSON.stringify(value.slice(0, end)).slice(0, -1)}…" (${value.length} characters)`;
  }
  if (value === undefined) return 'nothing';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/**
 * Cuts the values a library's message quotes ('…' or "…", e.g. fast-xml-parser's tag names, csv-parse's
 * cell values) to echo()'s short prefix, leaving the library's own words whole.
 */
export function cutQuoted(message: string, max = ECHO_MAX): string {
  return message.replace(/'([^'\n]*)'|"([^"\n]*)"/g, (m, single: string | undefined, double: string | undefined) => {
    const v = single ?? double ?? '';
    if (v.length <= max) return m;
    const cut = echo(v, max);
    return single !== undefined ? `'${cut.slice(1).replace(/"( \(\d+ characters\))$/, "'$1")}` : cut;
  });
}

/**
 * Quotes a list of values from the input with echo(), at most `max` of them: `"a", "b", "c" and 12
 * more` (all of them, comma-separated, when there are no more than `max`). Messages list columns, cells or names this way so that they stay short whatever the input.
 */
export function echoList(values: readonly unknown[], max = LIST_MAX): string {
  const shown = values.slice(0, max).map((v) => echo(v)).join(', ');
  return values.length <= max ? shown : `${shown} and ${values.length - max} more`;
}

/**
 * Cuts a whole message to about `max` characters (a last guard: values inside should already be
 * echoed, lists bounded with echoList). The middle gives way, so that both the start (what is wrong)
 * and the end (Wharf's advice, which messages put last) stay readable.
 */
export function clipMessage(text: string, max = MESSAGE_MAX): string {
  if (text.length <= max) return text;
  const keep = Math.max(max - 40, 20);
  let head = Math.ceil(keep * 0.6);
  let tail = keep - head;
  // Never cut a surrogate pair in half.
  const h = text.charCodeAt(head - 1);
  if (h >= 0xd800 && h <= 0xdbff) head--;
  const t = text.charCodeAt(text.length - tail);
  if (t >= 0xdc00 && t <= 0xdfff) tail--;
  return `${text.slice(0, head)}… (${text.length - head - tail} of ${text.length} characters cut) …${text.slice(text.length - tail)}`;
}
