import type { LoadedConfig } from '../config/load.js';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite.js';

export type { Store } from './store.js';

/** Opens the ledger the config names. */
export async function openStore(ledger: LoadedConfig['ledger']): Promise<Store> {
  if (ledger.driver === 'postgres') {
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.connect(ledger.url);
  }
  return new SqliteStore(ledger.path);
}
