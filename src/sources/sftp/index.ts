/**
 * The SFTP source: a FileSource over one merchant's SFTP account, and the operator checks
 * (`test-connection`, `trust-host`). The connection and its config live in src/transports/sftp,
 * shared with the SFTP destination (src/destinations/sftp); src/daemon/sftp-channel.ts wires both.
 */
export { SftpSource, seenKey, type SeenStore, type SftpSourceOptions } from './source.js';
export { fetchHostKeyFingerprint, testSftpConnection, type ConnectionStep } from './operator.js';
