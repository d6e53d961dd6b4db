import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { FileRow, Store } from '../ledger/store.js';
import { processBatch } from '../pipeline/intake.js';
import { intakePolicyOf, type FileChannelEntry } from './intake-policy.js';
import { fileBatch } from '../sources/batch.js';
import { quarantinedCopyEnds } from '../sources/quarantine.js';
import type { ReadyFile } from '../pipeline/ports.js';
import { compileRules, mappingFor } from '../sources/pattern.js';

/**
 * Where a retried file goes once imported, like any imported file of its channel: a folder channel's
 * `archiveDir/<day>/` (or nowhere with `afterImport: delete`); an SFTP or webshop channel, whose
 * original stays on the server, `<dataDir>/archive/<merchant>/<channel>/<day>/`.
 */
export function retryArchiveDir(cfg: LoadedConfig, entry: FileChannelEntry): string | undefined {
  const c = entry.config;
  if (c.type === 'folder') return (c.afterImport ?? 'archive') === 'delete' ? undefined : c.archiveDir!;
  return path.join(cfg.dataDir, 'archive', entry.merchant, entry.channel);
}

/** What one retry of a quarantined file came to (see retryQuarantined). */
export interface RetryOutcome {
  /** True when the file was imported (or found to be a duplicate of an imported one). */
  ok: boolean;
  /**
   * `imported`/`duplicate`: done; `quarantined`/`partial`: still invalid, under a new file id;
   * `skipped`: not run (channel gone from the config, quarantined copy gone); `failed`: the retry
   * itself failed (ledger, disk) and the file stays quarantined as it was.
   */
  status: 'imported' | 'duplicate' | 'quarantined' | 'partial' | 'skipped' | 'failed';
  /** The file row the retry made, when it ran. */
  fileId?: number;
  /** Whether the import produced deliveries (new orders or cancellations) to send now. */
  delivers: boolean;
  /** One line for people: `<id> <name>: …` as `wharf retry` prints it. */
  message: string;
}

/**
 * Re-runs one quarantined file (`row`, from Store.listQuarantined) through intake from its quarantined
 * copy, with the mapping its channel's rules choose now (after the mapping or file was fixed): imported
 * means archived like any file of its channel and its report removed; still invalid means its report is
 * rewritten next to the same copy under a new file id. The old row is marked retried once the retry
 * ran. Never throws: every outcome is in the result.
 */
export async function retryQuarantined(cfg: LoadedConfig, store: Store, row: FileRow, logger: Logger): Promise<RetryOutcome> {
  const entry = [...cfg.channels, ...cfg.reportSources].find((c) => c.merchant === row.merchant && c.channel === row.channel);
  if (!entry) return { ok: false, status: 'skipped', delivers: false, message: `${row.id} ${row.name}: channel ${row.merchant}/${row.channel} is no longer in the config; skipped` };
  const local = row.quarantinePath;
  const st = local ? await fs.stat(local).catch(() => undefined) : undefined;
  if (!local || !st) {
    return { ok: false, status: 'skipped', delivers: false, message: `${row.id} ${row.name}: the quarantined copy is gone (${local ?? 'never moved'}); drop the file into the channel again instead` };
  }
  // The quarantined copy itself is the batch: imported means archived (see retryArchiveDir) and its
  // report removed; quarantined again means the report is rewritten in place next to the same copy.
  const ends = quarantinedCopyEnds(local, row.name, retryArchiveDir(cfg, entry));
  const file: ReadyFile = {
    merchant: row.merchant, channel: row.channel, name: row.name, origin: local, size: st.size, mtimeMs: st.mtimeMs,
    // The mapping the file was read with, unless the channel's rules now choose another.
    mapping: ('files' in entry.config ? mappingFor(compileRules(entry.config.files), row.name) : undefined) ?? row.mapping,
    localPath: local,
    open: () => createReadStream(local),
  };
  try {
    const result = await processBatch(fileBatch(file, entry.config.type, ends), intakePolicyOf(cfg, entry), { store, mappingsDir: cfg.mappingsDir, logger });
    await store.markRetried(row.id, result.fileId);
    const delivers = result.newRecords > 0 || result.cancellations > 0;
    if (result.status === 'imported' || result.status === 'duplicate') {
      return {
        ok: true, status: result.status, fileId: result.fileId, delivers,
        message: `${row.id} ${row.name}: ${result.status} (file ${result.fileId}: ${result.counts ?? `${result.newRecords} new, ${result.cancellations} cancelled, ${result.duplicates} duplicate`})${ends.archivedAs() ? `; archived as ${ends.archivedAs()}` : ''}`,
      };
    }
    return { ok: false, status: result.status, fileId: result.fileId, delivers, message: `${row.id} ${row.name}: still invalid, now file ${result.fileId}: ${result.summary ?? ''}` };
  } catch (err) {
    return { ok: false, status: 'failed', delivers: false, message: `${row.id} ${row.name}: retry failed: ${describeError(err)}` };
  }
}
