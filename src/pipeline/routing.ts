import { createHash } from 'node:crypto';
import { WharfError, echo } from '../errors.js';
import type { IntakeTx, LedgerRecord, StockKey, StockLevel, StoredRecord } from '../ledger/store.js';

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
  | 'updated' // a known product with changed content: replaced, and the new version is owed
  | 'stock-updated' // a stock level the ledger did not hold, or a new quantity for it
  | 'stock-unchanged' // the quantity the ledger holds already (its asOf moves on)
  | 'stock-older' // counted before the level the ledger holds (a report that arrived late): kept as it is
  | 'shipment'; // a new shipment of a known order: stored, and owed to the merchant's shipment export if any

/** A record that is well-formed but contradicts the ledger: reported in the file's quarantine report. */
export interface RecordProblem {
  /** Canonical field path, e.g. `orderId` or `lines[0].quantity`. */
  path: string;
  message: string;
}

export type RouteResult = RecordOutcome | { invalid: RecordProblem[] };

/** How a report source's stock levels are taken (config `warehouse.reports.<name>.stock`). */
export interface StockPolicy {
  /** delta: each level is taken as it is; full: the report lists every SKU of the locations it covers. */
  mode: 'delta' | 'full';
  /** full only: levels the report does not list become 0 (`zero`) or stay (`keep`). */
  absent: 'zero' | 'keep';
  /** `report`: a SKU the merchant's catalogue (product records) lacks is a record error. */
  unknownSku: 'accept' | 'report';
}

/**
 * What routing needs from the loaded config, passed in explicitly: the merchants with
 * `exports.shipments`, and the stock policy of the report source the file came from.
 */
export interface RoutingPolicy {
  shipmentExports: ReadonlySet<string>;
  /** Webshop channels (`<merchant>/<channel>`) with `push.shipments.enabled`: their orders' shipments owe a push. */
  shipmentPushes?: ReadonlySet<string>;
  stock: StockPolicy;
}

export const DEFAULT_ROUTING: RoutingPolicy = { shipmentExports: new Set(), shipmentPushes: new Set(), stock: { mode: 'delta', absent: 'zero', unknownSku: 'accept' } };

/** Outbox destination of the shipment push to one webshop channel (one row per shipment, action `shipment`). */
export function shipmentPushDestination(channelKey: string): string {
  return `push:${channelKey}:shipments`;
}

/**
 * What a shipment push row carries (its outbox body): the canonical shipment, plus what the push needs
 * from the order, fixed when the shipment was routed: the shop's order id and whether this parcel
 * completes the order (every ordered quantity shipped, counting the earlier parcels).
 */
export interface ShipmentPushBody {
  shipment: Record<string, unknown>;
  orderRef: string;
  completesOrder: boolean;
}

/** Outbox destination of a merchant's shipment export (one row per shipment, action `shipment`). */
export function shipmentExportDestination(merchant: string): string {
  return `export:${merchant}:shipments`;
}

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
 * Routes the records of one intake file: stores each inside the open intake and queues the deliveries
 * it owes. Safe against a second instance routing the same record at the same time: on PostgreSQL
 * `getRecord`/`getStock` lock the row, and an insert that loses the race is answered by reading the
 * committed row and deciding again. Keeps count of every outcome (`tally`) for the file's log line.
 */
export class FileRouter {
  /** How many records had each outcome; `stock-zeroed` counts levels a full report set to 0. */
  readonly tally: Partial<Record<RecordOutcome | 'stock-zeroed', number>> = {};
  /** Full stock reports: per merchant, the locations listed and the newest asOf. */
  private readonly listed = new Map<string, { locations: Set<string>; asOf: string }>();

  /** `receivedAt`: when the file arrived (ISO 8601), the asOf of stock levels that carry none. */
  constructor(private readonly tx: IntakeTx, private readonly policy: RoutingPolicy, private readonly receivedAt: string) {}

  /**
   * One canonical record. Returns its outcome, or `{ invalid }` when it contradicts the ledger (then
   * nothing of it was written). Throws a retryable LEDGER_FAILED when the row keeps changing under it
   * (no code path does that) and whatever the store throws.
   */
  async route(rec: StoredRecord): Promise<RouteResult> {
    const result = await this.decide(rec);
    if (typeof result === 'string') this.tally[result] = (this.tally[result] ?? 0) + 1;
    return result;
  }

