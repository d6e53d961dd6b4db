import { once } from 'node:events';
import { Writable } from 'node:stream';
import type { Logger } from '../log.js';
import { WharfError, describeError, isRetryable } from '../errors.js';
import type { OutboxRow, Store } from '../ledger/store.js';
import { WAREHOUSE_ORDERS } from './routing.js';
import { loadMapping } from '../mapping/index.js';
import type { OutputMapping } from '../mapping/types.js';
import { NAME_MAX, fileNameFragment, shortenName } from '../transports/names.js';
import type { FileDestination } from './ports.js';
import { sha256 } from './hash.js';
import { metricsSink, type DeliveryOutcome } from '../observe/sink.js';

export interface OrderOutputOptions {
  /** The outbox this delivery empties (default: warehouse orders). */
  outbox?: string;
  /** Word in batch file names, e.g. `products` → `<merchant>-<channel>-products-<fileId>.ndjson`. */
  batchLabel?: string;
  /** Destination folder per merchant (the config's `{merchant}` placeholder is resolved here). */
  destinationFor(merchant: string): FileDestination;
  /** Output mapping name, or undefined for canonical JSON. */
  mapping?: string;
  /** order: one file per order (default). file: one file per intake file, holding all its orders. */
  batch?: 'order' | 'file';
  mappingsDir: string;
  maxBackoffMs: number;
}

/** At most this many order files in flight at once (batch: order), where the destination allows more than one. */
const MAX_PARALLEL_WRITES = 8;

/** An order file written, its row not yet marked delivered. */
interface Written {
  row: OutboxRow;
  name: string;
  dest: FileDestination;
  outcome: 'written' | 'unchanged';
}

export interface DeliveryResult {
  delivered: number;
  unchanged: number;
  failed: number;
}

/**
 * Empties the warehouse-orders outbox: each owed delivery is rendered from the record stored in the
 * ledger (so a re-delivery after a crash renders identical bytes), written under a deterministic name,
 * and only then marked delivered. A crash between the write and the mark means the next run writes
 * the same bytes again, which the destination recognises as 'unchanged': never a second order.
 */
export class OutboxDelivery {
  private mappingLoad: Promise<OutputMapping | undefined> | undefined;

  private readonly outbox: string;

  constructor(private readonly store: Store, private readonly opts: OrderOutputOptions, private readonly logger: Logger) {
    this.outbox = opts.outbox ?? WAREHOUSE_ORDERS;
  }

  /**
   * Delivers what is due, `batch` rows per ledger query. `stop` is asked before each delivery: when it
   * says true the pass ends there and the rest stays pending in the ledger (a prompt shutdown).
   * Logs one info line per pass that delivered anything; each order's line is at debug level.
   */
  async deliverDue(batch = 200, stop: () => boolean = () => false): Promise<DeliveryResult> {
    if (this.opts.batch === 'file') return this.deliverBatches(stop);
    const result: DeliveryResult = { delivered: 0, unchanged: 0, failed: 0 };
    try {
      for (;;) {
        if (stop()) return result;
        const rows = await this.store.dueDeliveries(this.outbox, batch);
        if (rows.length === 0) return result;
        // The files of a page are written (several at once where the destination allows), their
        // folders fsynced once, then the rows marked delivered.
        const slots: (Written | 'failed' | undefined)[] = new Array<Written | 'failed' | undefined>(rows.length);
        let error: { err: unknown } | undefined;
        try {
          error = await this.writePage(rows, slots, stop);
        } finally {
          const written: Written[] = [];
          for (const s of slots) {
            if (s === 'failed') result.failed++;
            else if (s) written.push(s);
          }
          for (const outcome of await this.settle(written)) result[outcome]++;
        }
        if (error) throw error.err;
        if (stop() || rows.length < batch) return result;
      }
    } finally {
      const n = result.delivered + result.unchanged + result.failed;
      if (n > 0) this.logger.info({ ...result }, `delivery pass: ${result.delivered} file(s) written, ${result.unchanged} already present, ${result.failed} failed`);
    }
  }

