import path from 'node:path';
import { assertCron } from '../schedule/cron.js';
import { sftpConfigDefaults } from '../transports/sftp/config.js';
import { configDefaults, type ChannelConfig, type FolderChannelConfig } from './types.js';

/** A channel with its identity and every path made absolute. */
export interface ChannelEntry {
  merchant: string;
  channel: string;
  /** `merchant/channel`, for logs and the ledger. */
  key: string;
  config: ChannelConfig;
  quarantineDir: string;
  onInvalid: 'rejectFile' | 'acceptValid';
  maxFileSize: number;
}

/**
 * The entry of one channel (or report source, merchant `@warehouse`): folder paths made absolute
 * against the config file's folder (`abs`), quarantine folders resolved (inside the inbox for a
 * folder, `<dataDir>/quarantine/<merchant>/<channel>` otherwise), defaults of onInvalid and
 * maxFileSize applied. Throws CONFIG_INVALID (naming the key) on a webshop channel's bad cron schedule.
 */
export function channelEntry(merchant: string, channel: string, c: ChannelConfig, abs: (p: string) => string, dataDir: string): ChannelEntry {
  const base = { merchant, channel, key: `${merchant}/${channel}`, onInvalid: c.onInvalid ?? configDefaults.folder.onInvalid };
  if (c.type === 'folder') {
    const inbox = abs(c.path);
    const config: FolderChannelConfig = {
      ...c,
      path: inbox,
      archiveDir: c.archiveDir ? abs(c.archiveDir) : path.join(inbox, 'archive'),
      quarantineDir: c.quarantineDir ? abs(c.quarantineDir) : path.join(inbox, 'quarantine'),
    };
    return { ...base, config, quarantineDir: config.quarantineDir!, maxFileSize: c.maxFileSize ?? configDefaults.folder.maxFileSize };
  }
  const quarantineDir = c.quarantineDir ? abs(c.quarantineDir) : path.join(dataDir, 'quarantine', merchant, channel);
  if (c.type === 'sftp') {
    return { ...base, config: { ...c, quarantineDir }, quarantineDir, maxFileSize: c.maxFileSize ?? sftpConfigDefaults.maxFileSize };
  }
  for (const job of ['orders', 'products', 'stock', 'shipments'] as const) {
    const expr = c.schedules?.[job];
    if (expr) assertCron(expr, `merchants.${merchant}.channels.${channel}.schedules.${job}`);
  }
  // One bad order must not hold up a whole API page: API channels accept the valid orders by default.
  return { ...base, onInvalid: c.onInvalid ?? configDefaults.api.onInvalid, config: { ...c, quarantineDir }, quarantineDir, maxFileSize: 256 * 1024 * 1024 };
}

