import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import type { ChannelConnector } from '../connectors/index.js';
import { processBatch, type IntakeResult } from '../pipeline/intake.js';
import { pageBatch } from '../sources/page.js';

/**
 * The order records of one verified webhook delivery through the pipeline as one batch, exactly as an
 * API page of the pull goes (pageBatch: mapping, validation, ledger; invalid records quarantined with
 * their report, duplicates counted). Resolves after the ledger commit; throws (nothing committed) when
 * the ledger or disk fails, so the caller answers with a status the platform retries. A replayed
 * delivery has the same content (sha256), so the ledger calls it a duplicate batch.
 */
export async function intakeWebhook(cfg: LoadedConfig, entry: ChannelEntry, connector: ChannelConnector, records: unknown[], store: Store, logger: Logger): Promise<IntakeResult> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const batch = pageBatch({
    merchant: entry.merchant,
    channel: entry.channel,
    // Unique per delivery (two in the same millisecond must not share a quarantine file name).
    name: `orders-webhook-${stamp}-${randomBytes(3).toString('hex')}.json`,
    origin: `${connector.type} order webhook`,
    sourceType: connector.type,
    mapping: connector.mappings.orders,
    records,
    quarantineDir: entry.quarantineDir,
  });
  return processBatch(batch, { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize }, { store, mappingsDir: cfg.mappingsDir, logger });
}
