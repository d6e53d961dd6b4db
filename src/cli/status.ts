import type { LoadedConfig } from '../config/load.js';
import type { ChannelStatus, ExportRun, LedgerSummary, OutboxRow, Store } from '../ledger/store.js';
import { shipmentExportDestination, shipmentPushDestination } from '../pipeline/routing.js';
import { exportRuns } from '../schedule/catch-up.js';
import { nextRuns } from '../schedule/cron.js';
import { isPlatform as isApiChannelType, pushSettingsOf } from '../connectors/platforms.js';
import type { CommonChannelConfig } from '../config/types.js';
import { lastStockRun, type StockRunRecord } from '../push/stock.js';
import { print } from './context.js';

/** One configured export as `wharf status` shows it. */
export interface ExportStatus {
  /** `<merchant>/<kind>`. */
  export: string;
  merchant: string;
  kind: 'stock' | 'shipments';
  schedule: string;
  timezone: string;
  /** The latest run (by scheduled time): claimed (in progress, or interrupted), done, or failed with its error. */
  lastRun: ExportRun | null;
  /** The next scheduled time after now (UTC ISO 8601), one per wall-clock slot in its zone. */
  nextRunAt: string | null;
  /** Shipments: rows waiting for the next run. */
  pendingShipments?: number;
}

/**
 * The export part of `wharf status`: each configured export with its last run from the ledger, its
 * next scheduled time (from `now`, in the export's zone) and, for shipments, the merchant's pending rows.
 */
export async function exportStatuses(cfg: LoadedConfig, store: Store, now = new Date()): Promise<ExportStatus[]> {
  const last = new Map((await store.lastExportRuns(cfg.exports.map((e) => e.key))).map((r) => [r.export, r]));
  const out: ExportStatus[] = [];
  for (const e of cfg.exports) {
    const next = exportRuns(e.schedule, e.timezone, now, 1)[0];
    out.push({
      export: e.key, merchant: e.merchant, kind: e.kind, schedule: e.schedule, timezone: e.timezone,
      lastRun: last.get(e.key) ?? null, nextRunAt: next ? next.toISOString() : null,
      ...(e.kind === 'shipments' ? { pendingShipments: await store.pendingCount(shipmentExportDestination(e.merchant)) } : {}),
    });
  }
  return out;
}

/** One webshop channel's push as `wharf status` shows it (only channels with a push switched on). */
export interface PushStatus {
  channel: string;
  stock?: {
    schedule: string; nextRunAt: string | null; lastRun: StockRunRecord | null; unknownSkus: number; refusedSkus: number;
    /** The unknown and refused SKUs with their message (the shop's, for refused ones). */
    skus: { state: 'unknown' | 'refused'; sku: string; message: string }[];
  };
  shipments?: {
    schedule: string;
    nextRunAt: string | null;
    pending: number;
    /** Rows failed for good (the shop refused): pushed again only after `wharf retry d<id>`. */
    failed: number;
    /** Rows that failed retryably and are pending their next attempt. */
    retrying: number;
    /** The failed and retrying rows (at most the ledger summary's 100), with the shop's message. */
    problems: ShipmentPushProblem[];
  };
}

/** One shipment push that did not go through yet, as `wharf status` lists it under its channel. */
export interface ShipmentPushProblem {
  /** Outbox row id: `wharf retry d<id>` puts a failed one back. */
  id: number;
  shipmentId: string;
  orderRef: string;
  state: 'failed' | 'retrying';
  attempts: number;
  /** The platform's message of the last attempt. */
  message: string;
}

function pushProblem(row: OutboxRow): ShipmentPushProblem {
  const b = row.body as { shipment?: { shipmentId?: unknown }; orderRef?: unknown };
  return {
    id: row.id,
    shipmentId: typeof b.shipment?.shipmentId === 'string' ? b.shipment.shipmentId : row.recordId,
    orderRef: typeof b.orderRef === 'string' ? b.orderRef : '?',
    state: row.status === 'failed' ? 'failed' : 'retrying',
    attempts: row.attempts,
    message: row.lastError ?? '',
  };
}

