import type { Logger } from '../log.js';
import { WharfError, describeError } from '../errors.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import { processBatch, type IntakeResult } from '../pipeline/intake.js';
import { pageBatch } from '../sources/page.js';
import type { ChannelConnector } from '../connectors/index.js';
import { describeHolder, takeLease, type LeaseHolder } from '../schedule/lease.js';

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
 *
 * One pull of a channel's job at a time across processes: the run holds the ledger lease
 * `pull:<merchant>/<channel>:<job>` (src/schedule/lease.ts), renewed after every page. When another
 * process holds it (the daemon's scheduled pull while `wharf sync` runs, or the other way round) this
 * throws a CHANNEL_BUSY WharfError (retryable, see isChannelBusy) before anything is pulled; when the
 * lease ran out mid-pull and another process took it, the same error stops the pull before the next
 * cursor write.
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

  const taken = await takeLease(store, `pull:${entry.key}:${job}`);
  if ('busy' in taken) throw channelBusy(entry.key, job, taken.busy);
  const { lease } = taken;
  try {
    return await pull();
  } finally {
    await lease.release();
  }

  async function pull(): Promise<JobResult> {
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
        const other = await lease.renew();
        if (other) throw channelBusy(entry.key, job, other, true);
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
}

/**
 * The CHANNEL_BUSY error for a pull that another process runs: who (the running daemon, `wharf sync`,
 * with its pid) and since when, and what to do. `tookOver`: the lease ran out mid-pull and `holder` took it.
 */
function channelBusy(key: string, job: ApiJob, holder: LeaseHolder, tookOver = false): WharfError {
  if (tookOver) {
    return new WharfError('CHANNEL_BUSY', `channel ${key}: the ${job} pull lease ran out and ${describeHolder(holder)} took it over; this pull stops, the other one goes on`, {}, { retryable: true });
  }
  const hint = holder.role === 'run' ? 'try again in a moment or use the console\'s Sync now' : 'try again when it is done; the next scheduled pull catches up on anything left';
  return new WharfError('CHANNEL_BUSY', `channel ${key} is being pulled (${job}) by ${describeHolder(holder)}; ${hint}`, {}, { retryable: true });
}

/** Whether `err` says another process runs the job (CHANNEL_BUSY): a skip, not a failure. */
export function isChannelBusy(err: unknown): boolean {
  return err instanceof WharfError && err.code === 'CHANNEL_BUSY';
}
