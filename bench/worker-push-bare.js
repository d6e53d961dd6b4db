// The bare loop of the push benchmark: the same stock batches Wharf sends (100 updates each, in SKU
// order, `{ update: [{ id, manage_stock: true, stock_quantity }] }`) with plain fetch and the same
// number of requests in flight, each answer parsed and every item checked for an error; nothing else
// (no ledger, no baseline, no retries).
// Usage: node bench/worker-push-bare.js BASE_URL UPDATES_JSON CONCURRENCY
//   UPDATES_JSON: a file holding [[productId, quantity], …] in the order to send.
import { readFileSync } from 'node:fs';
import { report } from './lib.js';

const [base, file, conc] = process.argv.slice(2);
const auth = `Basic ${Buffer.from('ck_bench:cs_bench').toString('base64')}`;
const updates = JSON.parse(readFileSync(file, 'utf8'));
const started = performance.now();
const batches = [];
for (let i = 0; i < updates.length; i += 100) batches.push(updates.slice(i, i + 100));
let next = 0;
let done = 0;
let refused = 0;
async function lane() {
  while (next < batches.length) {
    const b = batches[next++];
    const res = await fetch(`${base}/products/batch`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ update: b.map(([id, q]) => ({ id, manage_stock: true, stock_quantity: q })) }),
    });
    if (!res.ok) throw new Error(`batch answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const body = await res.json();
    for (const item of body.update ?? []) {
      if (item.error) refused++;
      else done++;
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, Number(conc)) }, lane));
report({ elapsedMs: performance.now(), loopMs: performance.now() - started, done, refused, batches: batches.length });
