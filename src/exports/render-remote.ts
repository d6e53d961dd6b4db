import type { Writable } from 'node:stream';
import type { StockLevel } from '../ledger/store.js';
import { writeChunk } from '../formats/writers.js';
import { AHEAD, openWorkerJob, reviveError, type FromWorker, type WorkerRender } from '../pipeline/read-pool.js';
import type { ExportRenderResult } from './render.js';
import { toColumns } from './stock-record.js';

/**
 * Renders a stock export file on the read worker's core (src/exports/render-worker.ts) while this
 * thread reads the pages from the ledger and writes the bytes to `out`: the same bytes as
 * `renderExport(mapping, stockRecords, out, { needsCheck: computedLevel(computedSkus) })` in-process
 * (the worker runs exactly that). At most AHEAD pages are in the worker at a time, and `out`'s
 * back-pressure holds the next page back, so memory stays bounded by a few pages. `out` is not ended.
 *
 * Throws what rendering threw in the worker as the same kind of error (ContentError RECORD_INVALID for
 * a record the schema or the file's encoding refuses), what `pages` or `out` throw, or an Error when
 * the worker stopped; the caller must discard what was written (it writes to a temporary file).
 */
export async function renderStockInWorker(render: WorkerRender, pages: AsyncIterable<StockLevel[]>, out: Writable): Promise<ExportRenderResult> {
  const queue: FromWorker[] = [];
  let wake: (() => void) | undefined;
  const job = openWorkerJob((msg) => {
    queue.push(msg);
    wake?.();
  });
  let sent = 0;
  let taken = 0;
  let bytes = 0;
  let done: { records: number; rows: number } | undefined;
  let failed = true;
  /** Handles the worker's next message (waiting for one): bytes are written, an error thrown. */
  const next = async (): Promise<void> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    const msg = queue.shift()!;
    if (msg.type === 'bytes') {
      for (const c of msg.chunks) {
        const b = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
        bytes += b.length;
        await writeChunk(out, b);
      }
      taken = msg.pages;
    } else if (msg.type === 'rendered') done = { records: msg.records, rows: msg.rows };
    else if (msg.type === 'error') throw reviveError(msg.error);
  };
  try {
    job.post({ type: 'render', id: job.id, ...render });
    for await (const page of pages) {
      job.post({ type: 'render-page', id: job.id, page: toColumns(page) });
      sent++;
      while (queue.length > 0 || sent - taken >= AHEAD) await next();
    }
    job.post({ type: 'render-end', id: job.id });
    while (!done) await next();
    failed = false;
    return { ...done, bytes };
  } finally {
    if (failed) job.post({ type: 'cancel', id: job.id });
    job.close();
  }
}
