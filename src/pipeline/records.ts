import { echo } from '../errors.js';
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
 * mapped fields in their schema order, then `source`. Merchant and channel come from `p`, never from
 * the mapped value: `p.merchant` is the channel's merchant, or the one checkRecord's MerchantRule chose.
 */
export function toCanonical(kind: RecordKind, value: Record<string, unknown>, p: Provenance): Record<string, unknown> {
  const { id: _id, merchant: _m, channel: _c, source: _s, ...fields } = value;
  switch (kind) {
    case 'order': {
      const source = { type: p.sourceType, name: p.fileName, record: p.recordNo, receivedAt: p.receivedAt };
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
 * Whose a record is, decided once per batch (issue 8):
 * - `channel` (merchant channels, and the default): the channel's merchant; a mapped `merchant` is
 *   ignored, so a file can never speak for another merchant;
 * - `fixed` (a report source with `merchant:`): that merchant; a mapped `merchant` that differs is a
 *   record error;
 * - `field` (a report source without `merchant:`): the record's mapped `merchant`, which must be one
 *   of `known` (the configured merchants), else a record error.
 */
export type MerchantRule =
  | { from: 'channel' }
  | { from: 'fixed'; merchant: string }
  | { from: 'field'; known: ReadonlySet<string> };

/**
 * The merchant of one mapped record under `rule`; `channelMerchant` is the batch's (provenance)
 * merchant. Returns `{ merchant }` or `{ problem }` (path `merchant`, the offending value cut with echo()).
 */
export function merchantOf(rule: MerchantRule, value: Record<string, unknown>, channelMerchant: string): { merchant: string } | { problem: { path: string; message: string } } {
  const raw = value.merchant;
  const mapped = raw === undefined || raw === null || raw === '' ? undefined : String(raw);
  switch (rule.from) {
    case 'channel':
      return { merchant: channelMerchant };
    case 'fixed':
      if (mapped !== undefined && mapped !== rule.merchant) {
        return { problem: { path: 'merchant', message: `merchant ${echo(mapped)} but this report source belongs to ${rule.merchant}; send that merchant's records to its own report source, or remove merchant from the mapping` } };
      }
      return { merchant: rule.merchant };
    case 'field':
      if (mapped === undefined) {
        return { problem: { path: 'merchant', message: `the record names no merchant, and this report source has no fixed merchant; map the report's merchant column to the field merchant, or set merchant: <id> on the report source` } };
      }
      if (!rule.known.has(mapped)) {
        return { problem: { path: 'merchant', message: `merchant ${echo(mapped)} is not one of the ${rule.known.size} configured merchant(s); correct the report's merchant column, or add the merchant to the config` } };
      }
      return { merchant: mapped };
  }
}

/**
 * The one per-record step shared by intake and the `validate`/`map` previews: mapping errors stand
 * as they are; a cleanly mapped value gets its merchant (`rule`, default: the channel's), becomes
 * canonical and is validated against its schema.
 */
export function checkRecord(kind: RecordKind, rec: { recordNo: number; value?: Record<string, unknown>; errors: { path: string; message: string }[] }, p: Omit<Provenance, 'recordNo'>, rule: MerchantRule = { from: 'channel' }): CheckedRecord {
  if (!rec.value || rec.errors.length > 0) return { problems: rec.errors };
  const owner = merchantOf(rule, rec.value, p.merchant);
  if ('problem' in owner) return { problems: [owner.problem] };
  // Spelled out: `{ ...p, merchant, recordNo }` took V8's slow object-spread path once per record.
  const provenance: Provenance = { merchant: owner.merchant, channel: p.channel, sourceType: p.sourceType, fileName: p.fileName, recordNo: rec.recordNo, receivedAt: p.receivedAt };
  const canonical = toCanonical(kind, rec.value, provenance);
  const problems = validateRecord(kind, canonical);
  return problems.length > 0 ? { problems } : { canonical, problems };
}
