import path from 'node:path';
import { WharfError } from '../../errors.js';
import { formatAjvErrors, validatorFor } from '../../schemas.js';
import { unsafeNameReason, doneSuffixOf } from '../names.js';

/**
 * One SFTP channel as written in the config (after the loader resolved `file:` and `${ENV}`
 * references). Mirrors `schemas/channel-sftp.schema.json` field by field; a test keeps the two
 * (and the defaults below) in step.
 */
export interface SftpChannelConfig {
  type: 'sftp';
  host: string;
  port?: number;
  username: string;
  /** Secret. */
  password?: string;
  /** Secret: PEM/OpenSSH private key text. */
  privateKey?: string;
  /** Secret: passphrase of an encrypted privateKey. */
  passphrase?: string;
  /**
   * Pinned host key fingerprint, `SHA256:<base64>` as `ssh-keygen -lf` prints it. Absent only while a
   * channel is being set up: every connection then fails closed (HOST_KEY_MISMATCH naming the offered key).
   */
  hostKey?: string;
  /** Remote directories to read from. */
  paths: string[];
  /** First matching pattern chooses the mapping; files matching none are left alone. */
  files: SftpFileRule[];
  recursive?: boolean;
  /** Seconds between polls. */
  pollInterval?: number;
  /** Seconds a file must stay unchanged (counted from when Wharf first saw it that way). */
  minAge?: number;
  /** `true` or `{ suffix }`: take a file only when `<name><suffix>` exists next to it. */
  doneFiles?: boolean | { suffix?: string };
  afterImport?: 'archive' | 'delete' | 'keep';
  archiveFolder?: string;
  errorFolder?: string;
  /** Seconds. */
  connectTimeout?: number;
  /** Seconds without progress before an SFTP operation is given up. */
  operationTimeout?: number;
  /** Seconds between SSH keepalives (0 disables). */
  keepaliveInterval?: number;
  maxFilesPerPoll?: number;
  /** Bytes. */
  maxFileSize?: number;
  concurrency?: number;
  /** Pipeline option shared by every channel type: reject the whole file or accept its valid records. */
  onInvalid?: 'rejectFile' | 'acceptValid';
  /** Local quarantine folder (resolved by the config loader). */
  quarantineDir?: string;
}

export interface SftpFileRule {
  pattern: string;
  mapping: string;
}

/** Every default of an SFTP channel, in one place (the schema's `default`s must equal these). */
export const sftpConfigDefaults = {
  port: 22,
  recursive: false,
  pollInterval: 60,
  minAge: 5,
  doneFileSuffix: '.done',
  afterImport: 'archive',
  archiveFolder: 'archive',
  errorFolder: 'error',
  connectTimeout: 20,
  operationTimeout: 60,
  keepaliveInterval: 15,
  maxFilesPerPoll: 500,
  maxFileSize: 1024 * 1024 * 1024,
  concurrency: 4,
  onInvalid: 'rejectFile',
} as const;

/**
 * Every field of SftpChannelConfig, checked by the compiler both ways (`satisfies` plus the exact key
 * type); a test compares it with the schema's properties, so type and schema cannot drift apart.
 */
export const sftpConfigKeys = {
  type: true, host: true, port: true, username: true, password: true, privateKey: true, passphrase: true, hostKey: true,
  paths: true, files: true, recursive: true, pollInterval: true, minAge: true, doneFiles: true, afterImport: true,
  archiveFolder: true, errorFolder: true, connectTimeout: true, operationTimeout: true, keepaliveInterval: true,
  maxFilesPerPoll: true, maxFileSize: true, concurrency: true, onInvalid: true, quarantineDir: true,
} as const satisfies Record<keyof SftpChannelConfig, true>;

/** The connection half of the config, shared by the source and the destination. */
export type SftpConnectionConfig = Pick<
  SftpChannelConfig,
  'host' | 'port' | 'username' | 'password' | 'privateKey' | 'passphrase' | 'hostKey' | 'connectTimeout' | 'operationTimeout' | 'keepaliveInterval' | 'concurrency'
>;

/** Connection settings normalised once: defaults applied, times in milliseconds. */
export interface ResolvedSftpConnection {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** Absent: no server is trusted (see SftpChannelConfig.hostKey). */
  hostKey?: string;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  keepaliveIntervalMs: number;
  concurrency: number;
}

/** Source settings normalised once. */
export interface ResolvedSftpSource extends ResolvedSftpConnection {
  paths: string[];
  files: SftpFileRule[];
  recursive: boolean;
  pollIntervalMs: number;
  minAgeMs: number;
  /** Set when the done-file convention is on. */
  doneSuffix: string | undefined;
  afterImport: 'archive' | 'delete' | 'keep';
  archiveFolder: string;
  errorFolder: string;
  maxFilesPerPoll: number;
  maxFileSize: number;
}

