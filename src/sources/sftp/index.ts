/** The SFTP transport: a FileSource, a FileDestination (src/destinations/sftp) and operator checks. */
export { createSftpChannel } from './channel.js';
export { SftpSource, seenKey, type SeenStore, type SftpSourceOptions } from './source.js';
export { SftpConnection, type SftpConnectionOptions } from './connection.js';
export {
  parseSftpConfig,
  resolveSftpConnection,
  resolveSftpSource,
  sftpConfigDefaults,
  SFTP_SCHEMA_FILE,
  type SftpChannelConfig,
  type SftpConnectionConfig,
  type SftpFileRule,
} from './config.js';
export { fetchHostKeyFingerprint, testSftpConnection, type ConnectionStep } from './operator.js';
export { fingerprintOf } from './hostkey.js';
export { SftpDestination, type SftpDestinationOptions } from '../../destinations/sftp/destination.js';
