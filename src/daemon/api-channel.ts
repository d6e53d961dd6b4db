import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import type { ChannelEntry, LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import { writeFileAtomic } from '../transports/folder/atomic.js';
import { processFile, type IntakeResult } from '../pipeline/intake.js';
import { writeQuarantine } from '../sources/quarantine.js';
import type { FileSource, ReadyFile, SettleResult, Settlement } from '../pipeline/ports.js';
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
 * The source side of one API page: the page was staged as a JSON file so the pipeline treats it like
 * any other file (hash, ledger transaction, quarantine with a report). Imported pages are removed;
 * a page with bad orders is kept in quarantine with its report, for `wharf retry`.
 */
class StagedPageSource implements FileSource {
  readonly pending = 0;
  constructor(readonly kind: string, readonly merchant: string, readonly channel: string, private readonly quarantineDir: string) {}
  async open(): Promise<void> {}
  async poll(): Promise<ReadyFile[]> {
    return [];
  }
  async settle(file: ReadyFile, s: Settlement): Promise<SettleResult> {
    if (s.outcome === 'quarantined') {
      const q = await writeQuarantine(this.quarantineDir, file.name, file.localPath, s.reportJson, true);
      return { movedTo: q.filePath, reportPath: q.reportPath };
    }
    await fs.rm(file.localPath, { force: true });
    return {};
  }
  async release(file: ReadyFile): Promise<void> {
    await fs.rm(file.localPath, { force: true });
  }
  async close(): Promise<void> {}
}

/**
 * Runs one job of one API channel: pulls page by page, each page through the pipeline, and for
 * orders advances the cursor in the ledger only after the page's records are committed. A crash or a
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
  const stagingDir = path.join(cfg.dataDir, 'staging', entry.merchant, entry.channel);
  await fs.mkdir(stagingDir, { recursive: true });
  const source = new StagedPageSource(connector.type, entry.merchant, entry.channel, entry.quarantineDir);
  const mapping = connector.mappings[job];
  const cursorKey = `${job}:${entry.key}`;
  const progress: JobResult = { pages: 0, records: 0, results: [] };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');

  const pages = job === 'orders' ? connector.pullOrders(await store.getCursor(cursorKey)) : connector.pullProducts();
  try {
    for await (const page of pages) {
      progress.pages++;
      if (page.records.length > 0) {
        const name = `${job}-${stamp}-p${progress.pages}.json`;
        const staged = path.join(stagingDir, name);
        await writeFileAtomic(staged, Buffer.from(JSON.stringify({ records: page.records })));
        const st = await fs.stat(staged);
        const file: ReadyFile = {
          merchant: entry.merchant, channel: entry.channel, name, origin: `${connector.type} ${job} page ${progress.pages}`,
          size: st.size, mtimeMs: st.mtimeMs, mapping, localPath: staged, open: () => createReadStream(staged),
        };
        progress.results.push(await processFile(file, source, { onInvalid: entry.onInvalid, maxFileSize: entry.maxFileSize }, { store, mappingsDir: cfg.mappingsDir, logger }));
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
