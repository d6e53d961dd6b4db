/**
 * The read worker's thread (see src/pipeline/read-pool.ts): reads local files with their input mapping
 * and sends the checked records back in chunks, at most AHEAD chunks ahead of the pipeline. Several
 * reads may run at once; each is independent. Runs no ledger code and writes nothing. It also renders
 * stock export files (src/exports/render-worker.ts) and runs mapping previews
 * (src/pipeline/preview-worker.ts) for the main thread.
 */
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { WharfError } from '../errors.js';
import { handleRenderMessage } from '../exports/render-worker.js';
import { loadMapping } from '../mapping/index.js';
import { checkedChunks } from './checked.js';
import { encodeItems } from './item-codec.js';
import { handlePreviewMessage } from './preview-worker.js';
import { AHEAD, errorData, type FromWorker, type ToWorker, type WorkerRead } from './read-pool.js';

interface ReadState {
  /** Chunks sent and not yet taken. */
  ahead: number;
  cancelled: boolean;
  wake?: () => void;
}

const port = parentPort;
if (!port) throw new Error('read-worker.js runs as a worker thread (see read-pool.ts)');
const reads = new Map<number, ReadState>();
const send = (msg: FromWorker) => port.postMessage(msg);

port.on('message', (msg: ToWorker) => {
  if (handleRenderMessage(msg, send) || handlePreviewMessage(msg, send)) return;
  if (msg.type === 'read') {
    void read(msg.id, msg);
    return;
  }
  const state = reads.get(msg.id);
  if (!state) return;
  if (msg.type === 'credit') state.ahead--;
  else state.cancelled = true;
  state.wake?.();
});

async function read(id: number, r: WorkerRead): Promise<void> {
  const state: ReadState = { ahead: 0, cancelled: false };
  reads.set(id, state);
  try {
    const mapping = await loadMapping(r.mapping, r.mappingsDir);
    if (mapping.direction !== 'input' || mapping.kind !== r.kind) {
      // Edited between the pipeline's load and this one: the file is simply read again later.
      throw new WharfError('MAPPING_INVALID', `mapping ${r.mapping} changed while ${r.ctx.fileName} was being read; the file is read again`, { where: mapping.file }, { retryable: true });
    }
    const ctx = { ...r.ctx, notice: (message: string) => send({ type: 'notice', id, message }) };
    const input = createReadStream(r.path, { highWaterMark: 1 << 16 });
    for await (const items of checkedChunks(mapping.readPages(input, ctx), mapping, r)) {
      if (state.cancelled) break;
      send({ type: 'items', id, items: encodeItems(r.kind, items) });
      state.ahead++;
      while (state.ahead >= AHEAD && !state.cancelled) await new Promise<void>((resolve) => (state.wake = resolve));
      state.wake = undefined;
      if (state.cancelled) break;
    }
    if (!state.cancelled) send({ type: 'done', id });
  } catch (err) {
    if (!state.cancelled) send({ type: 'error', id, error: errorData(err) });
  } finally {
    reads.delete(id);
  }
}
