import type { LoadedConfig } from '../config/load.js';
import type { LedgerSummary } from '../ledger/store.js';
import { channelStatuses, type ExportStatus, type PushStatus } from '../daemon/status.js';
import { print } from './context.js';

// The data `wharf status` shows is gathered in src/daemon/status.ts (shared with the web console).
export { exportStatuses, pushStatuses, type ExportStatus, type PushStatus, type ShipmentPushProblem } from '../daemon/status.js';

/** `wharf status`: the ledger summary, with every configured channel listed even before its first poll. */
export function renderStatus(cfg: LoadedConfig, summary: LedgerSummary, json: boolean, exports: ExportStatus[] = [], pushes: PushStatus[] = [], ledgerBytes?: number): void {
  const { bodiesDays, idsDays, intervalMs } = cfg.retention;
  const retention = { bodiesDays, idsDays, intervalMinutes: intervalMs / 60_000 };
  const channels = channelStatuses(cfg, summary);
  if (json) {
    print(JSON.stringify({ ledger: cfg.ledger.driver, ledgerBytes: ledgerBytes ?? null, retention, channels, notices: summary.notices, quarantined: summary.quarantined, outbox: summary.outbox, failedDeliveries: summary.failedDeliveries.map(({ body: _b, ...r }) => r), dismissed: summary.dismissed, recentDuplicates: summary.recentDuplicates, exports, pushes }, null, 2));
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
    print(`    files: ${f.imported} imported, ${f.partial} partially imported, ${f.duplicate} duplicate, ${f.quarantined} quarantined${f.dismissed ? `, ${f.dismissed} dismissed` : ''}; records: ${c.records}, duplicate records: ${c.duplicateRecords}`);
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
  if (summary.dismissed.length > 0) {
    print('');
    print(`Dismissed from quarantine (latest ${summary.dismissed.length}; not retried)`);
    for (const q of summary.dismissed) print(`  ${q.id} ${q.merchant}/${q.channel} ${q.name} dismissed ${q.dismissedAt ?? ''}\n      note: ${q.note ?? ''}`);
  }
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
