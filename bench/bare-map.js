// The "bare" side of the benchmarks: mappings/demo-orders-csv.yaml written out by hand as plain
// JavaScript, producing the same canonical order objects (same keys, same order) as Wharf does.
// No mapping engine, no luxon, no ledger: what the libraries cost on their own.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './lib.js';

function lookup(file) {
  const m = new Map();
  for (const [k, v] of Object.entries(parseYaml(readFileSync(path.join(ROOT, 'mappings', 'lookups', file), 'utf8')))) m.set(k.trim().toLowerCase(), v);
  return m;
}

const COUNTRY = lookup('countries.yaml');
const CARRIER = lookup('carriers.yaml');
const BUNDLES = lookup('demo-bundles.yaml');
const STATUS = new Map([['nieuw', 'open'], ['open', 'open'], ['betaald', 'open'], ['geannuleerd', 'cancelled']]);

const COLUMNS = ['Bestelnummer', 'Besteldatum', 'Status', 'Naam', 'Bedrijf', 'Straat', 'Huisnummer', 'Toevoeging', 'Postcode', 'Plaats', 'Land', 'E-mail', 'Telefoon', 'Verzendmethode', 'Vervoerder', 'Afhaalpunt ID', 'Afhaalpunt', 'Regel', 'SKU', 'EAN', 'Omschrijving', 'Aantal', 'Prijs', 'Verzendkosten', 'Totaal', 'Opmerking'];

/** Column positions from a header row (BOM already stripped). */
export function columnsOf(header) {
  const idx = {};
  for (const name of COLUMNS) {
    const i = header.findIndex((h) => h.trim() === name);
    if (i < 0) throw new Error(`header lacks column ${name}`);
    idx[name] = i;
  }
  return idx;
}

// ---- dates: 'dd-MM-yyyy HH:mm' in Europe/Amsterdam -> RFC 3339 with offset (EU DST rules, as luxon does)

const lastSunday = (y, month) => {
  const d = new Date(Date.UTC(y, month + 1, 0));
  return d.getUTCDate() - d.getUTCDay();
};
const dstCache = new Map();
function dstBounds(y) {
  let b = dstCache.get(y);
  if (!b) {
    // Wall-clock instants (as if UTC): summer time from 02:00 on the last Sunday of March to 02:00 on
    // the last Sunday of October (an ambiguous 02:xx in October is read as winter time, like luxon).
    b = [Date.UTC(y, 2, lastSunday(y, 2), 2), Date.UTC(y, 9, lastSunday(y, 9), 2)];
    dstCache.set(y, b);
  }
  return b;
}
const p2 = (n) => (n < 10 ? `0${n}` : `${n}`);
const DATE_RE = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2})$/;

export function amsterdamDate(s) {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const y = +m[3];
  let wall = Date.UTC(y, +m[2] - 1, +m[1], +m[4], +m[5]);
  const [start, end] = dstBounds(y);
  const summer = wall >= start && wall < end;
  if (summer && wall < start + 3600_000) wall += 3600_000; // 02:xx on the spring-forward day does not exist
  const d = new Date(wall);
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00${summer ? '+02:00' : '+01:00'}`;
}

const DEC_COMMA = /^([+-]?)(\d+)(?:,(\d+))?$/;
function decimal(s) {
  const m = DEC_COMMA.exec(s);
  if (!m) return undefined;
  return `${m[1] === '-' ? '-' : ''}${m[2]}${m[3] === undefined ? '' : `.${m[3]}`}`;
}

/** Sets `o[k] = v` for a non-empty value, as Wharf leaves empty cells out. */
const put = (o, k, v) => {
  if (v !== undefined && v !== '') o[k] = v;
};
const nonEmpty = (o) => (Object.keys(o).length > 0 ? o : undefined);

/**
 * The canonical order of one group of rows (same Bestelnummer), with Wharf's key order:
 * id, merchant, channel, mapped fields, source.
 */
export function mapOrder(rows, c, ctx, recordNo) {
  const r = rows[0];
  const externalId = r[c.Bestelnummer].trim();
  const email = r[c['E-mail']];
  const phone = r[c.Telefoon];
  const o = { id: `${ctx.merchant}:${ctx.channel}:${externalId}`, merchant: ctx.merchant, channel: ctx.channel, externalId, orderNumber: externalId };
  put(o, 'createdAt', amsterdamDate(r[c.Besteldatum]));
  o.currency = 'EUR';
  o.status = STATUS.get(r[c.Status].trim().toLowerCase()) ?? 'open';
  const customer = {};
  put(customer, 'email', email);
  put(customer, 'phone', phone);
  put(o, 'customer', nonEmpty(customer));
  const shipTo = {};
  put(shipTo, 'name', r[c.Naam]);
  put(shipTo, 'company', r[c.Bedrijf]);
  put(shipTo, 'street', r[c.Straat]);
  put(shipTo, 'houseNumber', r[c.Huisnummer]);
  put(shipTo, 'houseNumberSuffix', r[c.Toevoeging]);
  put(shipTo, 'postalCode', r[c.Postcode].toUpperCase());
  put(shipTo, 'city', r[c.Plaats]);
  put(shipTo, 'country', COUNTRY.get(r[c.Land].trim().toLowerCase()));
  put(shipTo, 'email', email);
  put(shipTo, 'phone', phone);
  o.shipTo = shipTo;
  const shipping = {};
  put(shipping, 'method', r[c.Verzendmethode]);
  const carrier = r[c.Vervoerder];
  put(shipping, 'carrier', carrier === '' ? undefined : (CARRIER.get(carrier.trim().toLowerCase()) ?? carrier));
  if (r[c['Afhaalpunt ID']] !== '') {
    const pp = { id: r[c['Afhaalpunt ID']] };
    put(pp, 'name', r[c.Afhaalpunt]);
    shipping.pickupPoint = pp;
  }
  put(o, 'shipping', nonEmpty(shipping));
  const lines = [];
  for (const row of rows) {
    const sku = row[c.SKU];
    const qty = Number(row[c.Aantal]);
    const bundle = BUNDLES.get(sku.trim().toLowerCase());
    if (bundle) {
      // Each component keeps the shop's bundle line, as Wharf's expandBundles does (src/mapping/runtime.ts).
      const of = { lineId: row[c.Regel], sku, quantity: qty };
      for (let k = 0; k < bundle.length; k++) lines.push({ lineId: `${row[c.Regel]}-${k + 1}`, sku: bundle[k].sku, quantity: bundle[k].quantity * qty, bundle: { ...of } });
      continue;
    }
    const line = {};
    put(line, 'lineId', row[c.Regel]);
    line.sku = sku;
    put(line, 'ean', row[c.EAN]);
    put(line, 'name', row[c.Omschrijving]);
    line.quantity = qty;
    put(line, 'unitPrice', row[c.Prijs] === '' ? undefined : decimal(row[c.Prijs]));
    lines.push(line);
  }
  o.lines = lines;
  const totals = {};
  put(totals, 'total', r[c.Totaal] === '' ? undefined : decimal(r[c.Totaal]));
  put(totals, 'shipping', r[c.Verzendkosten] === '' ? undefined : decimal(r[c.Verzendkosten]));
  put(o, 'totals', nonEmpty(totals));
  put(o, 'note', r[c.Opmerking]);
  o.source = { type: ctx.sourceType, name: ctx.fileName, record: recordNo, receivedAt: ctx.receivedAt };
  return o;
}
