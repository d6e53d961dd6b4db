import { isApiChannelType, connectorOf } from '../daemon/connectors.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { runShipmentPush } from '../push/shipments.js';
import { runStockPush } from '../push/stock.js';
import { CliExit, EXIT, print, store } from './context.js';

/**
 * Which `wharf sync NAME stock|shipments` means: the stock/shipment **push** to a webshop channel, or
 * the merchant's **export** (files). A name with a slash (`merchant/channel`) that is a webshop
 * channel means its push. A bare name means the merchant's export when a merchant is called so (also
 * when a channel has the same name: then `note` says how to name the channel); otherwise the webshop
 * channel of that name, when exactly one has it. Undefined: the merchant export (findExport decides).
 */
export function findPushChannel(cfg: LoadedConfig, name: string): { channel?: ChannelEntry; note?: string } {
  const webshops = cfg.channels.filter((c) => isApiChannelType(c.config.type));
  if (name.includes('/')) return { channel: webshops.find((c) => c.key === name) };
  const merchants = new Set([...cfg.channels.map((c) => c.merchant), ...cfg.exports.map((e) => e.merchant)]);
  const named = webshops.filter((c) => c.channel === name);
  if (merchants.has(name)) {
    return named.length ? { note: `${name} is a merchant and a webshop channel (${named.map((c) => c.key).join(', ')}): running the merchant's export; for the push write the channel as merchant/channel` } : {};
  }
  return named.length === 1 ? { channel: named[0] } : {};
}

/**
 * `wharf sync CHANNEL stock|shipments`: pushes now. Stock: the SKUs whose quantity changed (all with
 * `full`); shipments: the shipment pushes that are due. `dryRun` prints what would be sent and sends
 * and changes nothing. Exit 1 when the push failed, 2 when the channel does not push this (`push` off
 * or the platform has no push yet: a dry run still shows what would be sent).
 */
export async function syncPush(cfg: LoadedConfig, entry: ChannelEntry, job: 'stock' | 'shipments', logger: Logger, o: { dryRun?: boolean; full?: boolean }): Promise<void> {
  const connector = connectorOf(entry, logger);
  if (!connector.push.supported) throw new CliExit(EXIT.setup, `wharf: pushing to ${connector.type} is not supported yet (${entry.key})`);
  const enabled = connector.push.settings[job].enabled;
  if (!enabled && !o.dryRun) {
    throw new CliExit(EXIT.setup, `wharf: ${entry.key} does not push ${job} (push.${job}.enabled is false); switch it on in the config, or look first with --dry-run`);
  }
  const ledger = await store(cfg);
  const progress = progressLine(`${entry.key} ${job} push`);
  try {
    if (job === 'stock') {
      const r = await runStockPush(entry, connector, { store: ledger, logger, config: cfg, dryRun: o.dryRun, full: o.full, onProgress: (p) => progress.update(`${p.pushed} SKU(s) pushed in ${p.batches} batch(es)`) });
      progress.done();
      if (r.skipped) print(`${entry.key} stock: skipped: ${r.skipped}`);
      else if (o.dryRun) {
        for (const c of r.changes) print(`${c.sku}\t${c.old ?? '-'} → ${c.new}${c.ids ? '' : '\t(unknown to the shop: not sent)'}`);
        print(`${entry.key} stock (dry run, nothing sent): ${r.changes.length - r.unknown.length} SKU(s) would be pushed, ${r.unknown.length} unknown to the shop, of ${r.skus} SKU(s)`);
      } else {
        print(`${entry.key} stock: ${r.pushed} of ${r.changed} changed SKU(s) pushed in ${r.batches} batch(es); ${r.unknown.length} unknown to the shop, ${r.refused.length} refused (see wharf status)`);
        if (r.refused.length || r.pushed < r.changed - r.unknown.length) process.exitCode = EXIT.failed;
      }
    } else {
      const r = await runShipmentPush(entry, connector, { store: ledger, logger, maxBackoffMs: cfg.delivery.maxBackoffMs, dryRun: o.dryRun, onProgress: (p) => progress.update(`${p.done} pushed, ${p.failed} failed`) });
      progress.done();
      if (r.skipped) print(`${entry.key} shipments: skipped: ${r.skipped}`);
      for (const l of r.lines) print(`${l.shipmentId}\torder ${l.orderRef} → ${l.carrier ?? '?'} ${l.trackingNumber ?? '(no tracking)'}\t${l.outcome}${l.outcome === 'dry-run' ? '' : `: ${l.detail}`}`);
      if (o.dryRun) print(`${entry.key} shipments (dry run, nothing sent): ${r.lines.length} shipment(s) would be pushed`);
      else if (!r.skipped) {
        print(`${entry.key} shipments: ${r.pushed} pushed, ${r.retry} to retry, ${r.failed} failed (see wharf status; wharf retry)`);
        if (r.failed || r.retry) process.exitCode = EXIT.failed;
      }
    }
  } catch (err) {
    progress.done();
    throw new CliExit(EXIT.failed, `wharf: ${entry.key} ${job} push failed: ${describeError(err)}`);
  } finally {
    await ledger.close();
  }
}

function progressLine(label: string): { update: (text: string) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, done: () => undefined };
  let shown = false;
  return {
    update: (text) => {
      shown = true;
      process.stderr.write(`\r${label}: ${text}   `);
    },
    done: () => {
      if (shown) process.stderr.write('\n');
    },
  };
}
