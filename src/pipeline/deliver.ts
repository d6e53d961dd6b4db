import { Writable } from 'node:stream';
import type { Logger } from '../log.js';
import { WharfError, describeError, isRetryable } from '../errors.js';
import type { OutboxRow, Store } from '../ledger/store.js';
import { WAREHOUSE_ORDERS } from '../ledger/sql.js';
import { loadMapping } from '../mapping/index.js';
import type { OutputMapping } from '../mapping/types.js';
import { fileNameFragment } from '../sources/names.js';
import type { FileDestination } from '../sources/types.js';
import { sha256 } from './hash.js';

export interface OrderOutputOptions {
  /** Destination folder per merchant (the config's `{merchant}` placeholder is resolved here). */
  destinationFor(merchant: string): FileDestination;
  /** Output mapping name, or undefined for canonical JSON. */
  mapping?: string;
  mappingsDir: string;
  maxBackoffMs: number;
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
export class OrderDelivery {
  private mapping: OutputMapping | undefined;
  private mappingLoaded = false;

  constructor(private readonly store: Store, private readonly opts: OrderOutputOptions, private readonly logger: Logger) {}

  async deliverDue(batch = 200): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: 0, unchanged: 0, failed: 0 };
    for (;;) {
      const rows = await this.store.dueDeliveries(WAREHOUSE_ORDERS, batch);
      if (rows.length === 0) return result;
      for (const row of rows) {
        const outcome = await this.deliverOne(row);
        result[outcome]++;
      }
      if (rows.length < batch) return result;
    }
  }

  private async deliverOne(row: OutboxRow): Promise<'delivered' | 'unchanged' | 'failed'> {
    const log = this.logger.child({ delivery: row.id, record: row.recordId, merchant: row.merchant });
    let name = '';
    try {
      const mapping = await this.outputMapping();
      name = orderFileName(row, mapping?.extension ?? 'json');
      const data = mapping ? await renderToBuffer(mapping, row.body) : Buffer.from(`${JSON.stringify(row.body, null, 2)}\n`);
      const dest = this.opts.destinationFor(row.merchant);
      const written = await dest.write(name, data);
      await this.store.markDelivered([row.id], name);
      log.info({ fileName: name, action: row.action }, written === 'written' ? `delivered ${row.action === 'cancel' ? 'cancellation' : 'order'} ${name}` : `already delivered ${name} (identical file present)`);
      return written === 'written' ? 'delivered' : 'unchanged';
    } catch (err) {
      const retryable = isRetryable(err) || !(err instanceof WharfError);
      const message = describeError(err);
      if (retryable) {
        const delay = backoffMs(row.attempts + 1, this.opts.maxBackoffMs);
        await this.store.markDeliveryFailed(row.id, message, new Date(Date.now() + delay));
        log.warn({ fileName: name, attempt: row.attempts + 1, retryInMs: delay }, `delivery failed, will retry: ${message}`);
      } else {
        await this.store.markDeliveryFailed(row.id, message, null);
        log.error({ fileName: name }, `delivery failed and needs attention (wharf retry after fixing): ${message}`);
      }
      return 'failed';
    }
  }

  private async outputMapping(): Promise<OutputMapping | undefined> {
    if (!this.mappingLoaded && this.opts.mapping) {
      const m = await loadMapping(this.opts.mapping, this.opts.mappingsDir);
      if (m.direction !== 'output' || m.kind !== 'order') {
        throw new WharfError('MAPPING_INVALID', `warehouse.orders.mapping ${this.opts.mapping} must be an output mapping of kind order`, { where: m.file });
      }
      this.mapping = m;
    }
    this.mappingLoaded = true;
    return this.mapping;
  }
}

/** `<merchant>-<channel>-<externalId>[.cancel].<ext>`: deterministic, so re-deliveries overwrite nothing. */
export function orderFileName(row: Pick<OutboxRow, 'action' | 'body'>, extension: string): string {
  const b = row.body;
  const stem = `${String(b.merchant)}-${String(b.channel)}-${fileNameFragment(String(b.externalId), sha256)}`;
  return `${stem}${row.action === 'cancel' ? '.cancel' : ''}.${extension}`;
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
