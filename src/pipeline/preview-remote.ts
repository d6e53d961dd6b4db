import { openWorkerJob, reviveError, workerReadable } from './read-pool.js';
import { previewContent, type PreviewRefusal } from './preview-content.js';

/**
 * The mapping preview off the daemon's main thread: parsing, mapping and checking a pasted file of a
 * few MiB is hundreds of milliseconds of CPU, and twenty of them at once held /healthz, intake and
 * deliveries for seconds. Each preview runs on the read worker's thread (src/pipeline/read-pool.ts,
 * handled by src/pipeline/preview-worker.ts); at most PREVIEW_RUNNING at a time there (the worker also
 * reads intake files), at most PREVIEW_WAITING more wait their turn, and any beyond are refused with
 * 503 + Retry-After (a browser's or script's burst must not queue unbounded work and memory).
 */
export const PREVIEW_RUNNING = 2;
export const PREVIEW_WAITING = 8;
/** Seconds a refused preview is told to wait (Retry-After). */
export const PREVIEW_RETRY_AFTER = 5;

let running = 0;
const waiting: (() => void)[] = [];

/** A preview's answer: a PreviewResult as JSON text (sent as it is), or why there is none. */
export type PreviewAnswer = { json: string } | PreviewRefusal;

/**
 * Previews `content` with the input mapping `name` of folder `dir` (see previewContent) on the read
 * worker. Never throws: a refused mapping answers 400/404 as previewContent does, too many previews
 * at once 503 with `retryAfter`, and a worker that stopped or failed 500 with what happened (the worker
 * is started again for the next job; the daemon goes on). Where there is no compiled worker (the test
 * runner's TypeScript sources) it runs in-process.
 */
export async function previewInWorker(dir: string, name: string, content: string, fileName?: string): Promise<PreviewAnswer> {
  if (running >= PREVIEW_RUNNING) {
    if (waiting.length >= PREVIEW_WAITING) {
      return { status: 503, retryAfter: PREVIEW_RETRY_AFTER, message: `${running + waiting.length} mapping previews are running or waiting already; try again in ${PREVIEW_RETRY_AFTER} s` };
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else running++;
  try {
    if (!workerReadable()) {
      const r = await previewContent(dir, name, content, fileName);
      return 'status' in r ? r : { json: JSON.stringify(r) };
    }
    return await runInWorker(dir, name, content, fileName);
  } catch (err) {
    return { status: 500, message: `the preview failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    // The turn passes to the next waiting preview (running stays counted), else is given back.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function runInWorker(dir: string, name: string, content: string, fileName: string | undefined): Promise<PreviewAnswer> {
  return new Promise<PreviewAnswer>((resolve) => {
    const job = openWorkerJob((msg) => {
      if (msg.type === 'previewed') {
        job.close();
        // A refusal is a few bytes (always `{"status":…`); a result is sent on as the text it is.
        resolve(msg.result.startsWith('{"status":') ? (JSON.parse(msg.result) as PreviewRefusal) : { json: msg.result });
      } else if (msg.type === 'error') {
        job.close();
        // The worker stopped (crash, out of memory) or the preview threw: a server fault, not the file's.
        resolve({ status: 500, message: `the preview could not be run: ${reviveError(msg.error).message}; try again (the daemon goes on)` });
      }
    });
    job.post({ type: 'preview', id: job.id, mappingsDir: dir, mapping: name, content, ...(fileName !== undefined ? { fileName } : {}) });
  });
}
