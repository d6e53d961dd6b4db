import type { ChannelConnector, ShipmentPush } from '../connectors/index.js';
import { takePushLease } from './lease.js';
import type { ChannelEntry } from '../config/entries.js';
import { describeError, WharfError } from '../errors.js';
import type { OutboxRow, Store } from '../ledger/store.js';
import type { Logger } from '../log.js';
import { backoffMs } from '../pipeline/deliver.js';
import { shipmentPushDestination, type ShipmentPushBody } from '../pipeline/routing.js';

/**
 * The shipment push of one webshop channel (platform-independent; the platform's part is
 * `ChannelPush.pushShipment`). Works the outbox rows of `push:<merchant>/<channel>:shipments` that are
 * due, oldest first, one at a time: each row is one parcel, routed once (src/pipeline/routing.ts), so a
 * shipment is reported once. A row is delivered only after the shop confirmed it; a retryable failure
 * (network, timeout, 429, 5xx) comes back with back-off and `attempts` + 1, which tells the connector
 * to read the shop's state before sending again (the answer of the failed attempt may have been lost
 * after the shop did the work). The same holds for a row that was being sent when its process died
 * (kill -9, crash): each send is marked in the ledger first (`markDeliverySending`), and a row read
 * back with the mark still on counts as one more attempt, so the next run reads the shop before
 * sending again — never a second fulfilment, note or shipment. A refusal for content (order
 * cancelled or gone, a 4xx) fails the row with the shop's message until `wharf retry`. With `dryRun`
 * nothing is sent or changed.
 */
export interface ShipmentPushOptions {
  store: Store;
  logger: Logger;
  /** Longest back-off between attempts of one row (config `delivery.maxBackoff`), ms. */
  maxBackoffMs: number;
  dryRun?: boolean;
  onProgress?: (p: { done: number; failed: number }) => void;
}

export interface ShipmentPushLine {
  shipmentId: string;
  orderRef: string;
  trackingNumber: string | null;
  carrier: string | null;
  outcome: 'pushed' | 'already-there' | 'retry' | 'failed' | 'dry-run';
  detail: string;
}

export interface ShipmentPushRunResult {
  channel: string;
  pushed: number;
  retry: number;
  failed: number;
  lines: ShipmentPushLine[];
  /** The earliest time a row that failed retryably in this run is due again (undefined: none). */
  nextRetryAt?: Date;  /** Set when the run was skipped because another process is pushing this channel's shipments (the message). */
  skipped?: string;
}

const PAGE = 50;