/** The push part of `wharf status`: per webshop channel with `push.*.enabled`, last/next run, pending, failed, unknown SKUs. */
export async function pushStatuses(cfg: LoadedConfig, store: Store, summary: LedgerSummary, now = new Date()): Promise<PushStatus[]> {
  const out: PushStatus[] = [];
  for (const e of cfg.channels) {
    if (!isApiChannelType(e.config.type)) continue;
    const s = pushSettingsOf(e.config as CommonChannelConfig);
    if (!s.stock.enabled && !s.shipments.enabled) continue;
    const mine = (kind: string) => summary.notices.filter((n) => `${n.merchant}/${n.channel}` === e.key && n.kind === kind).length;
    const next = (expr: string) => nextRuns(expr, cfg.timezone, now, 1)[0]?.toISOString() ?? null;
    const p: PushStatus = { channel: e.key };
    if (s.stock.enabled) p.stock = { schedule: s.schedules.stock, nextRunAt: next(s.schedules.stock), lastRun: (await lastStockRun(store, e.key)) ?? null, unknownSkus: mine('push-unknown-sku'), refusedSkus: mine('push-refused'),
      skus: summary.notices.filter((n) => `${n.merchant}/${n.channel}` === e.key && n.kind.startsWith('push-')).map((n) => ({ state: n.kind === 'push-refused' ? 'refused' : 'unknown', sku: n.file, message: n.message })) };
    if (s.shipments.enabled) {
      const dest = shipmentPushDestination(e.key);
      const problems = summary.failedDeliveries.filter((d) => d.destination === dest).map(pushProblem);
      p.shipments = {
        schedule: s.schedules.shipments, nextRunAt: next(s.schedules.shipments), pending: await store.pendingCount(dest),
        failed: problems.filter((x) => x.state === 'failed').length, retrying: problems.filter((x) => x.state === 'retrying').length, problems,
      };
    }
    out.push(p);
  }
  return out;
}

