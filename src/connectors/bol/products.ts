import { parse } from 'csv-parse/sync';
import { TransportError, WharfError } from '../../errors.js';
import type { ProductPage } from '../types.js';
import { bolDefaults } from './config.js';
import type { BolContext } from './context.js';

interface ProcessStatus {
  processStatusId?: string;
  entityId?: string;
  status?: 'PENDING' | 'SUCCESS' | 'FAILURE' | 'TIMEOUT';
  errorMessage?: string;
}

/** Rows per yielded page of the offer export. */
const PAGE = 500;

/**
 * The retailer's offers, from bol's offer export: request it (POST /retailer/offers/export), wait
 * for the process status to succeed, then read the CSV (offerId, ean, referenceCode, stock, …);
 * each record is one CSV row as an object keyed by the header. bol has no paged offer list.
 * https://api.bol.com/retailer/public/redoc/v10/retailer.html#tag/Offers
 */
export async function* pullProducts(ctx: BolContext): AsyncGenerator<ProductPage> {
  const started = await ctx.http.request<ProcessStatus>({ method: 'POST', idempotent: true, path: '/retailer/offers/export', json: { format: 'CSV' }, headers: { 'content-type': bolDefaults.mediaType }, signal: ctx.signal });
  const reportId = await waitForProcess(ctx, started.body ?? {});
  const csv = await ctx.http.request<string>({ path: `/retailer/offers/export/${encodeURIComponent(reportId)}`, as: 'text', headers: { accept: bolDefaults.csvMediaType }, signal: ctx.signal });
  const rows = parse(csv.body, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  for (let i = 0; i < rows.length; i += PAGE) yield { records: rows.slice(i, i + PAGE) };
}

async function waitForProcess(ctx: BolContext, first: ProcessStatus): Promise<string> {
  const interval = (ctx.config.exportPollInterval ?? bolDefaults.exportPollInterval) * 1000;
  const deadline = ctx.now() + (ctx.config.exportTimeout ?? bolDefaults.exportTimeout) * 1000;
  let status = first;
  for (;;) {
    if (status.status === 'SUCCESS' && status.entityId) return status.entityId;
    if (status.status === 'FAILURE' || status.status === 'TIMEOUT') {
      throw new TransportError(`bol: the offer export failed (${status.status}${status.errorMessage ? `: ${status.errorMessage}` : ''})`);
    }
    if (!status.processStatusId) throw new WharfError('TRANSPORT_FAILED', 'bol: the offer export answer has no process status id', {}, { retryable: false });
    if (ctx.now() >= deadline) throw new TransportError('bol: the offer export was not ready in time', { hint: 'raise exportTimeout; Wharf tries again on the next run' });
    await ctx.sleep(interval);
    const res = await ctx.http.request<ProcessStatus>({ path: `/shared/process-status/${encodeURIComponent(status.processStatusId)}`, signal: ctx.signal });
    status = { processStatusId: status.processStatusId, ...res.body };
  }
}
