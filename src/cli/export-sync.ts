import type { LoadedConfig } from '../config/load.js';
import type { ExportEntry } from '../config/return-flow.js';
import { describeError } from '../errors.js';
import { runExport } from '../exports/run.js';
import type { Logger } from '../log.js';
import { CliExit, EXIT, print, store } from './context.js';

/**
 * The configured export `kind` of `merchant`. Throws CliExit 2 when the merchant is unknown or has no
 * such export, listing the configured exports. `name` may also be a channel (`merchant/channel`): its
 * merchant is meant.
 */
export function findExport(cfg: LoadedConfig, name: string, kind: 'stock' | 'shipments'): ExportEntry {
  const merchant = name.includes('/') ? name.slice(0, name.indexOf('/')) : name;
  const configured = cfg.exports.map((e) => e.key);
  const list = configured.length > 0 ? `configured exports: ${configured.join(', ')}` : 'no exports are configured (merchants.<id>.exports in the config)';
  const merchants = [...new Set(cfg.channels.map((c) => c.merchant))];
  const found = cfg.exports.find((e) => e.merchant === merchant && e.kind === kind);
  if (found) return found;
  if (!merchants.includes(merchant) && !cfg.exports.some((e) => e.merchant === merchant)) {
    throw new CliExit(EXIT.setup, `wharf: no merchant named ${merchant} in the config (known: ${merchants.join(', ') || 'none'}); ${list}`);
  }
  throw new CliExit(EXIT.setup, `wharf: merchant ${merchant} has no ${kind} export configured (merchants.${merchant}.exports.${kind}); ${list}`);
}

/**
 * `wharf sync MERCHANT stock|shipments`: runs the export now (scheduled time = now, rounded down to
 * the second), with a progress line on a TTY, prints the file written. Exit 0 on success, 1 when the
 * run failed (the error goes to stderr and into the ledger for `wharf status`).
 */
export async function syncExport(cfg: LoadedConfig, entry: ExportEntry, logger: Logger, now = new Date()): Promise<void> {
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const ledger = await store(cfg);
  const progress = progressLine(entry.key);
  try {
    const r = await runExport(entry, at, { store: ledger, config: cfg, logger, onProgress: progress.update });
    progress.done();
    const where = entry.destination.type === 'sftp' ? `sftp ${entry.destination.sftp.host}:${entry.destination.path}` : entry.destination.path;
    if (r.outcome === 'empty') print(`${entry.key}: nothing to export, no file written`);
    else if (r.outcome === 'already-done') print(`${entry.key}: the run for ${r.scheduledAt} was done already${r.fileName ? ` (${r.fileName})` : ''}`);
    else print(`${entry.key}: ${r.fileName} ${r.outcome === 'written' ? 'written' : 'already present (identical)'} in ${where}: ${r.items} item(s), ${r.rows} row(s), ${r.bytes} bytes`);
  } catch (err) {
    progress.done();
    throw new CliExit(EXIT.failed, `wharf: ${entry.key} export failed: ${describeError(err)}`);
  } finally {
    await ledger.close();
  }
}

/** A line updated in place on stderr when it is a terminal; nothing otherwise. */
function progressLine(label: string): { update: (p: { items: number; total?: number }) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update: (p) => {
      shown = true;
      process.stderr.write(`\r${label}: ${p.items}${p.total !== undefined ? ` / ${p.total}` : ''} items written   `);
    },
    done: () => {
      if (shown) process.stderr.write('\n');
      shown = false;
    },
  };
}
