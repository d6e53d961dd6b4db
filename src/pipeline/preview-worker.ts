/**
 * The read worker's side of the mapping preview (see src/pipeline/preview-remote.ts for the main
 * thread's): runs previewContent on the worker's thread and answers the whole result as JSON text
 * (the HTTP route sends that text as it is; a structured clone of hundreds of records costs more).
 */
import { errorData, type FromWorker, type ToWorker } from './read-pool.js';
import { previewContent } from './preview-content.js';

/** Handles a `preview` message; false for any other message. `send` posts to the main thread. */
export function handlePreviewMessage(msg: ToWorker, send: (msg: FromWorker) => void): boolean {
  if (msg.type !== 'preview') return false;
  previewContent(msg.mappingsDir, msg.mapping, msg.content, msg.fileName).then(
    (result) => send({ type: 'previewed', id: msg.id, result: JSON.stringify(result) }),
    (err: unknown) => send({ type: 'error', id: msg.id, error: errorData(err) }),
  );
  return true;
}
