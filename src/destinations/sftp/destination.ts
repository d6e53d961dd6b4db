import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { WharfError, describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { assertSafeName, isStaleTempName, tempNameFor } from '../../transports/names.js';
import type { FileDestination } from '../../pipeline/ports.js';
import { normaliseRemoteDir, resolveSftpConnection, type SftpConnectionConfig } from '../../transports/sftp/config.js';
import { SftpConnection } from '../../transports/sftp/connection.js';

export interface SftpDestinationOptions {
  /** Connection fields of the channel (an SftpChannelConfig works as is). */
  config: SftpConnectionConfig;
  /** Remote directory the files go into (created if missing). */
  directory: string;
  logger: Logger;
  channel?: string;
  merchant?: string;
  /** Share the channel's connection with its source; a passed connection is not closed by `close()`. */
  connection?: SftpConnection;
  backoff?: { initialMs?: number; maxMs?: number };
}

/**
 * Delivers files to an SFTP directory atomically: the bytes go to `.<name>.<random>.tmp` (a dot-name
 * that readers ignore), are fsynced where the server offers `fsync@openssh.com`, and are renamed into
 * place with `posix-rename@openssh.com`. A reader polling the directory sees no file or the whole file.
 * Unlike Redpanda Connect's SFTP writer we never truncate and rewrite the final name.
 */
export class SftpDestination implements FileDestination {
  readonly kind = 'sftp';
  readonly describe: string;
  readonly directory: string;
  readonly connection: SftpConnection;
  private readonly ownsConnection: boolean;
  private readonly logger: Logger;
  private warnedNoPosixRename = false;
  private swept: Promise<void> | undefined;

  constructor(options: SftpDestinationOptions) {
    const settings = resolveSftpConnection(options.config, options.channel ?? 'sftp destination');
    this.directory = normaliseRemoteDir(options.directory);
    this.describe = `sftp://${settings.username}@${settings.host}:${settings.port}${this.directory.startsWith('/') ? '' : '/'}${this.directory}`;
    this.logger = options.logger.child({ destination: 'sftp', channel: options.channel, merchant: options.merchant, directory: this.directory });
    this.ownsConnection = !options.connection;
    this.connection =
      options.connection ?? new SftpConnection({ settings, logger: options.logger, channel: options.channel, merchant: options.merchant, backoff: options.backoff });
  }

  async open(): Promise<void> {
    this.swept = undefined;
    await this.connection.connect();
  }

  /**
   * Removes Wharf's own stale temporary files from the directory (isStaleTempName: left by a killed
   * process of this host, or older than a day), once per open() before the first write. Other names
   * are never touched. A failure is logged and never fails the write.
   */
  private sweep(): Promise<void> {
    this.swept ??= (async () => {
      const entries = await this.connection.readdir(this.directory).catch(() => []);
      for (const e of entries) {
        const mtimeMs = (e.attrs.mtime ?? 0) * 1000;
        if (!e.attrs.isFile() || !isStaleTempName(e.filename, mtimeMs)) continue;
        await this.connection.unlinkIfExists(path.posix.join(this.directory, e.filename));
        this.logger.info({ file: e.filename }, `${this.describe}: removed ${e.filename}, a temporary file a stopped Wharf process left behind`);
      }
    })().catch((err: unknown) => {
      this.logger.warn({ err: describeError(err) }, `${this.describe}: could not look for stale temporary files: ${describeError(err)}`);
    });
    return this.swept;
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  async write(name: string, data: Buffer): Promise<'written' | 'unchanged'> {
    assertSafeName(name, this.describe);
    await this.sweep();
    const target = path.posix.join(this.directory, name);
    const existing = await this.connection.statIfExists(target);
    if (existing) return this.compare(target, name, existing.size, data);

    await this.connection.mkdirp(this.directory);
    const tmp = path.posix.join(this.directory, tempNameFor(name, randomBytes(4).toString('hex')));
    let placed = false;
    try {
      await this.connection.writeNewFile(tmp, data);
      // posix-rename replaces a target, so look once more right before it (another writer, a
      // re-delivery racing us); the window left is one round trip.
      const raced = await this.connection.statIfExists(target);
      if (raced) return await this.compare(target, name, raced.size, data);
      if (await this.connection.posixRename(tmp, target)) {
        placed = true;
      } else {
        if (!this.warnedNoPosixRename) {
          this.warnedNoPosixRename = true;
          this.logger.warn('sftp server lacks posix-rename@openssh.com; using plain rename (still atomic on most servers, but it fails instead of replacing)');
        }
        try {
          await this.connection.rename(tmp, target);
          placed = true;
        } catch (err) {
          const now = await this.connection.statIfExists(target);
          if (now) return await this.compare(target, name, now.size, data);
          throw err;
        }
      }
    } finally {
      if (!placed) await this.connection.unlinkIfExists(tmp).catch(() => undefined);
    }
    this.logger.debug({ file: target, bytes: data.length }, 'sftp file delivered');
    return 'written';
  }

  private async compare(target: string, name: string, size: number, data: Buffer): Promise<'unchanged'> {
    if (size === data.length && (await this.connection.readFile(target)).equals(data)) return 'unchanged';
    throw new WharfError('DELIVERY_CONFLICT', `a different file named ${name} already exists on the SFTP server`, {
      where: `${this.describe}/${name}`,
      hint: 'the receiver has not picked up (or has changed) an earlier file of that name; move it away on the server, then `wharf retry`',
    });
  }
}
