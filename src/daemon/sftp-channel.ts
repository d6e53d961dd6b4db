import { SftpDestination } from '../destinations/sftp/destination.js';
import { resolveSftpSource } from '../transports/sftp/config.js';
import { SftpConnection } from '../transports/sftp/connection.js';
import { SftpSource, type SftpSourceOptions } from '../sources/sftp/source.js';

/**
 * The factory of one SFTP channel: a single connection supervisor shared by the channel's source
 * and by any number of destinations (one per remote directory), closed once by `close()`.
 */
export function createSftpChannel(options: Omit<SftpSourceOptions, 'connection'>) {
  const settings = resolveSftpSource(options.config, `${options.merchant}/${options.channel}`);
  const connection = new SftpConnection({
    settings,
    logger: options.logger,
    channel: options.channel,
    merchant: options.merchant,
    backoff: options.backoff,
  });
  const source = new SftpSource({ ...options, connection });
  return {
    connection,
    source,
    destination: (directory: string) =>
      new SftpDestination({ config: options.config, directory, logger: options.logger, channel: options.channel, merchant: options.merchant, connection }),
    async close() {
      await source.close();
      await connection.close();
    },
  };
}
