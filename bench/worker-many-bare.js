// Bare limit of the many-files benchmark, in its own process: a loop over the inbox doing what Wharf
// does per file minus the ledger: read, csv-parse (sync), hand-written map, ajv, then the same atomic
// write as Wharf's folder destination (temp dot-name, fsync, rename, fsync of the folder) under the
// same file name, and the same archive move of the input. Prints "ready" once it is looking.
// Usage: node bench/worker-many-bare.js INBOX OUTDIR EXPECTED_FILES
import { randomBytes, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { validatorFor } from '../dist/schemas.js';
import { fileNameFragment } from '../dist/transports/names.js';
import { columnsOf, mapOrder } from './bare-map.js';
import { report } from './lib.js';

const [inbox, outDir, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);
const validate = validatorFor('order.schema.json');
const archiveDir = path.join(inbox, 'archive', new Date().toISOString().slice(0, 10));
await fs.mkdir(outDir, { recursive: true });
await fs.mkdir(archiveDir, { recursive: true });
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

async function writeAtomic(target, data) {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fs.open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, target);
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

let done = 0;
let orders = 0;
let invalid = 0;
let stop = false;
process.once('SIGTERM', () => (stop = true));
process.stdout.write('ready\n');
while (!stop && done < expected) {
  const names = (await fs.readdir(inbox)).filter((n) => n.endsWith('.csv') && !n.startsWith('.')).sort();
  if (names.length === 0) {
    await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  for (const name of names) {
    if (stop) break;
    const file = path.join(inbox, name);
    const text = await fs.readFile(file, 'utf8');
    const records = parse(text, { delimiter: ';', bom: true, relax_column_count: true, skip_empty_lines: true });
    const c = columnsOf(records[0]);
    const ctx = { merchant: 'bench', channel: 'in', sourceType: 'folder', fileName: name, receivedAt: new Date().toISOString() };
    // Group consecutive rows by order number (one order per file here, but do it properly).
    let group = [];
    let recordNo = 0;
    const emit = async () => {
      const order = mapOrder(group, c, ctx, ++recordNo);
      orders++;
      if (!validate(order)) {
        invalid++;
        return;
      }
      const target = path.join(outDir, `bench-in-${fileNameFragment(order.externalId, sha256)}.json`);
      await writeAtomic(target, Buffer.from(`${JSON.stringify(order, null, 2)}\n`));
    };
    for (let i = 1; i < records.length; i++) {
      if (group.length > 0 && records[i][c.Bestelnummer] !== group[0][c.Bestelnummer]) {
        await emit();
        group = [];
      }
      group.push(records[i]);
    }
    if (group.length > 0) await emit();
    await fs.rename(file, path.join(archiveDir, name));
    done++;
  }
}
report({ elapsedMs: performance.now(), files: done, orders, invalid });
