import { createReadStream, promises as fs } from 'node:fs';
import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { FileRow, Store } from '../ledger/store.js';
import { processBatch } from '../pipeline/intake.js';
import { intakePolicyOf, type FileChannelEntry } from '../daemon/intake-policy.js';
import { fileBatch } from '../sources/batch.js';
import { quarantinedCopyEnds } from '../sources/quarantine.js';
import type { ReadyFile } from '../pipeline/ports.js';
import { compileRules, mappingFor } from '../sources/pattern.js';
import { print } from './context.js';

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

export async function retryFiles(cfg: LoadedConfig, store: Store, rows: FileRow[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const row of rows) {
    const entry = [...cfg.channels, ...cfg.reportSources].find((c) => c.merchant === row.merchant && c.channel === row.channel);
    if (!entry) {
      print(`${row.id} ${row.name}: channel ${row.merchant}/${row.channel} is no longer in the config; skipped`);
      ok = false;
      continue;
    }
    const local = row.quarantinePath;
    const st = local ? await fs.stat(local).catch(() => undefined) : undefined;
    if (!local || !st) {
      print(`${row.id} ${row.name}: the quarantined copy is gone (${local ?? 'never moved'}); drop the file into the channel again instead`);
      ok = false;
      continue;
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
      await store.markRetried(row.id);
      if (result.status === 'imported' || result.status === 'duplicate') {
        print(`${row.id} ${row.name}: ${result.status} (file ${result.fileId}: ${result.counts ?? `${result.newRecords} new, ${result.cancellations} cancelled, ${result.duplicates} duplicate`})${ends.archivedAs() ? `; archived as ${ends.archivedAs()}` : ''}`);
      } else {
        ok = false;
        print(`${row.id} ${row.name}: still invalid, now file ${result.fileId}: ${result.summary ?? ''}`);
      }
    } catch (err) {
      ok = false;
      print(`${row.id} ${row.name}: retry failed: ${describeError(err)}`);
    }
  }
  return ok;
}
