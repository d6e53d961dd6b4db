/**
 * The worker thread's side of rendering a stock export file (see src/exports/render-remote.ts for the
 * main thread's): pages of levels come in as columns, the rendered bytes go back in file order, each
 * batch with the number of pages taken so far (the main thread's flow control). The file itself is
 * written by the main thread (temporary file, then rename), so nothing here touches the destination.
 */
import { Writable } from 'node:stream';
import { WharfError } from '../errors.js';
import { loadMapping } from '../mapping/index.js';
import { errorData, type FromWorker, type ToWorker, type WorkerRender } from '../pipeline/read-pool.js';
import { renderExport } from './render.js';
import { columnRecord, computedLevel, type StockColumns } from './stock-record.js';

interface RenderState {
  pages: StockColumns[];
  ended: boolean;
  cancelled: boolean;
  wake?: () => void;
}

const renders = new Map<number, RenderState>();

/**
 * Handles one message of a render job; false when the message is not one (a read's). `send` posts to
 * the main thread.
 */
export function handleRenderMessage(msg: ToWorker, send: (msg: FromWorker) => void): boolean {
  if (msg.type === 'render') {
    void render(msg.id, msg, send);
    return true;
  }
  const state = renders.get(msg.id);
  if (!state) return msg.type === 'render-page' || msg.type === 'render-end';
  if (msg.type === 'render-page') state.pages.push(msg.page);
  else if (msg.type === 'render-end') state.ended = true;
  else if (msg.type === 'cancel') state.cancelled = true;
  else return false;
  state.wake?.();
  return true;
}

async function render(id: number, r: WorkerRender, send: (msg: FromWorker) => void): Promise<void> {
  const state: RenderState = { pages: [], ended: false, cancelled: false };
  renders.set(id, state);
  let chunks: Uint8Array[] = [];
  let taken = 0;
  let told = 0;
  const flush = () => {
    if (chunks.length === 0 && taken === told) return;
    send({ type: 'bytes', id, chunks, pages: taken });
    chunks = [];
    told = taken;
  };
  try {
    const mapping = await loadMapping(r.mapping, r.mappingsDir);
    if (mapping.direction !== 'output' || mapping.kind !== 'stock') {
      throw new WharfError('MAPPING_INVALID', `mapping ${r.mapping} changed while the export was being rendered; the export runs again`, { where: mapping.file }, { retryable: true });
    }
    const out = new Writable({
      write(chunk: Buffer, _encoding, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    async function* pages(): AsyncGenerator<Record<string, unknown>[]> {
      for (;;) {
        while (state.pages.length === 0 && !state.ended && !state.cancelled) {
          flush();
          await new Promise<void>((resolve) => (state.wake = resolve));
          state.wake = undefined;
        }
        if (state.cancelled) throw new Error('render cancelled');
        const page = state.pages.shift();
        if (!page) return;
        const records = new Array<Record<string, unknown>>(page.sku.length);
        for (let i = 0; i < page.sku.length; i++) records[i] = columnRecord(page, i);
        yield records;
        taken++;
        flush();
      }
    }
    const counts = await renderExport(mapping, { pages: pages() }, out, { needsCheck: computedLevel(r.computedSkus) });
    await new Promise<void>((resolve) => out.end(resolve));
    flush();
    send({ type: 'rendered', id, records: counts.records, rows: counts.rows });
  } catch (err) {
    if (!state.cancelled) send({ type: 'error', id, error: errorData(err) });
  } finally {
    renders.delete(id);
  }
}
