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

/** One-line description of any thrown value, for logs and reports. */
export function describeError(err: unknown): string {
  if (err instanceof WharfError) {
    const where = err.details.where ? ` (${err.details.where})` : '';
    const hint = err.details.hint ? ` — ${err.details.hint}` : '';
    return `${err.message}${where}${hint}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
