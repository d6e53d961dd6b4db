import type { LoadedConfig } from '../config/load.js';
import type { ChannelStatus, LedgerSummary } from '../ledger/store.js';
import { print } from './context.js';

/** `wharf status`: the ledger summary, with every configured channel listed even before its first poll. */
export function renderStatus(cfg: LoadedConfig, summary: LedgerSummary, json: boolean): void {
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
    print(JSON.stringify({ ledger: cfg.ledger.driver, channels, notices: summary.notices, quarantined: summary.quarantined, outbox: summary.outbox, failedDeliveries: summary.failedDeliveries.map(({ body: _b, ...r }) => r), recentDuplicates: summary.recentDuplicates }, null, 2));
    return;
  }
  print(`Ledger: ${cfg.ledger.driver}${cfg.ledger.driver === 'sqlite' ? ` (${cfg.ledger.path})` : ''}`);
  print('');
  print('Channels');
  for (const c of channels) {
    const f = c.files;
    print(`  ${c.merchant}/${c.channel} [${c.type}]`);
    print(`    last poll ${c.lastPollAt ?? 'never'}, last success ${c.lastOkAt ?? 'never'}${c.inFlight ? `, ${c.inFlight} file(s) settling` : ''}`);
    print(`    files: ${f.imported} imported, ${f.partial} partially imported, ${f.duplicate} duplicate, ${f.quarantined} quarantined; records: ${c.records}, duplicate records: ${c.duplicateRecords}`);
    if (c.lastError && (!c.lastOkAt || (c.lastErrorAt ?? '') > c.lastOkAt)) print(`    LAST ERROR ${c.lastErrorAt}: ${c.lastError}`);
    if (c.notices) print(`    ${c.notices} file notice(s) below`);
  }
  if (summary.notices.length > 0) {
    print('');
    print(`File notices: ${summary.notices.length} (files not taken, changed after their import, or whose clean-up after import keeps failing)`);
    for (const n of summary.notices) print(`  ${n.at} ${n.merchant}/${n.channel} ${n.kind.toUpperCase()} ${n.file}\n      ${n.message}`);
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
