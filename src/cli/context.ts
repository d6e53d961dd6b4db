import { createLogger, type Logger } from '../log.js';
import { WharfError, describeError } from '../errors.js';
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

/** The config; a problem is a CONFIG_* WharfError (exit 2 in exit.ts). */
export function config(opts: GlobalOptions): LoadedConfig {
  return loadConfig(configPathFrom(opts.config));
}

/** The ledger; any failure to open it is LEDGER_FAILED (exit 2 in exit.ts). */
export async function store(cfg: LoadedConfig): Promise<Store> {
  try {
    return await openStore(cfg.ledger);
  } catch (err) {
    if (err instanceof WharfError) throw err;
    throw new WharfError('LEDGER_FAILED', `cannot open the ${cfg.ledger.driver} ledger: ${describeError(err)}`, {
      where: cfg.ledger.driver === 'sqlite' ? cfg.ledger.path : 'ledger.url',
      hint: 'check ledger.path / ledger.url in the config and that the database is reachable',
    }, { cause: err });
  }
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}
