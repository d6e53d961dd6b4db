import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import { processBatch, type IntakeResult } from '../pipeline/intake.js';
import { pageBatch } from '../sources/page.js';
import type { ChannelConnector } from '../connectors/index.js';

export type ApiJob = 'orders' | 'products';

export interface JobProgress {
  pages: number;
  records: number;
}

export interface JobResult extends JobProgress {
  results: IntakeResult[];
}

/**
 * Runs one job of one API channel: pulls page by page, each page's records straight through the
 * pipeline as one batch (see pageBatch: nothing staged on disk; a page with invalid records is
 * written to the channel's quarantine with its report), and for orders advances the cursor in the
 * ledger only after the page's records are committed. A crash or a
 * transport error in between means the page is pulled again, and the ledger turns its orders into
 * duplicates: the cursor may lag, never lead.
 */
export async function runApiJob(
  cfg: LoadedConfig,
  entry: ChannelEntry,
  connector: ChannelConnector,
  job: ApiJob,
  store: Store,
  logger: Logger,
  onProgress?: (p: JobProgress) => void,
): Promise<JobResult> {
  const log = logger.child({ merchant: entry.merchant, channel: entry.channel, job });
  const mapping = connector.mappings[job];
  const cursorKey = `${job}:${entry.key}`;
  const progress: JobResult = { pages: 0, records: 0, results: [] };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');

  const pages = job === 'orders' ? connector.pullOrders(await store.getCursor(cursorKey)) : connector.pullProducts();
  try {
    for await (const page of pages) {
      progress.pages++;
      if (page.records.length > 0) {
        const batch = pageBatch({
          merchant: entry.merchant, channel: entry.channel, name: `${job}-${stamp}-p${progress.pages}.json`, origin: `${connector.type} ${job} page ${progress.pages}`,
          sourceType: connector.type, mapping, records: page.records, quarantineDir: entry.quarantineDir,
        });
        progress.results.push(await processBatch(batch, { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize }, { store, mappingsDir: cfg.mappingsDir, logger }));
        // The push ids of the catalogue (SKU → the shop's product/variation ids), for the stock push.
        if (job === 'products' && connector.push.supported) await store.upsertPushTargets(entry.key, page.records.flatMap((r) => connector.push.productTargets(r)));
        progress.records += page.records.length;
      }
      if ('cursor' in page && typeof page.cursor === 'string') await store.setCursor(cursorKey, page.cursor);
      onProgress?.(progress);
    }
    await store.recordPoll(entry.merchant, entry.channel, { ok: true });
    log.info({ pages: progress.pages, records: progress.records }, `${job} pull done: ${progress.records} record(s) in ${progress.pages} page(s)`);
    return progress;
  } catch (err) {
    await store.recordPoll(entry.merchant, entry.channel, { ok: false, error: describeError(err) });
    throw err;
  }
}
