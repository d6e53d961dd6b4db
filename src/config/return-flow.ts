import path from 'node:path';
import { assertFileNamePattern } from '../exports/file-name.js';
import { isTimeZone } from '../time-zone.js';
import { WharfError, echo } from '../errors.js';
import { assertCron } from '../schedule/cron.js';
import { channelEntry, type ChannelEntry } from './entries.js';
import { schemaDefaults } from './schema-facts.js';
import type { FolderChannelConfig, ReportStockPolicy, SftpChannelConfig, SftpServerConfig, StockExportConfig, WharfConfig } from './generated/config.js';

/**
 * The return flow of the config (issue 8): where the warehouse's stock and shipment reports come
 * from (`warehouse.reports`) and which files Wharf writes back to each merchant (`merchants.<id>.exports`),
 * resolved like channels: paths absolute, defaults applied, cron and time zones checked.
 */

/** The merchant id under which report sources appear in the ledger and status (ids cannot start with `@`). */
export const WAREHOUSE_MERCHANT = '@warehouse';

/** A report source's stock policy with its defaults applied (schemas/config.schema.json `$defs/reportStock`). */
export type ResolvedStockPolicy = Required<ReportStockPolicy>;

/**
 * One report source, shaped like a channel so the folder and SFTP sources can read it: merchant
 * `@warehouse`, channel = report name, key `@warehouse/<name>`; `config` is the folder or SFTP channel
 * part (without `merchant` and `stock`), paths absolute.
 */
export interface ReportSourceEntry extends ChannelEntry {
  config: FolderChannelConfig | SftpChannelConfig;
  /** Every record of this source belongs to this merchant; absent: the record's mapped `merchant` decides. */
  reportMerchant?: string;
  stock: ResolvedStockPolicy;
}

/** Where an export writes: a local folder (absolute) or a remote directory on an SFTP server. */
export type ExportDestination = { type: 'folder'; path: string } | { type: 'sftp'; path: string; sftp: SftpServerConfig };

interface ExportBase {
  merchant: string;
  /** `<merchant>/<kind>`, for logs and the ledger. */
  key: string;
  /** Cron expression (checked). */
  schedule: string;
  /** IANA zone of the schedule and of the file name's time: the export's own, else schedule.timezone. */
  timezone: string;
  destination: ExportDestination;
  /** Output mapping name (kind stock or shipment, checked by checkMappings). */
  mapping: string;
  /** File name pattern: `{merchant}` and luxon formats in braces (see exportFileName). */
  fileName: string;
  /** Write a file when the run has nothing to say. */
  writeEmpty: boolean;
}

/** A merchant's scheduled stock or shipments export. */
export type ExportEntry = (ExportBase & { kind: 'stock'; mode: 'full' | 'changes' }) | (ExportBase & { kind: 'shipments' });

const stockDefaults: ResolvedStockPolicy = schemaDefaults<ReportStockPolicy>('config.schema.json', '/$defs/reportStock');

/**
 * The report sources of `warehouse.reports`, in config order (the schema has checked their shape).
 * Throws CONFIG_INVALID naming the key when a fixed `merchant` is not a configured merchant, or when
 * `stock.absent` is given without `mode: full`.
 */
export function reportSourceEntries(raw: WharfConfig, file: string, abs: (p: string) => string, dataDir: string): ReportSourceEntry[] {
  return Object.entries(raw.warehouse.reports ?? {}).map(([name, source]) => {
    const at = `warehouse.reports.${name}`;
    const { merchant, stock, ...channel } = source;
    if (merchant !== undefined && !Object.hasOwn(raw.merchants, merchant)) {
      throw new WharfError('CONFIG_INVALID', `${at}.merchant names merchant ${echo(merchant)}, which is not configured`, {
        where: file,
        field: `${at}.merchant`,
        hint: `name one of the merchants (${Object.keys(raw.merchants).join(', ')}), or leave merchant out to take each record's merchant field`,
      });
    }
    if (stock?.absent !== undefined && (stock.mode ?? stockDefaults.mode) !== 'full') {
      throw new WharfError('CONFIG_INVALID', `${at}.stock.absent applies only to full stock reports, but stock.mode is ${stock.mode ?? stockDefaults.mode}`, {
        where: file,
        field: `${at}.stock.absent`,
        hint: 'set stock.mode: full (a report is the whole stock), or remove stock.absent',
      });
    }
    const entry = channelEntry(WAREHOUSE_MERCHANT, name, channel, abs, dataDir);
    return {
      ...entry,
      config: entry.config as FolderChannelConfig | SftpChannelConfig,
      ...(merchant !== undefined ? { reportMerchant: merchant } : {}),
      stock: { ...stockDefaults, ...stock },
    };
  });
}

const stockExportDefaults = schemaDefaults<StockExportConfig>('config.schema.json', '/$defs/stockExport');
const exportDestinationType = schemaDefaults<{ type: 'folder' | 'sftp' }>('config.schema.json', '/$defs/exportDestination').type;

/**
 * The exports of every merchant (`merchants.<id>.exports.{stock,shipments}`), in config order. The
 * schedule is checked as cron, the time zone as IANA (default `timezone`, the resolved
 * schedule.timezone), the file name pattern as a plain file name; a folder destination is made
 * absolute. Throws CONFIG_INVALID naming the key.
 */
export function exportEntries(raw: WharfConfig, file: string, abs: (p: string) => string, timezone: string): ExportEntry[] {
  const out: ExportEntry[] = [];
  for (const [merchant, m] of Object.entries(raw.merchants)) {
    for (const kind of ['stock', 'shipments'] as const) {
      const e = m.exports?.[kind];
      if (!e) continue;
      const at = `merchants.${merchant}.exports.${kind}`;
      assertCron(e.schedule, `${at}.schedule`);
      const zone = e.timezone ?? timezone;
      if (!isTimeZone(zone)) {
        throw new WharfError('CONFIG_INVALID', `${at}.timezone ${echo(zone)} is not an IANA time zone`, { where: file, field: `${at}.timezone`, hint: 'e.g. Europe/Amsterdam or UTC' });
      }
      checkFileNamePattern(e.fileName, `${at}.fileName`, file);
      const d = e.destination;
      const destination: ExportDestination = (d.type ?? exportDestinationType) === 'sftp' && d.sftp
        ? { type: 'sftp', path: d.path, sftp: d.sftp }
        : { type: 'folder', path: abs(d.path) };
      const base: ExportBase = {
        merchant, key: `${merchant}/${kind}`, schedule: e.schedule, timezone: zone, destination, mapping: e.mapping, fileName: e.fileName,
        writeEmpty: e.writeEmpty ?? stockExportDefaults.writeEmpty,
      };
      out.push(kind === 'stock' ? { ...base, kind, mode: (e as StockExportConfig).mode ?? stockExportDefaults.mode } : { ...base, kind });
    }
  }
  return out;
}

/** Checks an export's file name pattern at load time; the CONFIG_INVALID error names the config key. */
function checkFileNamePattern(pattern: string, field: string, file: string): void {
  try {
    assertFileNamePattern(pattern, field);
  } catch (err) {
    if (!(err instanceof WharfError)) throw err;
    throw new WharfError('CONFIG_INVALID', `${field}: ${err.message}`, { where: file, field, hint: err.details.hint ?? 'a plain file name; {merchant} and luxon date formats in braces, e.g. "stock-{yyyyMMdd-HHmm}.csv"' });
  }
}