  /**
   * Ends the file: a full stock report with `absent: zero` sets the levels it did not list to 0, at the
   * locations it covers. Not when `invalid` records were left out: their SKUs would be taken as absent.
   * Returns how many levels were set to 0.
   */
  async finish(invalid: number): Promise<number> {
    const { mode, absent } = this.policy.stock;
    if (mode !== 'full' || absent !== 'zero' || invalid > 0) return 0;
    let zeroed = 0;
    for (const [merchant, { locations, asOf }] of this.listed) zeroed += await this.tx.zeroUnlistedStock(merchant, [...locations], asOf);
    if (zeroed > 0) this.tally['stock-zeroed'] = zeroed;
    return zeroed;
  }

  private async decide(rec: StoredRecord): Promise<RouteResult> {
    if (rec.kind === 'stock') return this.stock(rec);
    const body = JSON.stringify(rec.body);
    const hash = contentHash(rec.body);
    const status = typeof rec.body.status === 'string' ? rec.body.status : null;
    const write = { id: rec.id, kind: rec.kind, merchant: rec.merchant, channel: rec.channel, hash, body, recordNo: rec.recordNo };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const decided = rec.kind === 'shipment'
        ? await this.shipment(rec, write)
        : rec.kind === 'product'
          ? await routeProduct(this.tx, rec, await this.tx.getRecord(rec.id), write)
          : await routeOrder(this.tx, rec, await this.tx.getRecord(rec.id), write, status ?? 'open');
      if (decided) return decided;
    }
    throw concurrently(rec.id);
  }

  /**
   * A stock level: kept per (merchant, SKU, location) with its asOf. An older report does not
   * overwrite a newer level; the same SKU and location twice in one report is a record error.
   */
  private async stock(rec: StoredRecord): Promise<RouteResult> {
    const b = rec.body;
    const key: StockKey = { merchant: String(b.merchant ?? rec.merchant), sku: String(b.sku), location: typeof b.warehouse === 'string' ? b.warehouse : '' };
    const asOf = new Date(typeof b.asOf === 'string' ? b.asOf : this.receivedAt).toISOString();
    const level: StockLevel = { ...key, quantity: Number(b.quantity), ean: typeof b.ean === 'string' ? b.ean : null, asOf };
    if (this.policy.stock.unknownSku === 'report' && !(await this.tx.productExists(key.merchant, key.sku))) {
      return { invalid: [{ path: 'sku', message: `SKU ${echo(key.sku)} is not in the catalogue of merchant ${key.merchant}; add the product first, or set the report source's stock.unknownSku to accept` }] };
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const held = await this.tx.getStock(key);
      if (!held) {
        if (!(await this.tx.insertStock(level, rec.recordNo))) continue;
        this.list(key, asOf);
        return 'stock-updated';
      }
      if (held.seenFileId === this.tx.fileId) {
        const where = key.location ? `at location ${echo(key.location)}` : 'without a location';
        return { invalid: [{ path: 'sku', message: `SKU ${echo(key.sku)} ${where} is listed twice in this report (records ${held.seenRecordNo} and ${rec.recordNo}); keep one line per SKU and location` }] };
      }
      this.list(key, asOf);
      if (held.asOf > asOf) {
        await this.tx.touchStock(key, rec.recordNo);
        return 'stock-older';
      }
      await this.tx.touchStock(key, rec.recordNo, level);
      return held.quantity === level.quantity && held.ean === level.ean ? 'stock-unchanged' : 'stock-updated';
    }
    throw concurrently(`${key.merchant}/${key.sku}/${key.location}`);
  }

  private list(key: StockKey, asOf: string): void {
    if (this.policy.stock.mode !== 'full') return;
    const seen = this.listed.get(key.merchant) ?? { locations: new Set<string>(), asOf };
    seen.locations.add(key.location);
    if (asOf > seen.asOf) seen.asOf = asOf;
    this.listed.set(key.merchant, seen);
  }

  /**
   * A shipment of a known order of the same merchant: stored once (a second report of it is a
   * duplicate), linked to its order, never more of a SKU than the order holds over all its shipments.
   * Undefined: another instance inserted it meanwhile; decide again.
   */
  private async shipment(rec: StoredRecord, w: Write): Promise<RouteResult | undefined> {
    const b = rec.body;
    const merchant = String(b.merchant ?? rec.merchant);
    const orderId = String(b.orderId);
    const label = echo(String(b.shipmentId ?? b.trackingNumber ?? b.shippedAt));
    // Locks the order first: the shipments of one order are decided one at a time, on every instance.
    const order = await this.tx.getRecord(orderId);
    if (!order || order.kind !== 'order' || order.merchant !== merchant) {
      return { invalid: [{ path: 'orderId', message: `shipment ${label} refers to order ${echo(orderId)} which Wharf never received for merchant ${merchant}; check the order id (orderId) in the warehouse report` }] };
    }
    const existing = await this.tx.getRecord(rec.id);
    if (existing) {
      await this.tx.addDuplicate(rec.id, existing.hash !== w.hash);
      return 'duplicate';
    }
    const orderBody = await this.tx.recordBody(orderId);
    const earlier = await this.tx.childBodies(orderId, 'shipment');
    const problems = overShipped(orderBody, earlier, b, label);
    if (problems.length > 0) return { invalid: problems };
    if (!(await this.tx.insertRecord({ ...w, merchant, status: null, parentId: orderId }))) return undefined;
    if (this.policy.shipmentExports.has(merchant)) {
      await this.tx.enqueue({ destination: shipmentExportDestination(merchant), recordId: rec.id, merchant, action: 'shipment', body: w.body });
    }
    const channelKey = `${merchant}/${String(orderBody?.channel ?? '')}`;
    if (orderBody && this.policy.shipmentPushes?.has(channelKey)) {
      const push: ShipmentPushBody = { shipment: b, orderRef: String(orderBody.externalId ?? ''), completesOrder: completesOrder(orderBody, earlier, b) };
      await this.tx.enqueue({ destination: shipmentPushDestination(channelKey), recordId: rec.id, merchant, action: 'shipment', body: JSON.stringify(push) });
    }
    return 'shipment';
  }
}