  /**
   * Writes the files of one page of due rows into `slots` (same index as `rows`; undefined: not
   * written because `stop` said so). Up to the destinations' `parallelWrites` files are in flight at
   * once (the fsync of one file waits on the disk, not the CPU); the rows of one record (an order and
   * its cancellation) are written one after the other in outbox order, so a cancellation never
   * becomes visible before its order. Waits for every write it started, even when one threw; returns
   * the first error thrown (writeOne reports a delivery's own failure itself; this is the ledger's).
   */
  private async writePage(rows: OutboxRow[], slots: (Written | 'failed' | undefined)[], stop: () => boolean): Promise<{ err: unknown } | undefined> {
    const lanes = new Map<string, number[]>();
    let width = MAX_PARALLEL_WRITES;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const lane = lanes.get(row.recordId);
      if (lane) lane.push(i);
      else lanes.set(row.recordId, [i]);
      width = Math.min(width, this.opts.destinationFor(row.merchant).parallelWrites ?? 1);
    }
    const queue = [...lanes.values()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length) {
        const lane = queue[next++]!;
        for (const i of lane) {
          if (stop()) return;
          slots[i] = (await this.writeOne(rows[i]!)) ?? 'failed';
        }
      }
    };
    const done = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(width, queue.length)) }, worker));
    const rejected = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
    return rejected ? { err: rejected.reason } : undefined;
  }

  /** Renders and writes one order file (its folder's fsync deferred where the destination can); undefined when it failed (already marked). */
  private async writeOne(row: OutboxRow): Promise<Written | undefined> {
    let name = '';
    try {
      const mapping = await this.outputMapping();
      name = orderFileName(row, mapping?.extension ?? 'json');
      const data = mapping ? await renderToBuffer(mapping, row.body) : Buffer.from(`${JSON.stringify(row.body, null, 2)}\n`);
      const dest = this.opts.destinationFor(row.merchant);
      const outcome = dest.writeDeferred ? await dest.writeDeferred(name, data) : await dest.write(name, data);
      return { row, name, dest, outcome };
    } catch (err) {
      await this.failed(row, name, err);
      return undefined;
    }
  }

  /**
   * Makes the written files durable (one `flush` per destination) and only then marks their rows
   * delivered. A destination whose flush fails: its rows are failed (retried), never marked delivered.
   */
  private async settle(written: Written[]): Promise<('delivered' | 'unchanged' | 'failed')[]> {
    const flushed = new Map<FileDestination, unknown>();
    for (const w of written) {
      if (flushed.has(w.dest)) continue;
      flushed.set(w.dest, undefined);
      try {
        await w.dest.flush?.();
      } catch (err) {
        flushed.set(w.dest, err ?? new Error('flush failed'));
      }
    }
    const outcomes: ('delivered' | 'unchanged' | 'failed')[] = [];
    const done: Written[] = [];
    for (const w of written) {
      const flushError = flushed.get(w.dest);
      if (flushError !== undefined) {
        await this.failed(w.row, w.name, flushError);
        outcomes.push('failed');
      } else done.push(w);
    }
    // One ledger transaction for the page's durable files.
    await this.store.markDeliveredEach(done.map((w) => ({ id: w.row.id, fileName: w.name })));
    for (const { row, name, outcome } of done) {
      // fileId links the delivery to the intake log lines of its file (which carry the trace id).
      this.logger.debug({ delivery: row.id, record: row.recordId, merchant: row.merchant, fileId: row.fileId, fileName: name, action: row.action },
        outcome === 'written' ? `delivered ${row.action === 'cancel' ? 'cancellation' : 'order'} ${name}` : `already delivered ${name} (identical file present)`);
      outcomes.push(outcome === 'written' ? 'delivered' : 'unchanged');
      countDelivery(row, outcome === 'written' ? 'delivered' : 'unchanged', 1);
    }
    return outcomes;
  }

  /** Marks a delivery failed: retried with back-off when the fault may pass, else left for `wharf retry`. */
  private async failed(row: OutboxRow, name: string, err: unknown): Promise<void> {
    const log = this.logger.child({ delivery: row.id, record: row.recordId, merchant: row.merchant, fileId: row.fileId });
    const retryable = isRetryable(err) || !(err instanceof WharfError);
    const message = describeError(err);
    countDelivery(row, retryable ? 'retry' : 'failed', 1);
    if (retryable) {
      const delay = backoffMs(row.attempts + 1, this.opts.maxBackoffMs);
      await this.store.markDeliveryFailed(row.id, message, new Date(Date.now() + delay));
      log.warn({ fileName: name, attempt: row.attempts + 1, retryInMs: delay }, `delivery failed, will retry: ${message}`);
    } else {
      await this.store.markDeliveryFailed(row.id, message, null);
      log.error({ fileName: name }, `delivery failed and needs attention (wharf retry after fixing): ${message}`);
    }
  }

  /**
   * Batch-per-file output: every delivery queued by one intake file goes into one file, streamed from
   * the ledger page by page (memory stays flat for a file of a million lines). The set of rows a file
   * queued is fixed at its commit, so a re-delivery after a crash renders the same bytes again.
   */
  private async deliverBatches(stop: () => boolean): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: 0, unchanged: 0, failed: 0 };
    const failedFiles = new Set<number>();
    for (;;) {
      if (stop()) return result;
      const fileId = await this.store.nextBatchFile(this.outbox);
      if (fileId === undefined || failedFiles.has(fileId)) return result;
      const [first] = await this.store.batchPage(this.outbox, fileId, 0, 1);
      if (!first) return result;
      const log = this.logger.child({ batchOf: fileId, merchant: first.merchant });
      const ids: number[] = [];
      let name = '';
      try {
        const mapping = await this.outputMapping();
        const label = this.opts.batchLabel ? `${this.opts.batchLabel}-` : '';
        name = `${String(first.body.merchant)}-${String(first.body.channel)}-${label}${fileId}.${mapping?.extension ?? 'ndjson'}`;
        const dest = this.opts.destinationFor(first.merchant);
        if (!dest.writeStream) throw new WharfError('USAGE', `${dest.describe} cannot take batch files`, { hint: 'use batch: order for this destination' });
        const rows = this.rowsOf(fileId, ids);
        const written = await dest.writeStream(name, async (out) => {
          if (mapping) {
            await mapping.render(bodiesOf(rows), out);
            return;
          }
          // Canonical NDJSON: the body's stored text is its compact JSON already (OutboxRow.bodyJson).
          for await (const row of rows) {
            if (!out.write(`${row.bodyJson ?? JSON.stringify(row.body)}\n`)) await once(out, 'drain');
          }
        });
        await this.store.markDelivered(ids, name);
        result[written === 'written' ? 'delivered' : 'unchanged'] += ids.length;
        countDelivery(first, written === 'written' ? 'delivered' : 'unchanged', ids.length);
        log.info({ fileName: name, orders: ids.length }, written === 'written' ? `delivered batch ${name} (${ids.length} orders)` : `already delivered ${name}`);
      } catch (err) {
        failedFiles.add(fileId);
        const retryable = isRetryable(err) || !(err instanceof WharfError);
        const message = describeError(err);
        const retryAt = retryable ? new Date(Date.now() + backoffMs(first.attempts + 1, this.opts.maxBackoffMs)) : null;
        // Every row of the batch shares the fate of the batch.
        let after = 0;
        for (;;) {
          const page = await this.store.batchPage(this.outbox, fileId, after, 1000);
          if (page.length === 0) break;
          for (const row of page) await this.store.markDeliveryFailed(row.id, message, retryAt);
          countDelivery(first, retryable ? 'retry' : 'failed', page.length);
          after = page[page.length - 1]!.id;
        }
        result.failed++;
        log.warn({ fileName: name }, `batch delivery failed${retryable ? ', will retry' : ' and needs attention'}: ${message}`);
      }
    }
  }

  /** The rows a file queued, page by page; collects their outbox ids for the final mark. */
  private async *rowsOf(fileId: number, ids: number[]): AsyncGenerator<OutboxRow> {
    let after = 0;
    for (;;) {
      const page = await this.store.batchPage(this.outbox, fileId, after, 1000);
      if (page.length === 0) return;
      for (const row of page) {
        ids.push(row.id);
        yield row;
      }
      after = page[page.length - 1]!.id;
    }
  }

  /** The output mapping, loaded once (concurrent writers share the one load); undefined for canonical JSON. */
  private outputMapping(): Promise<OutputMapping | undefined> {
    this.mappingLoad ??= this.loadOutputMapping();
    return this.mappingLoad;
  }

  private async loadOutputMapping(): Promise<OutputMapping | undefined> {
    if (!this.opts.mapping) return undefined;
    try {
      const m = await loadMapping(this.opts.mapping, this.opts.mappingsDir);
      const kind = this.outbox === WAREHOUSE_ORDERS ? 'order' : 'product';
      if (m.direction !== 'output' || m.kind !== kind) {
        throw new WharfError('MAPPING_INVALID', `${this.outbox}.mapping ${this.opts.mapping} must be an output mapping of kind ${kind}`, { where: m.file });
      }
      return m;
    } catch (err) {
      // Not kept: the next delivery tries again (a mapping fixed meanwhile is picked up).
      this.mappingLoad = undefined;
      throw err;
    }
  }
}

