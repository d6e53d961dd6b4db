import { Worker } from 'node:worker_threads';
import { ContentError, TransportError, WharfError, type ErrorCode, type ErrorDetails } from '../errors.js';
import type { StockColumns } from '../exports/stock-record.js';
import type { RecordKind } from '../schemas.js';
import type { CheckedItem } from './checked.js';
import { decodeItems } from './item-codec.js';
import type { MerchantRule, Provenance } from './records.js';

/**
 * The read worker: one worker thread per process that reads local files (parse, map, canonicalise,
 * validate: src/pipeline/read-worker.ts) while the main thread writes the ledger. Memory stays bounded:
 * the worker runs at most AHEAD chunks ahead of what the pipeline has taken. The worker holds the
 * process open only while a read is running.
 */

/** What the worker needs to read one file: all plain data (it crosses the thread boundary). */
export interface WorkerRead {
  path: string;
  mapping: string;
  /** The kind the pipeline loaded the mapping as; the worker refuses a mapping that changed meanwhile. */
  kind: RecordKind;
  mappingsDir: string;
  ctx: { merchant: string; channel: string; fileName: string };
  provenance: Omit<Provenance, 'recordNo'>;
  merchantOf?: MerchantRule;
}

/** An error as it crosses the thread boundary. */
export interface ErrorData {
  kind: 'content' | 'transport' | 'wharf' | 'other';
  message: string;
  code?: string;
  details?: ErrorDetails;
  retryable?: boolean;
}

/** What the worker needs to render a stock export file (src/exports/render-worker.ts). */
export interface WorkerRender {
  /** The export's output mapping (kind stock) and where mappings live. */
  mapping: string;
  mappingsDir: string;
  /** SKUs of computed bundle levels: those records are checked against the stock schema (computedLevel). */
  computedSkus: readonly string[];
}

export type ToWorker =
  | ({ type: 'read'; id: number } & WorkerRead)
  | { type: 'credit' | 'cancel'; id: number }
  | ({ type: 'render'; id: number } & WorkerRender)
  /** The next page of levels to render, in file order; `render-end` after the last. */
  | { type: 'render-page'; id: number; page: StockColumns }
  | { type: 'render-end'; id: number }
  /** A mapping preview (src/pipeline/preview-remote.ts): `content` is the pasted file. */
  | { type: 'preview'; id: number; mappingsDir: string; mapping: string; content: string; fileName?: string };
export type FromWorker =
  /** A preview's answer: a PreviewResult or PreviewRefusal as JSON text. */
  | { type: 'previewed'; id: number; result: string }
  /** Rendered bytes, in file order, and how many pages the worker has taken in full so far. */
  | { type: 'bytes'; id: number; chunks: Uint8Array[]; pages: number }
  /** The render finished (after its last `bytes`): the mapping's counts. */
  | { type: 'rendered'; id: number; records: number; rows: number }

  /** `items`: a chunk of CheckedItem as text (src/pipeline/item-codec.ts). */
  | { type: 'items'; id: number; items: string }
  | { type: 'notice'; id: number; message: string }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; error: ErrorData };

/** Chunks the worker may send before the pipeline has taken them. */
export const AHEAD = 4;

const WORKER_URL = new URL('./read-worker.js', import.meta.url);

/**
 * Whether files can be read in the worker: the worker runs the compiled dist/ code. Under the test
 * runner's on-the-fly TypeScript (src/*.ts) there is no compiled worker, and files are read in-process.
 */
export function workerReadable(): boolean {
  return import.meta.url.endsWith('.js');
}

let worker: Worker | undefined;
let nextId = 1;
/** The reads in progress: each one's message handler, by id. */
const active = new Map<number, (msg: FromWorker) => void>();

/**
 * Starts the worker ahead of the first file (its start, ~0.1–0.2 s of module loading, then overlaps
 * with the caller's own start-up and the sources' first looks). Holds nothing open.
 */
