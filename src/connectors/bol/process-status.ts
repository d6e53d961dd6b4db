import { TransportError, WharfError } from '../../errors.js';
import { bolDefaults } from './config.js';
import type { BolContext } from './context.js';

/** bol's answer to an asynchronous request (202) and to GET /shared/process-status/{id}. */
export interface ProcessStatus {
  processStatusId?: string;
  entityId?: string;
  eventType?: string;
  status?: 'PENDING' | 'SUCCESS' | 'FAILURE' | 'TIMEOUT';
  errorMessage?: string;
}

/** Longest wait between two looks at a process status. */
const MAX_POLL_MS = 15_000;

/**
 * Polls GET /shared/process-status/{id} until bol has processed the request: the first look after
 * `processPollInterval` seconds, each next one after twice as long (at most 15 s), for at most
 * `processTimeout` seconds. Returns the final status (SUCCESS or FAILURE; the caller decides what a
 * FAILURE means). bol keeps process statuses only for a while and then answers 404.
 * https://api.bol.com/retailer/public/redoc/v10/shared.html#tag/Process-Status
 * @throws TransportError (retryable) on TIMEOUT, on a 404 (expired id), when still PENDING at the deadline,
 *   and for transport trouble: the outcome is unknown, the next attempt reads bol's state first.
 */
export async function awaitProcess(ctx: BolContext, first: ProcessStatus, what: string): Promise<ProcessStatus> {
  let delay = (ctx.config.processPollInterval ?? bolDefaults.processPollInterval) * 1000;
  const deadline = ctx.now() + (ctx.config.processTimeout ?? bolDefaults.processTimeout) * 1000;
  let status = first;
  for (;;) {
    if (status.status === 'SUCCESS' || status.status === 'FAILURE') return status;
    if (status.status === 'TIMEOUT') throw new TransportError(`bol: processing ${what} timed out at bol (process status TIMEOUT${status.errorMessage ? `: ${status.errorMessage}` : ''})`, { hint: 'Wharf checks on the next attempt whether bol has it and sends it again only if not' });
    const id = status.processStatusId;
    if (!id) throw new WharfError('TRANSPORT_FAILED', `bol: the answer to ${what} has no process status id`, {}, { retryable: true });
    if (ctx.now() >= deadline) throw new TransportError(`bol: ${what} was still being processed by bol after ${ctx.config.processTimeout ?? bolDefaults.processTimeout} s (process status ${id} PENDING)`, { hint: 'Wharf checks on the next attempt whether bol has it; raise processTimeout if this happens often' });
    await ctx.sleep(delay);
    delay = Math.min(delay * 2, MAX_POLL_MS);
    let res;
    try {
      res = await ctx.http.request<ProcessStatus>({ path: `/shared/process-status/${encodeURIComponent(id)}`, signal: ctx.signal });
    } catch (err) {
      if (err instanceof WharfError && err.code === 'NOT_FOUND') {
        throw new TransportError(`bol: the process status ${id} of ${what} has expired (HTTP 404) before it said SUCCESS or FAILURE`, { hint: 'Wharf checks on the next attempt whether bol has it' }, err);
      }
      throw err;
    }
    status = { processStatusId: id, ...res.body };
  }
}