export async function runShipmentPush(entry: ChannelEntry, connector: ChannelConnector, opts: ShipmentPushOptions): Promise<ShipmentPushRunResult> {
  const { store } = opts;
  const destination = shipmentPushDestination(entry.key);
  const log = opts.logger.child({ merchant: entry.merchant, channel: entry.channel, job: 'shipment-push' });
  const result: ShipmentPushRunResult = { channel: entry.key, pushed: 0, retry: 0, failed: 0, lines: [] };
  const notifyCustomer = connector.push.settings.shipments.notifyCustomer;
  const seen = new Set<number>();
  // One shipment push per channel at a time, across processes: SQLite's dueDeliveries does not claim
  // rows, so two processes would send the same row (src/push/lease.ts).
  const taken = opts.dryRun ? undefined : await takePushLease(store, `push:${entry.key}:shipments`);
  if (taken && 'busy' in taken) {
    log.info(taken.busy);
    return { ...result, skipped: taken.busy };
  }
  const lease = taken?.lease;
  try {
    return await pushRows();
  } finally {
    await lease?.release();
  }

  async function pushRows(): Promise<ShipmentPushRunResult> {
    for (;;) {
      const rows = (await store.dueDeliveries(destination, PAGE)).filter((r) => !seen.has(r.id));
      if (!rows.length) break;
      for (const row of rows) {
        seen.add(row.id);
        let push: ShipmentPush;
        try {
          push = shipmentPushOf(row, notifyCustomer);
        } catch (err) {
          await store.markDeliveryFailed(row.id, describeError(err), null);
          result.failed++;
          continue;
        }
        const line = { shipmentId: push.shipmentId, orderRef: push.orderRef, trackingNumber: push.trackingNumber, carrier: push.carrier };
        if (opts.dryRun) {
          result.lines.push({ ...line, outcome: 'dry-run', detail: `order ${push.orderRef} → ${push.carrier ?? 'carrier?'} ${push.trackingNumber ?? '(no tracking)'}${push.completesOrder ? ' (completes the order)' : ' (partial)'}` });
          continue;
        }
        if (row.sendingSince) {
          log.warn({ shipment: push.shipmentId, order: push.orderRef, sendingSince: row.sendingSince }, `shipment push was being sent when an earlier run stopped (${row.sendingSince}); reading the shop's state before sending again`);
        }
        try {
          // Before the send: a run that dies mid-send leaves the mark, and the next run reads first.
          await store.markDeliverySending(row.id);
          const r = await connector.push.pushShipment(push);
          await store.markDelivered([row.id], `${connector.type} order ${push.orderRef}`);
          result.pushed++;
          result.lines.push({ ...line, outcome: r.outcome, detail: r.detail });
          log.info({ shipment: push.shipmentId, order: push.orderRef, outcome: r.outcome }, `shipment pushed: ${r.detail}`);
        } catch (err) {
          const message = describeError(err);
          const retryable = err instanceof WharfError ? err.retryable : true;
          if (retryable) {
            const delay = backoffMs(row.attempts + 1, opts.maxBackoffMs);
            const at = new Date(Date.now() + delay);
            await store.markDeliveryFailed(row.id, message, at);
            if (!result.nextRetryAt || at < result.nextRetryAt) result.nextRetryAt = at;
            result.retry++;
            result.lines.push({ ...line, outcome: 'retry', detail: message });
            log.warn({ shipment: push.shipmentId, order: push.orderRef, attempt: row.attempts + 1, retryInMs: delay }, `shipment push failed, will retry (reading the shop's state first): ${message}`);
          } else {
            await store.markDeliveryFailed(row.id, message, null);
            result.failed++;
            result.lines.push({ ...line, outcome: 'failed', detail: message });
            log.error({ shipment: push.shipmentId, order: push.orderRef }, `shipment push refused, not retried until \`wharf retry\`: ${message}`);
          }
        }
        opts.onProgress?.({ done: result.pushed, failed: result.failed + result.retry });
        await lease?.renew();
      }
      if (opts.dryRun) break;
    }
    return result;
  }
}

/** The push of one outbox row (body written by routing, see ShipmentPushBody). Throws RECORD_INVALID on a row it cannot read. */
export function shipmentPushOf(row: OutboxRow, notifyCustomer: boolean): ShipmentPush {
  const b = row.body as unknown as Partial<ShipmentPushBody>;
  const s = b.shipment;
  if (!s || typeof b.orderRef !== 'string' || !b.orderRef) {
    throw new WharfError('RECORD_INVALID', `outbox row ${row.id} (${row.recordId}) is not a shipment push (no shipment or order reference)`, {}, { retryable: false });
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  // The shop's lines fixed at routing (`b.lines`, with lineRef); rows queued before they existed carry
  // only the shipment's own lines (warehouse SKU and quantity).
  const raw = Array.isArray(b.lines) ? b.lines : Array.isArray(s.lines) ? s.lines : [];
  const lines = (raw as { sku?: unknown; quantity?: unknown; lineRef?: unknown }[]).map((l) =>
    typeof l.lineRef === 'string' && l.lineRef !== '' ? { sku: String(l.sku), quantity: Number(l.quantity), lineRef: l.lineRef } : { sku: String(l.sku), quantity: Number(l.quantity) },
  );
  return {
    shipmentId: str(s.shipmentId) ?? row.recordId,
    orderId: String(s.orderId),
    orderRef: b.orderRef,
    carrier: str(s.carrier),
    trackingNumber: str(s.trackingNumber),
    trackingUrl: str(s.trackingUrl),
    shippedAt: str(s.shippedAt),
    lines,
    completesOrder: b.completesOrder !== false,
    notifyCustomer,
    // A send whose process died before its outcome was recorded is an attempt whose answer was lost.
    attempts: row.attempts + (row.sendingSince ? 1 : 0),
  };
}