/** The canonical bodies of `rows`, for an output mapping. */
async function* bodiesOf(rows: AsyncIterable<OutboxRow>): AsyncGenerator<Record<string, unknown>> {
  for await (const row of rows) yield row.body;
}

/** Counts `n` deliveries like `row` (merchant, the record's channel, its action) for the metrics. */
function countDelivery(row: OutboxRow, outcome: DeliveryOutcome, n: number): void {
  const channel = row.body.channel;
  metricsSink()?.delivered(row.merchant, typeof channel === 'string' ? channel : '', row.action, outcome, n);
}

/**
 * `<merchant>-<channel>-<externalId>[.cancel].<ext>`: deterministic, so re-deliveries overwrite nothing.
 * A stem that would not fit NAME_MAX (ids may have 200 characters, merchant and channel ids 64) is cut
 * with a hash of the whole stem (`shortenName`), the same for the order and its cancellation, so that
 * every order gets a name the file system accepts and the two still pair up.
 */
export function orderFileName(row: Pick<OutboxRow, 'action' | 'body'>, extension: string): string {
  const b = row.body;
  const stem = `${String(b.merchant)}-${String(b.channel)}-${fileNameFragment(String(b.externalId), sha256)}`;
  // Room for the longest suffix, `.cancel.` plus an extension of up to 10 characters.
  const fitted = shortenName(stem, NAME_MAX - '.cancel.'.length - 10);
  return `${fitted}${row.action === 'cancel' ? '.cancel' : ''}.${extension}`;
}

async function renderToBuffer(mapping: OutputMapping, record: Record<string, unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  });
  await mapping.render([record], sink);
  return Buffer.concat(chunks);
}

/** Exponential back-off with full jitter, capped. */
export function backoffMs(attempt: number, maxMs: number, baseMs = 1000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
