import type { ChannelEntry, LoadedConfig, ReportSourceEntry } from '../config/load.js';
import type { IntakePolicy } from '../pipeline/intake.js';
import type { MerchantRule } from '../pipeline/records.js';
import { DEFAULT_ROUTING, type RoutingPolicy } from '../pipeline/routing.js';

/** A file channel's entry: a merchant's folder/SFTP channel, or a warehouse report source (`@warehouse/<name>`). */
export type FileChannelEntry = ChannelEntry | ReportSourceEntry;

/** Whether an entry is a warehouse report source (`warehouse.reports.<name>`). */
export function isReportSource(entry: FileChannelEntry): entry is ReportSourceEntry {
  return 'stock' in entry;
}

/**
 * The routing policy of one channel, built from the config in this one place: `shipmentExports` =
 * the merchants with `merchants.<id>.exports.shipments`; `stock` = the report source's stock policy
 * (merchant channels bring no stock: the default, delta).
 */
export function routingPolicyOf(config: LoadedConfig, entry: FileChannelEntry): RoutingPolicy {
  return {
    shipmentExports: new Set(config.exports.filter((e) => e.kind === 'shipments').map((e) => e.merchant)),
    shipmentPushes: shipmentPushChannels(config),
    stock: isReportSource(entry) ? entry.stock : DEFAULT_ROUTING.stock,
  };
}

/**
 * The webshop channels (`<merchant>/<channel>`) with `push.shipments.enabled` (default off), read from
 * the whole config as written (`raw`): also when the caller narrowed `channels` to one (`wharf sync
 * @warehouse/<name>`), a shipment still owes its push.
 */
export function shipmentPushChannels(config: LoadedConfig): Set<string> {
  const out = new Set<string>();
  for (const [merchant, m] of Object.entries(config.raw.merchants)) {
    for (const [channel, c] of Object.entries(m.channels)) {
      if ((c as { push?: { shipments?: { enabled?: boolean } } }).push?.shipments?.enabled === true) out.add(`${merchant}/${channel}`);
    }
  }
  return out;
}

/**
 * Whose the records of a channel are: a merchant channel's are always its merchant's; a report
 * source's are its fixed `merchant`'s, or else each record's mapped `merchant`, checked against the
 * configured merchants (`merchants` of the config).
 */
export function merchantRuleOf(config: LoadedConfig, entry: FileChannelEntry): MerchantRule {
  if (!isReportSource(entry)) return { from: 'channel' };
  if (entry.reportMerchant !== undefined) return { from: 'fixed', merchant: entry.reportMerchant };
  return { from: 'field', known: new Set(Object.keys(config.raw.merchants)) };
}

/** Everything processBatch needs to know about the channel a batch came from (daemon and `wharf retry`). */
export function intakePolicyOf(config: LoadedConfig, entry: FileChannelEntry): IntakePolicy {
  return { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize, routing: routingPolicyOf(config, entry), merchantOf: merchantRuleOf(config, entry) };
}
