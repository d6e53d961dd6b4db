// Bare limit of the large-file benchmark, in its own process:
//   createReadStream -> csv-parse (stream, arrays) -> group rows by Bestelnummer -> hand-written map
//   -> ajv (validatorFor('order.schema.json'), Wharf's compiled schema) -> NDJSON write stream.
// No ledger, no hashing, no mapping engine. Usage: node bench/worker-large-bare.js IN.csv OUT.ndjson
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { parse } from 'csv-parse';
import { validatorFor } from '../dist/schemas.js';
import { columnsOf, mapOrder } from './bare-map.js';
import { report } from './lib.js';

const [input, output] = process.argv.slice(2);
const validate = validatorFor('order.schema.json');
const ctx = { merchant: 'bench', channel: 'in', sourceType: 'folder', fileName: path.basename(input), receivedAt: new Date().toISOString() };

const parser = createReadStream(input, { highWaterMark: 1 << 16 }).pipe(parse({ delimiter: ';', bom: true, relax_column_count: true, skip_empty_lines: true }));
const out = createWriteStream(output);
let c;
let group = [];
let key;
let rows = 0;
let orders = 0;
let invalid = 0;

async function emit() {
  const order = mapOrder(group, c, ctx, orders + 1);
  orders++;
  if (!validate(order)) {
    invalid++;
    if (invalid <= 3) console.error(JSON.stringify(validate.errors));
    return;
  }
  if (!out.write(`${JSON.stringify(order)}\n`)) await once(out, 'drain');
}

for await (const rec of parser) {
  if (!c) {
    c = columnsOf(rec);
    continue;
  }
  rows++;
  const k = rec[c.Bestelnummer];
  if (k !== key && group.length > 0) {
    await emit();
    group = [];
  }
  key = k;
  group.push(rec);
}
if (group.length > 0) await emit();
out.end();
await once(out, 'finish');
report({ elapsedMs: performance.now(), rows, orders, invalid });
