// Bare limit of the stock benchmark, in its own process:
//   createReadStream -> csv-parse (stream, arrays) -> hand-written map of mappings/warehouse-stock-csv.yaml
//   -> ajv (validatorFor('stock.schema.json'), Wharf's compiled schema) -> hand-written map of
//   mappings/merchant-stock-csv.yaml -> csv-stringify -> write stream.
// No ledger, no mapping engine, no sorting (the input is in SKU order already).
// Usage: node bench/worker-stock-bare.js IN.csv OUT.csv MERCHANT
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { DateTime } from 'luxon';
import { validatorFor } from '../dist/schemas.js';
import { report } from './lib.js';

const [input, output, merchant] = process.argv.slice(2);
const validate = validatorFor('stock.schema.json');
const ZONE = 'Europe/Amsterdam';
// A stock report carries one or few timestamps: each distinct one is converted once (luxon, as Wharf does).
const asOfCache = new Map();
const outCache = new Map();
const asOf = (s) => {
  let v = asOfCache.get(s);
  if (v === undefined) {
    v = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm:ss', { zone: ZONE }).toISO({ suppressMilliseconds: true });
    asOfCache.set(s, v);
  }
  return v;
};
const shown = (iso) => {
  let v = outCache.get(iso);
  if (v === undefined) {
    v = DateTime.fromISO(iso, { zone: ZONE }).toFormat('dd-MM-yyyy HH:mm');
    outCache.set(iso, v);
  }
  return v;
};

let header;
let rows = 0;
let invalid = 0;
const map = new Transform({
  objectMode: true,
  transform(rec, _enc, done) {
    if (!header) {
      header = Object.fromEntries(rec.map((h, i) => [h.trim(), i]));
      done(null, ['SKU', 'EAN', 'Voorraad', 'Magazijn', 'Bijgewerkt']);
      return;
    }
    const r = { merchant, sku: rec[header.ARTICLE] };
    const ean = rec[header.EAN];
    if (ean) r.ean = ean;
    const q = rec[header.AVAILABLE];
    r.quantity = /^-?\d+$/.test(q) ? Number(q) : q;
    const wh = rec[header.LOCATION];
    if (wh) r.warehouse = wh;
    const ts = rec[header.TIMESTAMP];
    if (ts) r.asOf = asOf(ts);
    rows++;
    if (!validate(r)) {
      invalid++;
      done();
      return;
    }
    done(null, [r.sku, r.ean ?? '', String(r.quantity), r.warehouse ?? '', r.asOf ? shown(r.asOf) : '']);
  },
});

await pipeline(
  createReadStream(input, { highWaterMark: 1 << 16 }),
  parse({ delimiter: ';', bom: true, relax_column_count: true, skip_empty_lines: true }),
  map,
  stringify({ delimiter: ';' }),
  createWriteStream(output),
);
report({ elapsedMs: performance.now(), rows, invalid });