/** `wharf status`: the ledger summary, with every configured channel listed even before its first poll. */
export function renderStatus(cfg: LoadedConfig, summary: LedgerSummary, json: boolean, exports: ExportStatus[] = [], pushes: PushStatus[] = [], ledgerBytes?: number): void {
  const { bodiesDays, idsDays, intervalMs } = cfg.retention;
  const retention = { bodiesDays, idsDays, intervalMinutes: intervalMs / 60_000 };
  const byKey = new Map(summary.channels.map((c) => [`${c.merchant}/${c.channel}`, c]));
  // Merchant channels, then the warehouse report sources (`@warehouse/<name>`), each with its counts.
  const channels: (ChannelStatus & { type: string })[] = [...cfg.channels, ...cfg.reportSources].map((e) => ({
    type: e.config.type,
    ...(byKey.get(e.key) ?? {
      merchant: e.merchant, channel: e.channel, lastPollAt: null, lastOkAt: null, lastError: null, lastErrorAt: null, inFlight: 0,
      files: { imported: 0, partial: 0, duplicate: 0, quarantined: 0, retried: 0 }, records: 0, duplicateRecords: 0, notices: 0,
    }),
  }));
  if (json) {
    print(JSON.stringify({ ledger: cfg.ledger.driver, ledgerBytes: ledgerBytes ?? null, retention, channels, notices: summary.notices, quarantined: summary.quarantined, outbox: summary.outbox, failedDeliveries: summary.failedDeliveries.map(({ body: _b, ...r }) => r), recentDuplicates: summary.recentDuplicates, exports, pushes }, null, 2));
    return;
  }
  print(`Ledger: ${cfg.ledger.driver}${cfg.ledger.driver === 'sqlite' ? ` (${cfg.ledger.path})` : ''}${ledgerBytes === undefined ? '' : `, ${formatBytes(ledgerBytes)}`}`);
  print(`  retention: bodies ${bodiesDays} days, ids and content hashes ${idsDays} days, pruned every ${retention.intervalMinutes} minute(s) by \`wharf run\` (or \`wharf prune\`)`);
  print('');
  print('Channels');
  for (const c of channels) {
    const f = c.files;
    print(`  ${c.merchant}/${c.channel} [${c.type}]`);
    print(`    last poll ${c.lastPollAt ?? 'never'}, last success ${c.lastOkAt ?? 'never'}${c.inFlight ? `, ${c.inFlight} file(s) settling` : ''}`);
    print(`    files: ${f.imported} imported, ${f.partial} partially imported, ${f.duplicate} duplicate, ${f.quarantined} quarantined; records: ${c.records}, duplicate records: ${c.duplicateRecords}`);
    if (c.lastError && (!c.lastOkAt || (c.lastErrorAt ?? '') > c.lastOkAt)) print(`    LAST ERROR ${c.lastErrorAt}: ${c.lastError}`);
    const pushNotices = summary.notices.filter((n) => n.merchant === c.merchant && n.channel === c.channel && n.kind.startsWith('push-')).length;
    if (c.notices - pushNotices > 0) print(`    ${c.notices - pushNotices} file notice(s) below`);
  }
  const fileNotices = summary.notices.filter((n) => !n.kind.startsWith('push-'));
  if (fileNotices.length > 0) {
    print('');
    print(`File notices: ${fileNotices.length} (files not taken, changed after their import, or whose clean-up after import keeps failing)`);
    for (const n of fileNotices) print(`  ${n.at} ${n.merchant}/${n.channel} ${n.kind.toUpperCase()} ${n.file}\n      ${n.message}`);
  }
  if (exports.length > 0) {
    print('');
    print('Exports');
    for (const x of exports) {
      const r = x.lastRun;
      print(`  ${x.export} [${x.schedule} ${x.timezone}] next run ${x.nextRunAt ?? 'never'}${x.pendingShipments !== undefined ? `, ${x.pendingShipments} shipment(s) pending` : ''}`);
      if (!r) print('    last run: never');
      else if (r.status === 'failed') print(`    LAST RUN FAILED ${r.scheduledAt} (${r.items} item(s), retried at the next run): ${r.error ?? ''}`);
      else if (r.status === 'claimed') print(`    last run ${r.scheduledAt}: in progress or interrupted (${r.fileName}, ${r.items} item(s)); the next run completes it`);
      else print(`    last run ${r.scheduledAt}: done ${r.finishedAt ?? ''}, ${r.items > 0 ? `${r.fileName}, ${r.items} item(s)` : 'nothing to export'}`);
    }
  }
  if (pushes.length > 0) {
    print('');
    print('Webshop pushes');
    for (const p of pushes) {
      if (p.stock) {
        const r = p.stock.lastRun;
        print(`  ${p.channel} stock [${p.stock.schedule}] next run ${p.stock.nextRunAt ?? 'never'}; ${p.stock.unknownSkus} unknown SKU(s), ${p.stock.refusedSkus} refused`);
        for (const n of summary.notices) if (`${n.merchant}/${n.channel}` === p.channel && n.kind.startsWith('push-')) print(`    ${n.kind === 'push-refused' ? 'REFUSED' : 'UNKNOWN SKU'} ${n.file}: ${n.message}`);
        if (!r) print('    last run: never');
        else if (!r.ok) print(`    LAST RUN FAILED ${r.at} (${r.pushed} of ${r.changed} changed SKU(s) pushed before it; the rest go at the next run): ${r.error ?? ''}`);
        else print(`    last run ${r.at}: ${r.pushed} of ${r.changed} changed SKU(s) pushed`);
      }
      if (p.shipments) {
        const sh = p.shipments;
        print(`  ${p.channel} shipments [${sh.schedule}] next run ${sh.nextRunAt ?? 'never'}; ${sh.pending} pending, ${sh.failed} failed, ${sh.retrying} retrying`);
        for (const x of sh.problems) {
          const what = `d${x.id} shipment ${x.shipmentId} of order ${x.orderRef} (${x.attempts} attempt(s))`;
          if (x.state === 'failed') print(`    FAILED ${what}: ${x.message}\n      fix it in the shop, then \`wharf retry d${x.id}\``);
          else print(`    RETRYING ${what}: ${x.message}`);
        }
      }
    }
  }
  print('');
  print(`Deliveries: ${summary.outbox.pending} pending, ${summary.outbox.failed} failed, ${summary.outbox.delivered} delivered`);
  for (const d of summary.failedDeliveries) print(`  d${d.id} ${d.recordId} (${d.action}, ${d.status}, ${d.attempts} attempt(s)): ${d.lastError ?? ''}`);
  print('');
  print(`Quarantined files: ${summary.quarantined.length}`);
  for (const q of summary.quarantined) print(`  ${q.id} ${q.merchant}/${q.channel} ${q.name} -> ${q.quarantinePath ?? '(not moved)'}\n      ${q.error ?? ''}`);
  if (summary.recentDuplicates.length > 0) {
    print('');
    print('Recent duplicates (recognised, not sent again)');
    for (const d of summary.recentDuplicates) print(`  ${d.at} ${d.recordId} in ${d.fileName}${d.changed ? ' (content differs from the first import)' : ''}`);
  }
  if (summary.quarantined.length > 0 || summary.outbox.failed > 0) print('\nRe-run with `wharf retry ID…` (files) / `wharf retry dID…` (deliveries) or `wharf retry --all` after fixing.');
}

/** 1536 -> "1.5 KiB", 4.4e9 -> "4.1 GiB" (binary units, one decimal). */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}
