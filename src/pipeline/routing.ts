import { createHash } from 'node:crypto';
import { WharfError, echo } from '../errors.js';
import type { IntakeTx, LedgerRecord, StockKey, StockLevel, StockWrite, StoredRecord } from '../ledger/store.js';
import { shipmentPushLines, type PushLine } from './shipment-lines.js';

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
  /**
   * The parcel's lines as the shop knows them (src/pipeline/shipment-lines.ts): `lineRef` = the order
   * line's `lineId`, a shipment without lines expanded to the order's remaining lines, bundle
   * components reported as their bundle line. Absent in rows queued before it existed: those push the
   * shipment's own lines (SKU and quantity) as before.
   */
  lines?: PushLine[];
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
 * A record's stored JSON text and its contentHash, with one JSON.stringify of the record: a canonical
 * record carries `source` as its last key (toCanonical), so its text without `source` is the text of
 * the whole record with `,"source":…` cut from the end. The hash is the same as contentHash's (the
 * ledger compares it with hashes stored before). A record whose last key is not `source` (none of
 * toCanonical's) takes contentHash's way.
 */
export function storedForm(body: Record<string, unknown>): { json: string; hash: string } {
  const json = JSON.stringify(body);
  let last: string | undefined;
  for (const k in body) last = k;
  if (last !== 'source' || body.source === undefined) {
    const hash = 'source' in body ? contentHash(body) : createHash('sha256').update(json).digest('hex');
    return { json, hash };
  }
  const tail = `"source":${JSON.stringify(body.source)}}`;
  if (!json.endsWith(tail)) return { json, hash: contentHash(body) };
  const head = json.slice(0, json.length - tail.length);
  // `{` when source is the only key, else `{…,`: without source that is `{}` or `{…}`.
  const rest = head === '{' ? '{}' : `${head.slice(0, -1)}}`;
  return { json, hash: createHash('sha256').update(rest).digest('hex') };
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

/**
 * Stock levels decided and written together (one read and one write per batch instead of per level).
 * Bounds what a batch holds in memory; 1,000 levels are a few hundred KB.
 */
export const STOCK_BATCH = 1000;

interface QueuedStock<T> {
  level: StockLevel;
  recordNo: number;
  tag: T;
}

/** The outcome of one queued stock level: `recordNo` and `tag` as queued. */
export interface SettledStock<T> {
  recordNo: number;
  tag: T;
  result: RouteResult;
}

/** A stock key as one string (NUL cannot occur in the fields), for maps within a batch. */
function stockKeyText(k: StockKey): string {
  return `${k.merchant}\u0000${k.sku}\u0000${k.location}`;
}

/** How often a record is read again after another instance inserted it first (see IntakeTx.insertRecord). */
const ATTEMPTS = 3;

/**
 * Routes the records of one intake file: stores each inside the open intake and queues the deliveries
 * it owes. Safe against a second instance routing the same record at the same time: on PostgreSQL
 * `getRecord`/`getStocks` lock the rows, and an insert that loses the race is answered by reading the
 * committed row and deciding again. Keeps count of every outcome (`tally`) for the file's log line.
 */
export class FileRouter {
  /** How many records had each outcome; `stock-zeroed` counts levels a full report set to 0. */
  readonly tally: Partial<Record<RecordOutcome | 'stock-zeroed', number>> = {};
  /** Full stock reports: per merchant, the locations listed and the newest asOf. */
  private readonly listed = new Map<string, { locations: Set<string>; asOf: string }>();
  /** Stock levels queued by queueStock, not yet decided. */
  private pending: QueuedStock<unknown>[] = [];

  /** `receivedAt`: when the file arrived (ISO 8601), the asOf of stock levels that carry none. */
  constructor(private readonly tx: IntakeTx, private readonly policy: RoutingPolicy, private readonly receivedAt: string) {}

  /**
   * One canonical record. Returns its outcome, or `{ invalid }` when it contradicts the ledger (then
   * nothing of it was written). Throws a retryable LEDGER_FAILED when the row keeps changing under it
   * (no code path does that) and whatever the store throws.
   */
  async route(rec: StoredRecord): Promise<RouteResult> {
    const result = await this.decide(rec);
    if (typeof result === 'string' && rec.kind !== 'stock') this.tally[result] = (this.tally[result] ?? 0) + 1;
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
    if (rec.kind === 'stock') {
      // A batch of one (intake queues stock levels with queueStock instead); tallied in flushStock.
      this.queueStock(rec, undefined);
      return (await this.flushStock<undefined>())[0]!.result;
    }
    const { json: body, hash } = storedForm(rec.body);
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
   * Queues a stock level (kept per (merchant, SKU, location) with its asOf) for the next batch; `tag`
   * is handed back with its outcome (e.g. the record's line). Returns true when STOCK_BATCH levels are
   * queued: then call `flushStock`, which decides and writes them as one batch (IntakeTx.getStocks,
   * then writeStock). An older report does not overwrite a newer level; the same SKU and location
   * twice in one report is a record error. Call `flushStock` after the last record, before `finish`.
   * Synchronous: no promise per level.
   */
  queueStock<T>(rec: StoredRecord, tag: T): boolean {
    const b = rec.body;
    // A plain literal: `{ ...key, quantity }` took V8's slow object-spread path, a measurable share of intake.
    const level: StockLevel = {
      merchant: String(b.merchant ?? rec.merchant),
      sku: String(b.sku),
      location: typeof b.warehouse === 'string' ? b.warehouse : '',
      quantity: Number(b.quantity),
      ean: typeof b.ean === 'string' ? b.ean : null,
      asOf: this.isoOf(typeof b.asOf === 'string' ? b.asOf : this.receivedAt),
    };
    this.pending.push({ level, recordNo: rec.recordNo, tag });
    return this.pending.length >= STOCK_BATCH;
  }

  /** Decides and writes the queued stock levels as one batch; returns their outcomes in record order. */
  async flushStock<T>(): Promise<SettledStock<T>[]> {
    const queued = this.pending as QueuedStock<T>[];
    this.pending = [];
    const settled: SettledStock<T>[] = [];
    let todo: QueuedStock<T>[] = [];
    for (const q of queued) {
      const { merchant, sku } = q.level;
      if (this.policy.stock.unknownSku === 'report' && !(await this.tx.productExists(merchant, sku))) {
        settled.push({ recordNo: q.recordNo, tag: q.tag, result: { invalid: [{ path: 'sku', message: `SKU ${echo(sku)} is not in the catalogue of merchant ${merchant}; add the product first, or set the report source's stock.unknownSku to accept` }] } });
      } else todo.push(q);
    }
    for (let attempt = 0; attempt < ATTEMPTS && todo.length > 0; attempt++) {
      const held = new Map((await this.tx.getStocks(todo.map((q) => q.level))).map((h) => [stockKeyText(h), h]));
      const inBatch = new Map<string, number>();
      const writes: StockWrite[] = [];
      const decided: { q: QueuedStock<T>; result: RouteResult }[] = [];
      for (const q of todo) {
        const { level, recordNo } = q;
        const k = stockKeyText(level);
        const h = held.get(k);
        const earlier = inBatch.get(k) ?? (h && h.seenFileId === this.tx.fileId ? h.seenRecordNo : undefined);
        if (earlier !== undefined) {
          const where = level.location ? `at location ${echo(level.location)}` : 'without a location';
          decided.push({ q, result: { invalid: [{ path: 'sku', message: `SKU ${echo(level.sku)} ${where} is listed twice in this report (records ${earlier} and ${recordNo}); keep one line per SKU and location` }] } });
          continue;
        }
        inBatch.set(k, recordNo);
        if (!h) {
          writes.push({ op: 'insert', level, recordNo });
          decided.push({ q, result: 'stock-updated' });
        } else if (h.asOf > level.asOf) {
          writes.push({ op: 'seen', key: level, recordNo });
          decided.push({ q, result: 'stock-older' });
        } else {
          writes.push({ op: 'set', level, recordNo });
          decided.push({ q, result: h.quantity === level.quantity && h.ean === level.ean ? 'stock-unchanged' : 'stock-updated' });
        }
      }
      // An insert another instance beat us to: nothing was written for it; read and decide it again.
      const lost = new Set((await this.tx.writeStock(writes)).map(stockKeyText));
      todo = [];
      for (const d of decided) {
        if (d.result === 'stock-updated' && lost.has(stockKeyText(d.q.level)) && !held.has(stockKeyText(d.q.level))) {
          todo.push(d.q);
          continue;
        }
        if (typeof d.result === 'string') {
          this.list(d.q.level, d.q.level.asOf);
          this.tally[d.result] = (this.tally[d.result] ?? 0) + 1;
        }
        settled.push({ recordNo: d.q.recordNo, tag: d.q.tag, result: d.result });
      }
    }
    if (todo.length > 0) {
      const { merchant, sku, location } = todo[0]!.level;
      throw concurrently(`${merchant}/${sku}/${location}`);
    }
    return settled.sort((x, y) => x.recordNo - y.recordNo);
  }

  /** A report's asOf as UTC ISO text; memoized, as a report mostly carries one timestamp. */
  private isoOf(asOf: string): string {
    if (asOf === this.lastAsOf.in) return this.lastAsOf.out;
    const out = new Date(asOf).toISOString();
    this.lastAsOf = { in: asOf, out };
    return out;
  }

  private lastAsOf = { in: '', out: '' };

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
    if (orderBody === null) {
      return { invalid: [{ path: 'orderId', message: `shipment ${label} refers to order ${echo(orderId)}, whose content the ledger no longer keeps (pruned by ledger.retention.bodiesDays after the order was finished), so it cannot be checked against the order; raise ledger.retention.bodiesDays if shipments come this late` }] };
    }
    const earlier = await this.tx.childBodies(orderId, 'shipment');
    const problems = overShipped(orderBody, earlier, b, label);
    if (problems.length > 0) return { invalid: problems };
    if (!(await this.tx.insertRecord({ ...w, merchant, status: null, parentId: orderId }))) return undefined;
    if (this.policy.shipmentExports.has(merchant)) {
      // body null: the export renders the shipment record itself (never changed once stored).
      await this.tx.enqueue({ destination: shipmentExportDestination(merchant), recordId: rec.id, merchant, action: 'shipment', body: null });
    }
    const channelKey = `${merchant}/${String(orderBody?.channel ?? '')}`;
    if (orderBody && this.policy.shipmentPushes?.has(channelKey)) {
      const lines = shipmentPushLines(orderBody, earlier, b);
      const push: ShipmentPushBody = { shipment: b, orderRef: String(orderBody.externalId ?? ''), completesOrder: completesOrder(orderBody, earlier, b), lines };
      // A parcel holding only components of bundle units not yet complete has nothing the shop knows:
      // no push; the parcel that completes the bundle units reports them.
      if (lines.length > 0) await this.tx.enqueue({ destination: shipmentPushDestination(channelKey), recordId: rec.id, merchant, action: 'shipment', body: JSON.stringify(push) });
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
      // body null: the delivery renders the record as stored (the ledger keeps one copy); a cancellation
      // arriving before the delivery freezes this body into the row (IntakeTx.updateRecord).
      if (decision === 'new') await tx.enqueue({ destination: WAREHOUSE_ORDERS, recordId: rec.id, merchant: rec.merchant, action: 'order', body: null });
      return decision;
    case 'cancellation':
      await tx.updateRecord({ ...w, status: 'cancelled' });
      // The record now holds the cancelled body, and a cancelled order is never changed again.
      await tx.enqueue({ destination: WAREHOUSE_ORDERS, recordId: rec.id, merchant: rec.merchant, action: 'cancel', body: null });
      return 'cancellation';
    default:
      await tx.addDuplicate(rec.id, existing!.hash !== w.hash);
      return 'duplicate';
  }
}