/** Routes one record with the default policy (orders and products need no more). */
export function route(tx: IntakeTx, rec: StoredRecord): Promise<RouteResult> {
  return new FileRouter(tx, DEFAULT_ROUTING, new Date().toISOString()).route(rec);
}

function concurrently(id: string): WharfError {
  return new WharfError('LEDGER_FAILED', `record ${id} changed concurrently; the file will be processed again`, {}, { retryable: true });
}

type Line = { sku?: unknown; quantity?: unknown };
function sumBySku(lines: unknown, into = new Map<string, number>()): Map<string, number> {
  for (const l of Array.isArray(lines) ? (lines as Line[]) : []) into.set(String(l.sku), (into.get(String(l.sku)) ?? 0) + Number(l.quantity ?? 0));
  return into;
}

/** Whether, with this shipment, every ordered quantity has shipped (a shipment without lines ships the whole order). */
function completesOrder(order: Record<string, unknown>, earlier: Record<string, unknown>[], shipment: Record<string, unknown>): boolean {
  if (!Array.isArray(shipment.lines) || shipment.lines.length === 0) return true;
  const shipped = new Map<string, number>();
  for (const e of earlier) {
    if (!Array.isArray(e.lines) || e.lines.length === 0) return true;
    sumBySku(e.lines, shipped);
  }
  sumBySku(shipment.lines, shipped);
  for (const [sku, q] of sumBySku(order.lines)) if ((shipped.get(sku) ?? 0) < q) return false;
  return true;
}

/** Per SKU of the new shipment: shipped before + now may not exceed what the order holds. */
function overShipped(order: Record<string, unknown> | undefined, earlier: Record<string, unknown>[], shipment: Record<string, unknown>, label: string): RecordProblem[] {
  const ordered = sumBySku(order?.lines);
  const before = new Map<string, number>();
  for (const e of earlier) sumBySku(e.lines, before);
  const problems: RecordProblem[] = [];
  const lines = Array.isArray(shipment.lines) ? (shipment.lines as Line[]) : [];
  for (const [sku, now] of sumBySku(lines)) {
    const o = ordered.get(sku) ?? 0;
    const b = before.get(sku) ?? 0;
    if (b + now <= o) continue;
    const i = lines.findIndex((l) => String(l.sku) === sku);
    problems.push({ path: `lines[${i}].quantity`, message: `shipment ${label} ships more of SKU ${echo(sku)} than order ${echo(String(shipment.orderId))} holds: ordered ${o}, shipped before ${b}, shipped now ${now}; check the shipment's lines` });
  }
  return problems;
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
