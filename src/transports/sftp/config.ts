import path from 'node:path';
import { WharfError } from '../../errors.js';
import { formatAjvErrors, validatorFor } from '../../schemas.js';
import { unsafeNameReason, doneSuffixOf } from '../names.js';
import type { SftpChannelConfig } from '../../config/generated/config.js';
import { schemaDefaults, schemaValue } from '../../config/schema-facts.js';

/**
 * One SFTP channel as written in the config (after the loader resolved `file:` and `${ENV}`
 * references): generated from `schemas/channel-sftp.schema.json` (`npm run schemas:types`).
 */
export type { SftpChannelConfig };

/** One `files` rule of an SFTP channel. */
export type SftpFileRule = SftpChannelConfig['files'][number];

export const SFTP_SCHEMA_FILE = 'channel-sftp.schema.json';

/** Every default of an SFTP channel, read from the schema's `default`s. */
export const sftpConfigDefaults = {
  ...schemaDefaults<SftpChannelConfig>(SFTP_SCHEMA_FILE),
  doneFileSuffix: schemaValue<string>(SFTP_SCHEMA_FILE, '/properties/doneFiles/oneOf/1/properties/suffix/default'),
};

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
