import { pino, type Logger, type LoggerOptions } from 'pino';
import { MESSAGE_MAX, clipMessage } from './errors.js';
import { allSecretFieldNames } from './config/schema-facts.js';

export type { Logger };

/**
 * Paths that may hold secrets anywhere in a log object. pino's redaction is path-based, so each name
 * is listed at the top and two levels down: every field a config schema marks `"x-secret"` (read from
 * schemas/, so a new secret field is redacted without a change here), and the names HTTP code uses.
 * On top of that config objects are never logged whole.
 */
const SECRET_NAMES = [...new Set([...allSecretFieldNames(), 'secret', 'token', 'authorization'])];
export const REDACT_PATHS: readonly string[] = [...new Set([
  ...SECRET_NAMES.flatMap((n) => [n, `*.${n}`, `*.*.${n}`]),
  'headers.authorization', '*.headers.authorization', 'req.headers.authorization',
  'url', // URLs may embed credentials; we log hosts instead
])];

export interface LogSettings {
  level?: string;
  /** Force pretty output (default: pretty when stderr is a TTY). */
  pretty?: boolean;
}

/**
 * Cuts every long string in a log object (to MESSAGE_MAX characters, a few levels deep): no log line
 * grows with the input, whatever a message or field quotes. Objects without long strings are
 * returned as they are (no copy).
 */
export function boundLogObject(obj: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    let bounded: unknown = v;
    if (typeof v === 'string') {
      if (v.length > MESSAGE_MAX) bounded = clipMessage(v);
    } else if (v !== null && typeof v === 'object' && depth < 3 && !Array.isArray(v)) {
      bounded = boundLogObject(v as Record<string, unknown>, depth + 1);
    }
    if (bounded !== v) (out ??= { ...obj })[key] = bounded;
  }
  return out ?? obj;
}

/** pino options that keep every log line bounded: long fields and messages are cut. */
export function boundedLogOptions(): Pick<LoggerOptions, 'formatters' | 'hooks'> {
  return {
    formatters: { log: (obj) => boundLogObject(obj) },
    hooks: {
      // The message (and printf-style arguments) are cut too.
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          if (typeof a === 'string' && a.length > MESSAGE_MAX) (args as unknown[])[i] = clipMessage(a);
        }
        return method.apply(this, args);
      },
    },
  };
}

export function createLogger(settings: LogSettings = {}): Logger {
  const level = settings.level ?? process.env.WHARF_LOG_LEVEL ?? 'info';
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    ...boundedLogOptions(),
  };
  const pretty = settings.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
