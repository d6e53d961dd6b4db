import { CommanderError } from 'commander';
import { WharfError, describeError, type ErrorCode } from '../errors.js';

/**
 * Exit codes, one rule for every verb (README "Command line"):
 * 0 success; 1 the input or the check failed (an invalid file, a failed connection, a retry that
 * failed again); 2 a usage or config error (unknown option or channel, missing argument, invalid
 * config, missing mapping, unusable ledger).
 */
export const EXIT = { ok: 0, failed: 1, setup: 2 } as const;

/** A verb's outcome with its exit code and the message for stderr (empty: nothing to add). */
export class CliExit extends Error {
  constructor(readonly exitCode: number, message = '') {
    super(message);
  }
}

/** Error codes that mean "the input or the remote end failed", not "Wharf was set up or called wrong". */
const FAILED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PARSE_FAILED', 'FILE_TOO_LARGE', 'FILE_EMPTY', 'ENCODING_INVALID', 'UNSAFE_NAME', 'RECORD_INVALID',
  'DELIVERY_CONFLICT', 'CHANNEL_BUSY', 'TRANSPORT_FAILED', 'HOST_KEY_MISMATCH', 'AUTH_FAILED',
]);

/**
 * The one place that turns a thrown value into an exit code and a stderr message.
 * CliExit: as given. CommanderError: help and --version 0, every other (unknown option, missing
 * argument or mandatory option) 2 — commander itself would exit 1. WharfError: 1 for the codes in
 * FAILED, 2 for the rest (CONFIG_*, MAPPING_*, USAGE, NOT_FOUND, LEDGER_FAILED). Anything else is an
 * unexpected error: 2, so that a script never takes it for an ordinary "invalid".
 */
export function exitFor(err: unknown): { code: number; message: string } {
  if (err instanceof CliExit) return { code: err.exitCode, message: err.message };
  if (err instanceof CommanderError) {
    // commander has already printed its message (and the help after an error).
    return { code: err.exitCode === 0 ? EXIT.ok : EXIT.setup, message: '' };
  }
  if (err instanceof WharfError) {
    const where = err.details.where ? `${err.details.where}: ` : '';
    const hint = err.details.hint ? `\n  hint: ${err.details.hint}` : '';
    return { code: FAILED.has(err.code) ? EXIT.failed : EXIT.setup, message: `wharf: ${where}${err.message}${hint}` };
  }
  return { code: EXIT.setup, message: `wharf: ${describeError(err)}` };
}

/** A usage error (exit 2) with a message. */
export function usage(message: string, hint?: string): WharfError {
  return new WharfError('USAGE', message, hint ? { hint } : {});
}
