import path from 'node:path';
import type { Logger } from '../log.js';
import type { LoadedConfig } from '../config/load.js';
import type { FileChannelEntry } from './intake-policy.js';
import type { Store } from '../ledger/store.js';
import { FolderSource } from '../sources/folder/source.js';
import { createSftpChannel } from './sftp-channel.js';
import type { FileSource } from '../pipeline/ports.js';
import { ledgerNoticeBoard } from '../sources/notices.js';

export interface OpenChannel {
  /** A merchant's folder/SFTP channel or a warehouse report source. */
  entry: FileChannelEntry;
  source: FileSource;
  /** Milliseconds between full looks when nothing is pending. */
  pollIntervalMs: number;
  close(): Promise<void>;
}

/** Builds the transport of a configured folder/SFTP channel or warehouse report source. */
export function buildChannel(config: LoadedConfig, entry: FileChannelEntry, store: Store, logger: Logger, opts: { watch: boolean }): OpenChannel {
  const c = entry.config;
  if (c.type === 'folder') {
    const scope = `folder:${entry.key}`;
    const seen = { has: (key: string) => store.hasSeen(scope, key), add: (key: string) => store.addSeen(scope, key) };
    const source = new FolderSource({ merchant: entry.merchant, channel: entry.channel, config: c, logger, seen, watch: opts.watch, notices: ledgerNoticeBoard(store, entry.merchant, entry.channel), importedFrom: async (sha256) => {
      const r = await store.importedRecords(entry.merchant, entry.channel, sha256, 20);
      return r && { fileId: r.fileId, recordIds: r.ids, more: r.more };
    } });
    return { entry, source, pollIntervalMs: (c.pollInterval ?? 10) * 1000, close: () => source.close() };
  }
  if (c.type !== 'sftp') throw new Error(`${entry.key}: ${c.type} channels are scheduled jobs, not file sources`);
  const scope = `sftp:${entry.key}`;
  const sftp = createSftpChannel({
    config: c,
    merchant: entry.merchant,
    channel: entry.channel,
    stagingDir: path.join(config.dataDir, 'staging', entry.merchant, entry.channel),
    quarantineDir: entry.quarantineDir,
    logger,
    seen: { has: (key) => store.hasSeen(scope, key), add: (key) => store.addSeen(scope, key), remove: (key) => store.removeSeen(scope, key) },
    notices: ledgerNoticeBoard(store, entry.merchant, entry.channel),
  });
  return { entry, source: sftp.source, pollIntervalMs: sftp.source.pollIntervalMs, close: () => sftp.close() };
}
