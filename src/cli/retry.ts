import { createReadStream, promises as fs } from 'node:fs';
import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import path from 'node:path';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import { archive } from '../sources/folder/source.js';
import type { FileRow, Store } from '../ledger/store.js';
import { processFile } from '../pipeline/intake.js';
import { writeFileAtomic } from '../transports/folder/atomic.js';
import type { FileSource, ReadyFile, Settlement, SettleResult } from '../pipeline/ports.js';
import { compileRules, mappingFor } from '../sources/pattern.js';
import { print } from './context.js';

/**
 * Where a retried file goes once imported, like any imported file of its channel: a folder channel's
 * `archiveDir/<day>/` (or nowhere with `afterImport: delete`); an SFTP or webshop channel, whose
 * original stays on the server, `<dataDir>/archive/<merchant>/<channel>/<day>/`.
 */
export function retryArchiveDir(cfg: LoadedConfig, entry: ChannelEntry): string | undefined {
  const c = entry.config;
  if (c.type === 'folder') return (c.afterImport ?? 'archive') === 'delete' ? undefined : c.archiveDir!;
  return path.join(cfg.dataDir, 'archive', entry.merchant, entry.channel);
}

/**
 * The source of a retry: the quarantined copy itself. Imported means done: the copy is archived (see
 * retryArchiveDir) and its report removed; quarantined again means the report is rewritten in place
 * next to the same copy.
 */
class QuarantineSource implements FileSource {
  readonly kind: string;
  readonly pending = 0;
  /** Where the imported copy went, once settled. */
  archivedAs: string | undefined;
  constructor(readonly merchant: string, readonly channel: string, kind: string, private readonly archiveDir: string | undefined) {
    this.kind = kind;
  }
  async open(): Promise<void> {}
  async poll(): Promise<ReadyFile[]> {
    return [];
  }
  async settle(file: ReadyFile, s: Settlement): Promise<SettleResult> {
    const reportPath = `${file.localPath}.errors.json`;
    if (s.outcome === 'quarantined') {
      await writeFileAtomic(reportPath, Buffer.from(s.reportJson));
      return { movedTo: file.localPath, reportPath };
    }
    const movedTo = this.archiveDir ? await archive(this.archiveDir, file.localPath, file.name) : undefined;
    if (!movedTo) await fs.rm(file.localPath, { force: true });
    this.archivedAs = movedTo;
    await fs.rm(reportPath, { force: true });
    return movedTo ? { movedTo } : {};
  }
  async release(): Promise<void> {}
  async close(): Promise<void> {}
}

export async function retryFiles(cfg: LoadedConfig, store: Store, rows: FileRow[], logger: Logger): Promise<boolean> {
  let ok = true;
  for (const row of rows) {
    const entry = cfg.channels.find((c) => c.merchant === row.merchant && c.channel === row.channel);
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
    const source = new QuarantineSource(row.merchant, row.channel, entry.config.type, retryArchiveDir(cfg, entry));
    const file: ReadyFile = {
      merchant: row.merchant, channel: row.channel, name: row.name, origin: local, size: st.size, mtimeMs: st.mtimeMs,
      // The mapping the file was read with, unless the channel's rules now choose another.
      mapping: ('files' in entry.config ? mappingFor(compileRules(entry.config.files), row.name) : undefined) ?? row.mapping,
      localPath: local,
      open: () => createReadStream(local),
    };
    try {
      const result = await processFile(file, source, { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize }, { store, mappingsDir: cfg.mappingsDir, logger });
      await store.markRetried(row.id);
      if (result.status === 'imported' || result.status === 'duplicate') {
        print(`${row.id} ${row.name}: ${result.status} (file ${result.fileId}: ${result.counts ?? `${result.newRecords} new, ${result.cancellations} cancelled, ${result.duplicates} duplicate`})${source.archivedAs ? `; archived as ${source.archivedAs}` : ''}`);
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