export const SFTP_SCHEMA_FILE = 'channel-sftp.schema.json';

/** Validates a raw channel object against the schema; throws CONFIG_INVALID listing every problem. */
export function parseSftpConfig(raw: unknown, where = 'sftp channel'): SftpChannelConfig {
  const validate = validatorFor(SFTP_SCHEMA_FILE);
  if (!validate(raw)) {
    let problems = formatAjvErrors(validate.errors).map((e) => (e.path ? `${e.path} ${e.message}` : e.message));
    // The anyOf over the credentials reads better as one sentence than as three ajv errors.
    const creds = ['password is required but missing', 'privateKey is required but missing', 'must match a schema in anyOf'];
    if (creds.every((c) => problems.includes(c))) {
      problems = [...problems.filter((p) => !creds.includes(p)), 'a password or a privateKey is required'];
    }
    throw new WharfError('CONFIG_INVALID', `invalid SFTP channel config: ${problems.join('; ')}`, { where });
  }
  return raw as SftpChannelConfig;
}

export function resolveSftpConnection(cfg: SftpConnectionConfig, where = 'sftp channel'): ResolvedSftpConnection {
  const d = sftpConfigDefaults;
  if (!cfg.password && !cfg.privateKey) {
    throw new WharfError('CONFIG_INVALID', 'an SFTP channel needs a password or a privateKey', {
      where,
      field: 'password',
      hint: 'set `password: ${ENV_VAR}` or `privateKey: file:/path/to/key`',
    });
  }
  if (cfg.passphrase && !cfg.privateKey) {
    throw new WharfError('CONFIG_INVALID', 'passphrase is set but privateKey is not', { where, field: 'passphrase', hint: 'remove passphrase or add the privateKey it unlocks' });
  }
  const secs = (v: number | undefined, dflt: number) => Math.round((v ?? dflt) * 1000);
  return {
    host: cfg.host,
    port: cfg.port ?? d.port,
    username: cfg.username,
    password: cfg.password,
    privateKey: cfg.privateKey,
    passphrase: cfg.passphrase,
    hostKey: cfg.hostKey,
    connectTimeoutMs: secs(cfg.connectTimeout, d.connectTimeout),
    operationTimeoutMs: secs(cfg.operationTimeout, d.operationTimeout),
    keepaliveIntervalMs: secs(cfg.keepaliveInterval, d.keepaliveInterval),
    concurrency: cfg.concurrency ?? d.concurrency,
  };
}

export function resolveSftpSource(cfg: SftpChannelConfig, where = 'sftp channel'): ResolvedSftpSource {
  const d = sftpConfigDefaults;
  const archiveFolder = cfg.archiveFolder ?? d.archiveFolder;
  const errorFolder = cfg.errorFolder ?? d.errorFolder;
  for (const [field, value] of [['archiveFolder', archiveFolder], ['errorFolder', errorFolder]] as const) {
    const reason = unsafeNameReason(value);
    if (reason) throw new WharfError('CONFIG_INVALID', `${field} must be a plain folder name: ${reason}`, { where, field });
  }
  if (archiveFolder === errorFolder) {
    throw new WharfError('CONFIG_INVALID', 'archiveFolder and errorFolder must differ', { where, field: 'errorFolder' });
  }
  if (cfg.paths.length === 0) throw new WharfError('CONFIG_INVALID', 'paths must list at least one remote directory', { where, field: 'paths' });
  const paths = [...new Set(cfg.paths.map(normaliseRemoteDir))];
  const doneSuffix = doneSuffixOf(cfg.doneFiles, d.doneFileSuffix);
  return {
    ...resolveSftpConnection(cfg, where),
    paths,
    files: cfg.files,
    recursive: cfg.recursive ?? d.recursive,
    pollIntervalMs: Math.round((cfg.pollInterval ?? d.pollInterval) * 1000),
    minAgeMs: Math.round((cfg.minAge ?? d.minAge) * 1000),
    doneSuffix,
    afterImport: cfg.afterImport ?? d.afterImport,
    archiveFolder,
    errorFolder,
    maxFilesPerPoll: cfg.maxFilesPerPoll ?? d.maxFilesPerPoll,
    maxFileSize: cfg.maxFileSize ?? d.maxFileSize,
  };
}

/** `/in//orders/` -> `/in/orders`; relative paths stay relative (to the login directory). */
export function normaliseRemoteDir(p: string): string {
  const n = path.posix.normalize(p.trim());
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
