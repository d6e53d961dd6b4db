import type { Logger } from '../log.js';
import type { LoadedConfig } from '../config/load.js';
import type { FileRow, Store } from '../ledger/store.js';
import { retryQuarantined } from '../daemon/retry.js';
import { print } from './context.js';

export { retryArchiveDir } from '../daemon/retry.js';

/** `wharf retry` for files: each row through retryQuarantined, its outcome printed; true when all were imported. */
export async function retryFiles(cfg: LoadedConfig, store: Store, rows: FileRow[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const row of rows) {
    const r = await retryQuarantined(cfg, store, row, logger);
    print(r.message);
    ok = r.ok && ok;
  }
  return ok;
}