export function warmReadWorker(): void {
  if (workerReadable()) theWorker();
}

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_URL);
  w.on('message', (msg: FromWorker) => active.get(msg.id)?.(msg));
  const stop = (why: string) => {
    if (worker !== w) return;
    worker = undefined;
    // Not a content problem: the batches being read are given back and read again later.
    for (const [id, deliver] of active) deliver({ type: 'error', id, error: { kind: 'other', message: `the read worker stopped (${why}); the file will be read again` } });
  };
  w.on('error', (err) => stop(err instanceof Error ? err.message : String(err)));
  w.on('exit', (code) => stop(`exit code ${code}`));
  // After the listeners: adding a 'message' listener refs the worker's port again.
  w.unref();
  worker = w;
  return w;
}

/** One conversation with the worker (a read or a render): its id, and how to talk to it. */
export interface WorkerJob {
  id: number;
  post(msg: ToWorker): void;
  /** Ends the job: its messages are no longer delivered; the worker no longer holds the process open. */
  close(): void;
}

/**
 * Opens a job with the worker: `onMessage` gets every message the worker sends for it, and an
 * 'error' message when the worker stops. The worker holds the process open while a job is open.
 */
export function openWorkerJob(onMessage: (msg: FromWorker) => void): WorkerJob {
  const w = theWorker();
  const id = nextId++;
  active.set(id, onMessage);
  if (active.size === 1) w.ref();
  return {
    id,
    post: (msg) => {
      if (worker === w) w.postMessage(msg);
    },
    close: () => {
      active.delete(id);
      if (active.size === 0 && worker === w) w.unref();
    },
  };
}

/**
 * Reads one local file in the worker: its checked records in record order, as arrays. `notice` gets
 * the mapping's notices (see MappingContext.notice). Throws what reading threw in the worker, as the
 * same kind of error (a ContentError stays a ContentError), after the records read before it.
 */
export async function* readInWorker(read: WorkerRead, notice?: (message: string) => void): AsyncGenerator<CheckedItem[]> {
  const w = theWorker();
  const id = nextId++;
  const queue: FromWorker[] = [];
  let wake: (() => void) | undefined;
  active.set(id, (msg) => {
    queue.push(msg);
    wake?.();
  });
  if (active.size === 1) w.ref();
  let ended = false;
  try {
    w.postMessage({ type: 'read', id, ...read } satisfies ToWorker);
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const msg = queue.shift()!;
      if (msg.type === 'items') {
        // A turn of the event loop per chunk: the worker keeps a message waiting, and a port hands over
        // every waiting message in one task, so without it timers (the shutdown bound), signals and the
        // other loops would wait for the whole file.
        await new Promise<void>((resolve) => setImmediate(resolve));
        yield decodeItems(read.kind, msg.items);
        w.postMessage({ type: 'credit', id } satisfies ToWorker);
      } else if (msg.type === 'notice') notice?.(msg.message);
      else if (msg.type === 'done') {
        ended = true;
        return;
      } else if (msg.type === 'error') {
        ended = true;
        throw reviveError(msg.error);
      }
    }
  } finally {
    active.delete(id);
    if (!ended && worker === w) w.postMessage({ type: 'cancel', id } satisfies ToWorker);
    if (active.size === 0 && worker === w) w.unref();
  }
}

/** An error as plain data, for postMessage. */
export function errorData(err: unknown): ErrorData {
  if (err instanceof WharfError) {
    const kind = err instanceof ContentError ? 'content' : err instanceof TransportError ? 'transport' : 'wharf';
    return { kind, message: err.message, code: err.code, details: { ...err.details }, retryable: err.retryable };
  }
  const e = err as { message?: unknown; code?: unknown } | undefined;
  return { kind: 'other', message: typeof e?.message === 'string' ? e.message : String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

/** The error errorData described, as the same kind of error. */
export function reviveError(d: ErrorData): Error {
  const details = d.details ?? {};
  switch (d.kind) {
    case 'content':
      return new ContentError(d.code as ErrorCode, d.message, details);
    case 'transport':
      return new TransportError(d.message, details, undefined, d.code as ErrorCode);
    case 'wharf':
      return new WharfError(d.code as ErrorCode, d.message, details, { retryable: d.retryable ?? false });
    default: {
      // A system error (ENOENT, EACCES, ...) keeps its code: isRetryable and the sources look at it.
      const err = new Error(d.message) as NodeJS.ErrnoException;
      if (d.code !== undefined) err.code = d.code;
      return err;
    }
  }
}
