import { createHash } from 'node:crypto';
import { WharfError } from '../errors.js';
import type { IntakeTx, LedgerRecord, StoredRecord } from '../ledger/store.js';

/**
 * Routing: what one canonical record means given what the ledger already holds, and which deliveries
 * it owes (DESIGN "Layout": decided here, once, not in the stores). The stores only offer generic
 * primitives (read/insert/update a record, note a duplicate, enqueue an outbox row); the rules live here.
 */

/** Outbox destination of canonical orders: the warehouse order folder. */
export const WAREHOUSE_ORDERS = 'warehouse.orders';
/** Outbox destination of canonical products (new or changed): the warehouse product folder. */
export const WAREHOUSE_PRODUCTS = 'warehouse.products';

/** What happened to one canonical record when it was routed. */
export type RecordOutcome =
  | 'new' // first time seen: stored, and a delivery is owed (for open orders)
  | 'cancellation' // an order already known as open came again cancelled: a cancellation is owed
  | 'duplicate' // already known, nothing to send
  | 'stored' // stored; nothing to send for an order cancelled before it was sent, a delivery for a new product
  | 'updated'; // a known product with changed content: replaced, and the new version is owed

/** Hash of a record's content without its provenance, to tell an identical re-send from a changed one. */
export function contentHash(body: Record<string, unknown>): string {
  const { source: _source, ...rest } = body;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * The one rule for what an incoming order means given what the ledger knows (DESIGN rule 5):
 * first sight of an open order is new; an open order seen again cancelled is a cancellation;
 * everything else is a duplicate (logged and counted, never sent twice).
 */
export function decideOrder(
  existing: { status: string | null } | undefined,
  incomingStatus: string,
): 'new' | 'stored' | 'cancellation' | 'duplicate' {
  if (!existing) return incomingStatus === 'cancelled' ? 'stored' : 'new';
  if (existing.status !== 'cancelled' && incomingStatus === 'cancelled') return 'cancellation';
  return 'duplicate';
}

/**
 * A product is a catalogue entry, not an event: first sight stores it, a changed one replaces it,
 * and both owe the warehouse a delivery; an unchanged one is a duplicate.
 */
export function decideProduct(existing: { hash: string } | undefined, hash: string): 'stored' | 'updated' | 'duplicate' {
  if (!existing) return 'stored';
  return existing.hash === hash ? 'duplicate' : 'updated';
}

/** The outbox key of one version of a product: each changed version is delivered once. */
export function productDeliveryKey(recordId: string, hash: string): string {
  return `${recordId}#${hash.slice(0, 16)}`;
}

/** How often a record is read again after another instance inserted it first (see IntakeTx.insertRecord). */
const ATTEMPTS = 3;

/**
 * Stores one canonical record inside an open intake and queues the deliveries it owes. Safe against
 * a second instance routing the same record at the same time: on PostgreSQL `getRecord` locks the row,
 * and an insert that loses the race is answered by reading the committed row and deciding again.
 * Throws a retryable LEDGER_FAILED when the row keeps changing under it (no code path does that).
 */
export async function route(tx: IntakeTx, rec: StoredRecord): Promise<RecordOutcome> {
  const body = JSON.stringify(rec.body);
  const hash = contentHash(rec.body);
  const status = typeof rec.body.status === 'string' ? rec.body.status : null;
  const write = { id: rec.id, kind: rec.kind, merchant: rec.merchant, channel: rec.channel, hash, body, recordNo: rec.recordNo };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const existing = await tx.getRecord(rec.id);
    const decided = rec.kind === 'product'
      ? await routeProduct(tx, rec, existing, write)
      : rec.kind === 'order'
        ? await routeOrder(tx, rec, existing, write, status ?? 'open')
        : await routeOther(tx, existing, write, status);
    if (decided) return decided;
  }
  throw new WharfError('LEDGER_FAILED', `record ${rec.id} changed concurrently; the file will be processed again`, {}, { retryable: true });
}

type Write = { id: string; kind: StoredRecord['kind']; merchant: string; channel: string; hash: string; body: string; recordNo: number };

/** Undefined: another instance inserted the record meanwhile; decide again. */
async function routeProduct(tx: IntakeTx, rec: StoredRecord, existing: LedgerRecord | undefined, w: Write): Promise<RecordOutcome | undefined> {
  const decision = decideProduct(existing, w.hash);
  if (decision === 'duplicate') {
    await tx.addDuplicate(rec.id, false);
    return 'duplicate';
  }
  if (decision === 'stored') {
    if (!(await tx.insertRecord({ ...w, status: null }))) return undefined;
  } else {
    await tx.updateRecord({ ...w, status: null });
  }
  await tx.enqueue({ destination: WAREHOUSE_PRODUCTS, recordId: productDeliveryKey(rec.id, w.hash), merchant: rec.merchant, action: 'product', body: w.body });
  return decision;
}

async function routeOrder(tx: IntakeTx, rec: StoredRecord, existing: LedgerRecord | undefined, w: Write, status: string): Promise<RecordOutcome | undefined> {
  const decision = decideOrder(existing, status);
  switch (decision) {
    case 'new':
    case 'stored':
      if (!(await tx.insertRecord({ ...w, status }))) return undefined;
      if (decision === 'new') await tx.enqueue({ destination: WAREHOUSE_ORDERS, recordId: rec.id, merchant: rec.merchant, action: 'order', body: w.body });
      return decision;
    case 'cancellation':
      await tx.updateRecord({ ...w, status: 'cancelled' });
      await tx.enqueue({ destination: WAREHOUSE_ORDERS, recordId: rec.id, merchant: rec.merchant, action: 'cancel', body: w.body });
      return 'cancellation';
    default:
      await tx.addDuplicate(rec.id, existing!.hash !== w.hash);
      return 'duplicate';
  }
}

/** Stock levels and shipments: stored once, owing nothing; a second sight is a duplicate. */
async function routeOther(tx: IntakeTx, existing: LedgerRecord | undefined, w: Write, status: string | null): Promise<RecordOutcome | undefined> {
  if (existing) {
    await tx.addDuplicate(w.id, existing.hash !== w.hash);
    return 'duplicate';
  }
  return (await tx.insertRecord({ ...w, status })) ? 'stored' : undefined;
}
