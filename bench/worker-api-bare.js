// The bare limit of the api benchmark: fetch every page of processing orders from the same server, one
// request at a time (the connector's own concurrency), parse each page, and nothing else.
// Usage: node bench/worker-api-bare.js BASE_URL
import { report } from './lib.js';

const base = process.argv[2];
const auth = `Basic ${Buffer.from('ck_bench:cs_bench').toString('base64')}`;
const started = performance.now();
let orders = 0;
for (let page = 1; ; page++) {
  const res = await fetch(`${base}/orders?status=processing&orderby=modified&order=asc&per_page=100&page=${page}`, { headers: { authorization: auth } });
  const body = await res.json();
  orders += body.length;
  if (page >= Number(res.headers.get('x-wp-totalpages'))) break;
}
report({ elapsedMs: performance.now() - started, orders });
