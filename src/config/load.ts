import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { WharfError } from '../errors.js';
import { isTimeZone } from '../time-zone.js';
import { formatAjvErrors, validatorFor } from '../schemas.js';
import { requireSecretReferences, resolveReferences } from './secrets.js';
import { assertCron } from '../schedule/cron.js';
import { configDefaults, type WharfConfig } from './types.js';
import { channelEntry, type ChannelEntry } from './entries.js';
import { exportEntries, reportSourceEntries, type ExportEntry, type ReportSourceEntry } from './return-flow.js';
import { httpSettingsOf, type HttpSettings } from './http.js';
import { retentionOf, type Retention } from '../ledger/retention.js';
import { sftpConfigDefaults, type SftpConnectionConfig } from '../transports/sftp/config.js';

export const DEFAULT_CONFIG_PATH = 'config/wharf.yaml';

export type { ChannelEntry } from './entries.js';
export type { ExportDestination, ExportEntry, ReportSourceEntry, ResolvedStockPolicy } from './return-flow.js';

export interface LoadedConfig {
  file: string;
  dir: string;
  raw: WharfConfig;
  mappingsDir: string;
  dataDir: string;
  ledger: { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };
  /** `ledger.retention` with its defaults (src/ledger/retention.ts). */
  retention: Retention;
  logLevel: string;
  timezone: string;
  delivery: { intervalMs: number; maxBackoffMs: number };
  /** How long `run` may take to stop after a signal, in ms. */
  shutdownTimeoutMs: number;
  /** `http:`: the daemon's HTTP server (src/http); undefined when the config has none. */
  http: HttpSettings | undefined;
  warehouseOrders: { path: string; mapping?: string; batch: 'order' | 'file'; sftp?: SftpConnectionConfig };
  warehouseProducts: { path: string; mapping?: string };
  channels: ChannelEntry[];
  /** `warehouse.reports`: where the warehouse's stock and shipment reports come from (merchant `@warehouse`). */
  reportSources: ReportSourceEntry[];
  /** `merchants.<id>.exports`: the stock and shipments files written back to merchants. */
  exports: ExportEntry[];
}

export function configPathFrom(option: string | undefined): string {
  return path.resolve(option ?? process.env.WHARF_CONFIG ?? DEFAULT_CONFIG_PATH);
}

