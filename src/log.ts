import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold secrets anywhere in a log object. pino's redaction is path-based, so the
 * common places are listed; on top of that config objects are never logged whole.
 */
const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'passphrase', '*.passphrase', '*.*.passphrase',
  'privateKey', '*.privateKey', '*.*.privateKey',
  'secret', '*.secret', '*.*.secret', 'clientSecret', '*.clientSecret',
  'token', '*.token', '*.*.token', 'accessToken', '*.accessToken',
  'apiKey', '*.apiKey', 'consumerSecret', '*.consumerSecret', 'consumerKey', '*.consumerKey',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'req.headers.authorization', 'url', // URLs may embed credentials; we log hosts instead
];

export interface LogSettings {
  level?: string;
  /** Force pretty output (default: pretty when stderr is a TTY). */
  pretty?: boolean;
}

export function createLogger(settings: LogSettings = {}): Logger {
  const level = settings.level ?? process.env.WHARF_LOG_LEVEL ?? 'info';
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
