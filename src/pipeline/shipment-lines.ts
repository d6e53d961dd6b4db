/**
 * The lines of one parcel as the SHOP knows them, worked out when the shipment is routed (the order and
 * its earlier shipments are at hand there). The warehouse reports SKU and quantity; the shop wants its
 * own order lines (bol orderItemId, Shopify LineItem, Lightspeed order row):
 *
 * - each shipped SKU quantity is allocated over the order lines of that SKU in order, net of what the
 *   earlier shipments of the order took (allocated the same way); each portion gets `lineRef` = the
 *   order line's `lineId` (the shop's line id, kept by the order mapping) when the order line has one;
 * - a shipment without lines ships the whole order: its lines are what remains of every order line
 *   (so a platform never gets an empty parcel);
 * - a component line of a bundle (split at intake, carrying `bundle: { lineId, sku, quantity }`) is
 *   never reported itself: the shop knows the bundle line. A bundle unit counts as shipped once all of
 *   its components have shipped, and the parcel that completes bundle units reports them as the bundle
 *   line (`lineRef` = the bundle's line id, bundle SKU, bundle units completed by this parcel).
 *   Components shipped ahead of their bundle unit wait for the parcel that completes it.
 */

/** One line of a shipment push (what ShipmentPush.lines holds). */
export interface PushLine {
  sku: string;
  quantity: number;
  lineRef?: string;
}

interface OrderLine {
  lineId: string | undefined;
  sku: string;
  quantity: number;
  bundle: { key: string; lineId: string | undefined; sku: string; quantity: number } | undefined;
}

type Json = Record<string, unknown>;

function orderLines(order: Json): OrderLine[] {
  const raw = Array.isArray(order.lines) ? (order.lines as Json[]) : [];
  return raw.map((l, i) => {
    const b = l.bundle && typeof l.bundle === 'object' ? (l.bundle as Json) : undefined;
    const lineId = l.lineId === undefined || l.lineId === null ? undefined : String(l.lineId);
    const bundleLineId = b && b.lineId !== undefined && b.lineId !== null ? String(b.lineId) : undefined;
    return {
      lineId,
      sku: String(l.sku),
      quantity: Math.max(0, Number(l.quantity ?? 0)),
      // Without a line id, the bundle line is told apart by its SKU and the position of its first component.
      bundle: b ? { key: bundleLineId ?? `#${String(b.sku)}@${i}`, lineId: bundleLineId, sku: String(b.sku), quantity: Number(b.quantity) } : undefined,
    };
  });
}

/**
 * Allocates a shipment's lines over the order lines (`taken[i]`: quantity of order line i shipped so
 * far; updated in place). A shipment without lines takes what remains of every line. Returns the
 * quantity taken from each order line by this shipment.
 */
function allocate(lines: OrderLine[], taken: number[], shipment: Json): number[] {
  const now = lines.map(() => 0);
  const shipped = Array.isArray(shipment.lines) ? (shipment.lines as Json[]) : [];
  if (shipped.length === 0) {
    lines.forEach((l, i) => {
      now[i] = Math.max(0, l.quantity - taken[i]!);
      taken[i] = l.quantity;
    });
    return now;
  }
  for (const s of shipped) {
    const sku = String(s.sku);
    let left = Number(s.quantity ?? 0);
    for (let i = 0; i < lines.length && left > 0; i++) {
      if (lines[i]!.sku !== sku) continue;
      const q = Math.min(left, lines[i]!.quantity - taken[i]!);
      if (q <= 0) continue;
      taken[i] = taken[i]! + q;
      now[i] = now[i]! + q;
      left -= q;
    }
  }
  return now;
}

/** Complete bundle units per bundle line given what each component line has shipped. */
function bundleUnits(lines: OrderLine[], taken: number[]): Map<string, number> {
  const units = new Map<string, number>();
  lines.forEach((l, i) => {
    if (!l.bundle || !(l.bundle.quantity > 0)) return;
    const per = l.quantity / l.bundle.quantity;
    const u = per > 0 ? Math.floor(taken[i]! / per) : l.bundle.quantity;
    units.set(l.bundle.key, Math.min(units.get(l.bundle.key) ?? Infinity, u));
  });
  return units;
}

/**
 * The shop's lines of `shipment` (canonical shipment body) of `order` (canonical order body), given the
 * order's `earlier` shipments (in the order they were routed). Pure. Lines of equal (SKU, lineRef)
 * are summed; order of the order's lines.
 */
export function shipmentPushLines(order: Json, earlier: Json[], shipment: Json): PushLine[] {
  const lines = orderLines(order);
  const taken = lines.map(() => 0);
  for (const e of earlier) allocate(lines, taken, e);
  const before = bundleUnits(lines, taken);
  const now = allocate(lines, taken, shipment);
  const after = bundleUnits(lines, taken);
  const out: PushLine[] = [];
  const reported = new Set<string>();
  lines.forEach((l, i) => {
    if (l.bundle) {
      if (reported.has(l.bundle.key)) return;
      reported.add(l.bundle.key);
      const q = (after.get(l.bundle.key) ?? 0) - (before.get(l.bundle.key) ?? 0);
      if (q > 0) out.push(line(l.bundle.sku, q, l.bundle.lineId));
      return;
    }
    if (now[i]! > 0) out.push(line(l.sku, now[i]!, l.lineId));
  });
  // A shipped SKU the order does not hold cannot occur (routing refuses over-shipping first); a SKU
  // whose order lines are all taken likewise. Nothing else is left over.
  return out;
}

function line(sku: string, quantity: number, lineRef: string | undefined): PushLine {
  return lineRef === undefined ? { sku, quantity } : { sku, quantity, lineRef };
}
