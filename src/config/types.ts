import type { SftpChannelConfig, SftpConnectionConfig } from '../transports/sftp/config.js';

/** Settings every webshop channel shares (schema fields of the same names). */
export interface CommonChannelConfig {
  /** ISO date or date-time: the first import takes orders modified from here on. */
  startDate?: string;
  schedules?: { orders?: string; products?: string };
  /** Seconds subtracted from the cursor on every pull (late writes, clock skew). */
  overlap?: number;
  /** Seconds before one HTTP attempt is given up. */
  requestTimeout?: number;
  rateLimit?: { requestsPerSecond?: number; burst?: number };
  mappings?: { orders?: string; products?: string };
  /** Replaces the platform's API address (tests, proxies). */
  baseUrl?: string;
  /** Pipeline policy for a page with invalid records (the gateway's, not the connector's). */
  onInvalid?: 'rejectFile' | 'acceptValid';
  /** Local quarantine folder for such pages (resolved by the config loader). */
  quarantineDir?: string;
}

/**
 * The config as written in wharf.yaml (after `${ENV}`/`file:` references are resolved). These types
 * mirror schemas/config.schema.json and schemas/channel-*.schema.json; test/config keeps the key
 * lists below and the schemas in step, so the two cannot drift apart silently.
 */
export interface WharfConfig {
  $schema?: string;
  ledger?: { driver?: 'sqlite' | 'postgres'; path?: string; url?: string };
  mappings?: string;
  dataDir?: string;
  log?: { level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  delivery?: { interval?: number; maxBackoff?: number };
  /** Seconds `run` takes at most to stop after a signal. */
  shutdownTimeout?: number;
  schedule?: { timezone?: string };
  warehouse: { orders: OrderDestinationConfig; products?: { path?: string; mapping?: string } };
  merchants: Record<string, MerchantConfig>;
}

export interface MerchantConfig {
  name?: string;
  channels: Record<string, ChannelConfig>;
}

export type ChannelConfig = FolderChannelConfig | SftpChannelConfig | ApiChannelConfig;

/** The webshop/marketplace platforms (one connector each in src/connectors/). */
export type ApiChannelType = 'woocommerce' | 'shopify' | 'lightspeed' | 'bol' | 'retailcrm';

/**
 * A webshop/marketplace channel: the fields every platform shares; each platform's own fields are
 * checked by its schema (schemas/channel-<platform>.schema.json) and typed in its connector folder.
 */
export interface ApiChannelConfig extends CommonChannelConfig {
  type: ApiChannelType;
}

export interface FileRule {
  pattern: string;
  mapping: string;
}

export interface FolderChannelConfig {
  type: 'folder';
  path: string;
  files: FileRule[];
  create?: boolean;
  afterImport?: 'archive' | 'delete' | 'keep';
  archiveDir?: string;
  quarantineDir?: string;
  onInvalid?: 'rejectFile' | 'acceptValid';
  minAge?: number;
  pollInterval?: number;
  watch?: boolean;
  doneFiles?: boolean | { suffix?: string };
  maxFilesPerPoll?: number;
  maxFileSize?: number;
}

export const folderConfigKeys = {
  type: true, path: true, files: true, create: true, afterImport: true, archiveDir: true, quarantineDir: true, onInvalid: true,
  minAge: true, pollInterval: true, watch: true, doneFiles: true, maxFilesPerPoll: true, maxFileSize: true,
} as const satisfies Record<keyof FolderChannelConfig, true>;

export interface OrderDestinationConfig {
  type?: 'folder' | 'sftp';
  /** Connection for type sftp. */
  sftp?: SftpConnectionConfig;
  path: string;
  mapping?: string;
  batch?: 'order' | 'file';
}

/** Every default of the top level, in one place (the schema's `default`s say the same). */
export const configDefaults = {
  ledger: { driver: 'sqlite', path: '../var/wharf.sqlite' },
  mappings: '../mappings',
  dataDir: '../var',
  logLevel: 'info',
  delivery: { interval: 5, maxBackoff: 600 },
  shutdownTimeout: 10,
  folder: {
    afterImport: 'archive',
    onInvalid: 'rejectFile',
    minAge: 2,
    pollInterval: 10,
    watch: true,
    doneFileSuffix: '.done',
    maxFilesPerPoll: 500,
    maxFileSize: 1024 * 1024 * 1024,
  },
} as const;
