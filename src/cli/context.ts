import { createLogger, type Logger } from '../log.js';
import { WharfError, describeError } from '../errors.js';
import { CliExit, EXIT } from './exit.js';
import { configPathFrom, loadConfig, type LoadedConfig } from '../config/load.js';
import { openStore, type Store } from '../ledger/index.js';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

export { CliExit, EXIT } from './exit.js';

export function cliLogger(opts: GlobalOptions, level?: string): Logger {
  return createLogger({ level: opts.verbose ? 'debug' : (level ?? 'info') });
}

export function config(opts: GlobalOptions): LoadedConfig {
  try {
    return loadConfig(configPathFrom(opts.config));
  } catch (err) {
    throw setupError(err);
  }
}

export async function store(cfg: LoadedConfig): Promise<Store> {
  try {
    return await openStore(cfg.ledger);
  } catch (err) {
    throw setupError(err);
  }
}

function setupError(err: unknown): CliExit {
  const where = err instanceof WharfError && err.details.where ? `${err.details.where}: ` : '';
  const hint = err instanceof WharfError && err.details.hint ? `\n  hint: ${err.details.hint}` : '';
  const msg = err instanceof WharfError ? `${where}${err.message}${hint}` : describeError(err);
  return new CliExit(EXIT.setup, `wharf: ${msg}`);
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}