/** Reads, resolves and validates the config. Every problem is a CONFIG_* WharfError naming the key path. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WharfError('CONFIG_INVALID', `cannot read the config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      where: file,
      hint: 'pass --config FILE or set WHARF_CONFIG',
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new WharfError('CONFIG_INVALID', `the config is not valid YAML: ${e.message.split('\n')[0]}`, { where: file, line });
  }
  const dir = path.dirname(file);
  // References are resolved first so that the schema checks the real values (a key's format, say);
  // schema messages name fields and patterns, never values, so no secret reaches an error.
  const unresolved = doc.toJS() as unknown;
  requireSecretReferences(unresolved);
  const raw = resolveReferences(unresolved, dir, env) as WharfConfig;
  checkSchema(raw, file);
  return normalise(raw, file, dir);
}

function checkSchema(value: unknown, file: string): void {
  const validate = validatorFor('config.schema.json');
  if (validate(value)) return;
  const problems = formatAjvErrors(validate.errors);
  const lines = problems.map((p) => `  - ${p.path || '(top level)'}: ${p.message}`);
  throw new WharfError('CONFIG_INVALID', `the config has ${problems.length} problem(s):\n${lines.join('\n')}`, {
    where: file,
    field: problems[0]?.path,
    hint: 'see docs/config.md or the descriptions in schemas/config.schema.json',
  });
}

function normalise(raw: WharfConfig, file: string, dir: string): LoadedConfig {
  const abs = (p: string) => path.resolve(dir, p);
  const dataDir = abs(raw.dataDir ?? configDefaults.dataDir);
  const driver = raw.ledger?.driver ?? configDefaults.ledger.driver;
  let ledger: LoadedConfig['ledger'];
  if (driver === 'postgres') {
    if (!raw.ledger?.url) throw new WharfError('CONFIG_INVALID', 'ledger.url is required with driver: postgres', { where: file, field: 'ledger.url', hint: 'e.g. url: ${WHARF_DATABASE_URL}' });
    ledger = { driver: 'postgres', url: raw.ledger.url };
  } else {
    ledger = { driver: 'sqlite', path: abs(raw.ledger?.path ?? configDefaults.ledger.path) };
  }
  const channels: ChannelEntry[] = [];
  for (const [merchant, m] of Object.entries(raw.merchants)) {
    for (const [channel, c] of Object.entries(m.channels)) {
      channels.push(channelEntry(merchant, channel, c, abs, dataDir));
    }
  }
  const timezone = checkTimezone(raw.schedule?.timezone ?? configDefaults.timezone, file);
  return {
    file,
    dir,
    raw,
    mappingsDir: abs(raw.mappings ?? configDefaults.mappings),
    dataDir,
    ledger,
    retention: retentionOf(raw, file),
    logLevel: raw.log?.level ?? configDefaults.logLevel,
    timezone,
    delivery: {
      intervalMs: (raw.delivery?.interval ?? configDefaults.delivery.interval) * 1000,
      maxBackoffMs: (raw.delivery?.maxBackoff ?? configDefaults.delivery.maxBackoff) * 1000,
    },
    shutdownTimeoutMs: (raw.shutdownTimeout ?? configDefaults.shutdownTimeout) * 1000,
    http: httpSettingsOf(raw, abs, dataDir, file),
    warehouseOrders: {
      // A remote directory is taken as written; a local one is relative to the config file.
      path: raw.warehouse.orders.type === 'sftp' ? raw.warehouse.orders.path : abs(raw.warehouse.orders.path),
      mapping: raw.warehouse.orders.mapping,
      batch: raw.warehouse.orders.batch ?? 'order',
      ...(raw.warehouse.orders.type === 'sftp' ? { sftp: raw.warehouse.orders.sftp } : {}),
    },
    warehouseProducts: productsDestination(raw, abs),
    channels,
    reportSources: reportSourceEntries(raw, file, abs, dataDir),
    exports: exportEntries(raw, file, abs, timezone),
  };
}

function productsDestination(raw: WharfConfig, abs: (p: string) => string): LoadedConfig['warehouseProducts'] {
  const remote = raw.warehouse.orders.type === 'sftp';
  const given = raw.warehouse.products?.path;
  const p = given ? (remote ? given : abs(given)) : (remote ? path.posix : path).join((remote ? path.posix : path).dirname(remote ? raw.warehouse.orders.path : abs(raw.warehouse.orders.path)), 'products');
  return { path: p, ...(raw.warehouse.products?.mapping ? { mapping: raw.warehouse.products.mapping } : {}) };
}

export function findChannel(config: LoadedConfig, name: string): ChannelEntry | ReportSourceEntry {
  // Warehouse report sources are named like channels: `@warehouse/<name>` (or `<name>` when unambiguous).
  const all = [...config.channels, ...config.reportSources];
  const found = all.filter((c) => c.key === name || c.channel === name);
  if (found.length === 1) return found[0]!;
  const known = all.map((c) => c.key).join(', ');
  if (found.length > 1) throw new WharfError('USAGE', `channel name ${name} is ambiguous; write it as merchant/channel`, { hint: `known: ${known}` });
  throw new WharfError('NOT_FOUND', `no channel named ${name} in the config`, { hint: `known channels: ${known}` });
}

function checkTimezone(tz: string, file: string): string {
  if (isTimeZone(tz)) return tz;
  throw new WharfError('CONFIG_INVALID', `schedule.timezone ${JSON.stringify(tz)} is not an IANA time zone`, { where: file, field: 'schedule.timezone', hint: 'e.g. Europe/Amsterdam or UTC' });
}
