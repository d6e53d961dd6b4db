import type { RecordKind } from '../schemas.js';
import { validateRecord } from '../schemas.js';

export interface Provenance {
  merchant: string;
  channel: string;
  sourceType: string;
  fileName: string;
  recordNo: number;
  receivedAt: string;
}

/**
 * Turns a mapped value into a canonical record: identity first (id, merchant, channel), then the
 * mapped fields in their schema order, then `source`. Merchant and channel always come from the
 * channel the data arrived on, never from the data: one merchant's file cannot speak for another.
 */
export function toCanonical(kind: RecordKind, value: Record<string, unknown>, p: Provenance): Record<string, unknown> {
  const { id: _id, merchant: _m, channel: _c, source: _s, ...fields } = value;
  const source = { type: p.sourceType, name: p.fileName, record: p.recordNo, receivedAt: p.receivedAt };
  switch (kind) {
    case 'order': {
      const externalId = typeof fields.externalId === 'string' ? fields.externalId : '';
      return { id: `${p.merchant}:${p.channel}:${externalId}`, merchant: p.merchant, channel: p.channel, ...withStatus(fields), source };
    }
    case 'product':
      return { merchant: p.merchant, channel: p.channel, ...fields };
    default:
      return { merchant: p.merchant, ...fields };
  }
}

function withStatus(fields: Record<string, unknown>): Record<string, unknown> {
  return fields.status === undefined ? { ...fields, status: 'open' } : fields;
}

/** The ledger key of a canonical record. */
export function recordKey(kind: RecordKind, rec: Record<string, unknown>): string {
  switch (kind) {
    case 'order':
      return String(rec.id);
    case 'product':
      return `product:${String(rec.merchant)}:${String(rec.channel)}:${String(rec.sku)}`;
    case 'stock':
      return `stock:${String(rec.merchant)}:${String(rec.sku)}:${String(rec.warehouse ?? '')}:${String(rec.asOf ?? '')}`;
    case 'shipment':
      return `shipment:${String(rec.merchant)}:${String(rec.orderId)}:${String(rec.shipmentId ?? rec.trackingNumber ?? rec.shippedAt)}`;
  }
}

/** A mapped record after canonicalisation and schema validation. */
export interface CheckedRecord {
  canonical?: Record<string, unknown>;
  problems: { path: string; message: string }[];
}

/**
 * The one per-record step shared by intake and the `validate`/`map` previews: mapping errors stand
 * as they are; a cleanly mapped value becomes canonical and is validated against its schema.
 */
export function checkRecord(kind: RecordKind, rec: { recordNo: number; value?: Record<string, unknown>; errors: { path: string; message: string }[] }, p: Omit<Provenance, 'recordNo'>): CheckedRecord {
  if (!rec.value || rec.errors.length > 0) return { problems: rec.errors };
  const canonical = toCanonical(kind, rec.value, { ...p, recordNo: rec.recordNo });
  const problems = validateRecord(kind, canonical);
  return problems.length > 0 ? { problems } : { canonical, problems };
}
