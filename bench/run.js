#!/usr/bin/env node
// Wharf benchmarks (DESIGN.md "Performance — what we measure"). Figures only: nothing here asserts a
// timing. Every variant runs in its own child process (bench/worker-*.js), which reports its own peak
// RSS, and every benchmark measures its baseline in the same run.
//
//   npm run bench                 build, then all benchmarks
//   node bench/run.js large       one (large | ledger | many-files | node-red | sftp | api | stock | push), after `npm run build`
//
// Sizes: BENCH_LINES (large and ledger, default 1,000,000), BENCH_FILES (many-files, 10,000), BENCH_PEER_FILES (node-red, 5,000), BENCH_API_ORDERS (api, 10,000),
// BENCH_STOCK_SKUS (stock, 200,000), BENCH_PUSH_SKUS (push, 10,000; BENCH_PUSH_CONCURRENCY, BENCH_PUSH_LATENCY_MS),
// BENCH_SFTP_FILES (sftp, 2,000). BENCH_KEEP=1 keeps the temp folders. See docs/benchmarks.md for
// BENCH_FOLDER_WATCH, BENCH_SFTP_AFTER_IMPORT, BENCH_NODE_FLAGS and BENCH_MEMLOG.
import { createWriteStream, existsSync, promises as fs, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, compareNdjson, compareOrderFolders, countFiles, dropAndWait, envInt, fmt, prng, runWorker, table, tempDir, waitUntil, writeConfig, writeOrderFiles,
  writeOrdersCsv,
} from './lib.js';
import { FLOW_FILE, ensureNodeRed, nodeRedCacheDir, runNodeRed } from './peers/node-red.js';
import { startSshd } from './sshd.js';

const BENCHES = { large, ledger, 'many-files': manyFiles, 'node-red': nodeRed, sftp, api, stock, push };

// -------------------------------------------------------------------------------------------- stock

/** A warehouse stock report (mappings/warehouse-stock-csv.yaml layout) of `skus` rows, in SKU order, streamed. */
async function writeStockCsv(file, skus, seed = 11) {
  const r = prng(seed);
  const out = createWriteStream(file);
  out.write('ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP\n');
  for (let i = 1; i <= skus; i++) {
    // EANs with leading zeros, some missing; quantities 0..500 (every tenth sold out).
    const ean = r.next() < 0.1 ? '' : String(r.int(0, 99_999_999)).padStart(13, '0');
    const qty = r.next() < 0.1 ? 0 : r.int(1, 500);
    if (!out.write(`SKU-${String(i).padStart(7, '0')};${ean};${qty};AMS-01;2026-11-27 06:00:00\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * A 200,000-SKU stock report through the real return flow in one `wharf once`: a warehouse report
 * source (folder, warehouse-stock-csv, `stock.mode: full`) takes the file in, then the merchant's stock
 * export (merchant-stock-csv, `mode: full`), due by catch-up, writes the full stock file. Against a bare
 * loop in its own process (csv-parse → map → ajv → csv-stringify) over the same file. Wharf also runs at
 * ¼ size to show whether its peak RSS stays flat. The two stock files must hold the same rows.
 */
async function stock() {
  const skus = envInt('BENCH_STOCK_SKUS', 200_000);
  const t = tempDir('stock');
  try {
    const input = path.join(t.dir, 'stock-report.csv');
    await writeStockCsv(input, skus);
    const size = (await fs.stat(input)).size;
    const bareOut = path.join(t.dir, 'bare-stock.csv');
    const bare = await runWorker('worker-stock-bare.js', [input, bareOut, 'bench']);
    const rows = [['variant', 'SKUs', 'time', 'SKUs/s', 'ratio wharf/bare', 'peak RSS'], ['bare loop (csv-parse → map → ajv → csv-stringify)', fmt.int(bare.rows), fmt.s(bare.elapsedMs), fmt.int(bare.rows / (bare.elapsedMs / 1000)), '1.00', fmt.mb(bare.maxRssKb)]];
    let full;
    let quarterRun;
    for (const n of [skus, Math.max(1, Math.round(skus / 4))]) {
      const dir = path.join(t.dir, `wharf-${n}`);
      const reports = path.join(dir, 'reports');
      const outbox = path.join(dir, 'outbox');
      await fs.mkdir(reports, { recursive: true });
      if (n === skus) await fs.copyFile(input, path.join(reports, 'stock-report.csv'));
      else await writeStockCsv(path.join(reports, 'stock-report.csv'), n);
      const config = path.join(dir, 'wharf.yaml');
      await fs.writeFile(config, `${JSON.stringify({
        ledger: { driver: 'sqlite', path: path.join(dir, 'ledger', 'wharf.sqlite') },
        mappings: path.join(ROOT, 'mappings'),
        dataDir: path.join(dir, 'var'),
        log: { level: 'info' },
        warehouse: {
          orders: { path: path.join(dir, 'warehouse') },
          reports: {
            main: {
              type: 'folder', path: reports, files: [{ pattern: 'stock*.csv', mapping: 'warehouse-stock-csv' }], merchant: 'bench',
              minAge: 0, pollInterval: 0.1, watch: false, afterImport: 'archive', maxFileSize: 2 ** 40, stock: { mode: 'full' },
            },
          },
        },
        merchants: {
          bench: {
            name: 'Benchmark merchant',
            channels: { in: { type: 'folder', path: path.join(dir, 'inbox'), create: true, files: [{ pattern: '*.json', mapping: 'demo-orders-json' }], minAge: 0, watch: false } },
            // Daily at midnight UTC: a first `wharf once` runs the export for today's tick (catch-up).
            exports: { stock: { schedule: '0 0 * * *', timezone: 'UTC', destination: { type: 'folder', path: outbox }, mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd}.csv', mode: 'full' } },
          },
        },
      }, null, 2)}\n`);
      const r = await runWorker('worker-wharf.js', ['once', '--config', config], { stderrFile: path.join(dir, 'wharf.log') });
      const files = existsSync(outbox) ? (await fs.readdir(outbox)).filter((f) => !f.startsWith('.')) : [];
      if (r.exitCode !== 0 || files.length !== 1) throw new Error(`wharf once (${n} SKUs) exited ${r.exitCode} with ${files.length} stock file(s); see ${path.join(dir, 'wharf.log')} (BENCH_KEEP=1 keeps it)`);
      if (n === skus) full = { r, file: path.join(outbox, files[0]) };
      else quarterRun = r;
      rows.push([`wharf once: report source in → stock export out${n === skus ? '' : ' (¼ size)'}`, fmt.int(n), fmt.s(r.elapsedMs), fmt.int(n / (r.elapsedMs / 1000)), n === skus ? (bare.elapsedMs / r.elapsedMs).toFixed(2) : '', fmt.mb(r.maxRssKb)]);
    }
    table(rows);
    // CPU time is steadier than wall time on a shared machine (docs/benchmarks.md).
    const cpu = (r) => fmt.s(r.userMs + r.systemMs);
    console.log(`  CPU (user+sys): bare ${cpu(bare)}, wharf ${cpu(full.r)}, wharf ¼ size ${cpu(quarterRun)}`);
    console.log(`  ${fmt.int(skus)} SKUs, ${fmt.mb(size / 1024)} report. ratio = bare time / wharf time (aim ≥ 0.5). Wharf's time includes process start, the ledger (stock levels, then the run's copy), sorting by SKU and the atomic file write. Peak RSS full/¼: ${(full.r.maxRssKb / quarterRun.maxRssKb).toFixed(2)}`);
    const [a, b] = await Promise.all([fs.readFile(bareOut, 'utf8'), fs.readFile(full.file, 'utf8')]);
    const norm = (s) => s.replace(/\r\n/g, '\n').trimEnd().split('\n');
    const la = norm(a);
    const lb = norm(b);
    const same = la.length === lb.length && la[0] === lb[0] && (la.slice(1).sort().join('\n') === lb.slice(1).sort().join('\n'));
    console.log(`  outputs: bare ${fmt.int(la.length - 1)} rows, wharf ${fmt.int(lb.length - 1)} rows: ${same ? 'the same rows' : 'DIFFERENT'}`);
    if (!same) {
      const i = la.findIndex((l, k) => l !== lb[k]);
      console.log(`  first difference at line ${i + 1}:\n    bare:  ${la[i]}\n    wharf: ${lb[i]}`);
      process.exitCode = 1;
    }
  } finally {
    t.cleanup();
  }
}

// --------------------------------------------------------------------------------------------- push

/**
 * A stock push of 10,000 changed SKUs to a local WooCommerce-shaped API (bench/woo-push-server.js)
 * through the real CLI: `wharf sync bench/woo products` (push ids) and `wharf sync @warehouse/wms`
 * (the stock report: every SKU gets a quantity, so every SKU differs from the empty baseline) prepare
 * the ledger; only `wharf sync bench/woo stock` is measured. Against a bare loop (plain fetch) sending
 * the same batches with the same number of requests in flight. Both are checked against the server:
 * after each, every SKU's stock equals the report's quantity.
 */
async function push() {
  const n = envInt('BENCH_PUSH_SKUS', 10_000);
  // Requests in flight: Wharf's push.stock.concurrency (WooCommerce default) and the bare loop's.
  const concurrency = envInt('BENCH_PUSH_CONCURRENCY', 1);
  // Milliseconds the server holds each batch answer back (a shop's own work per batch); 0 = none.
  const latency = process.env.BENCH_PUSH_LATENCY_MS ? envInt('BENCH_PUSH_LATENCY_MS', 0) : 0;
  const t = tempDir('push');
  const server = spawn(process.execPath, [path.join(ROOT, 'bench', 'woo-push-server.js'), String(n), String(latency)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      server.once('exit', (code) => reject(new Error(`push server exited (${code})`)));
    });
    const origin = `http://127.0.0.1:${port}`;
    const base = `${origin}/wp-json/wc/v3`;
    const control = async (what, method = 'GET') => (await fetch(`${origin}/__bench/${what}`, { method })).json();
    const reports = path.join(t.dir, 'reports');
    await fs.mkdir(reports, { recursive: true });
    const report = path.join(t.dir, 'stock-report.csv');
    await writeStockCsv(report, n);
    // What the shop must hold afterwards: the report's quantity for every SKU (one location each).
    const expected = readFileSync(report, 'utf8').trimEnd().split('\n').slice(1).map((l) => {
      const [sku, , qty] = l.split(';');
      return [sku, Number(qty)];
    });
    await fs.copyFile(report, path.join(reports, 'stock-report.csv'));
    const config = path.join(t.dir, 'wharf.yaml');
    const push = { stock: { enabled: true, ...(concurrency > 1 ? { concurrency } : {}) } };
    await fs.writeFile(config, `${JSON.stringify({
      ledger: { driver: 'sqlite', path: path.join(t.dir, 'ledger', 'wharf.sqlite') },
      mappings: path.join(ROOT, 'mappings'),
      dataDir: path.join(t.dir, 'var'),
      log: { level: 'info' },
      warehouse: {
        orders: { path: path.join(t.dir, 'warehouse') },
        reports: { wms: { type: 'folder', path: reports, files: [{ pattern: 'stock*.csv', mapping: 'warehouse-stock-csv' }], merchant: 'bench', minAge: 0, pollInterval: 0.1, watch: false, afterImport: 'archive' } },
      },
      merchants: {
        bench: {
          name: 'Benchmark merchant',
          channels: {
            woo: {
              type: 'woocommerce', url: 'https://shop.example', baseUrl: base, consumerKey: '${BENCH_WOO_KEY}', consumerSecret: '${BENCH_WOO_SECRET}',
              // The platform default (5 requests/s, WooCommerce hosts throttle) would measure the limiter, not Wharf.
              rateLimit: { requestsPerSecond: 1000, burst: 1000 },
              schedules: { orders: '0 0 1 1 *', products: '0 0 1 1 *', stock: '0 0 1 1 *', shipments: '0 0 1 1 *' },
              push,
            },
          },
        },
      },
    }, null, 2)}\n`);
    const log = path.join(t.dir, 'wharf.log');
    const env = { BENCH_WOO_KEY: 'ck_bench', BENCH_WOO_SECRET: 'cs_bench' };
    for (const args of [['sync', 'bench/woo', 'products'], ['sync', '@warehouse/wms']]) {
      const r = await runWorker('worker-wharf.js', [...args, '--config', config], { stderrFile: log, env });
      if (r.exitCode !== 0) throw new Error(`wharf ${args.join(' ')} exited ${r.exitCode}; see ${log} (BENCH_KEEP=1 keeps it)`);
    }
    const wharf = await runWorker('worker-wharf.js', ['sync', 'bench/woo', 'stock', '--config', config], { stderrFile: log, env });
    if (wharf.exitCode !== 0) throw new Error(`wharf sync bench/woo stock exited ${wharf.exitCode}; see ${log} (BENCH_KEEP=1 keeps it): ${wharf.stdout}`);
    const wState = await control('state');
    await control('reset', 'POST');
    const updatesFile = path.join(t.dir, 'updates.json');
    await fs.writeFile(updatesFile, JSON.stringify(expected.map(([sku, q]) => [1000 + Number(sku.slice(4)), q])));
    const bare = await runWorker('worker-push-bare.js', [base, updatesFile, String(concurrency)]);
    const bState = await control('state');

    const wire = (s) => s.lastAt - s.firstAt;
    const cpu = (r) => `${fmt.s(r.userMs + r.systemMs)}`;
    table([
      ['variant', 'SKUs', 'time (process)', 'on the wire', 'CPU (user+sys)', 'requests (max items, max in flight)', 'ratio bare/wharf', 'peak RSS'],
      ['bare loop (fetch, same batches)', fmt.int(bare.done), fmt.s(bare.elapsedMs), fmt.s(wire(bState)), cpu(bare), `${bState.batchRequests} (${bState.maxItems}, ${bState.maxInFlight})`, '1.00', fmt.mb(bare.maxRssKb)],
      [`wharf sync bench/woo stock`, fmt.int(n), fmt.s(wharf.elapsedMs), fmt.s(wire(wState)), cpu(wharf), `${wState.batchRequests} (${wState.maxItems}, ${wState.maxInFlight})`, (bare.elapsedMs / wharf.elapsedMs).toFixed(2), fmt.mb(wharf.maxRssKb)],
    ]);
    console.log(`  ${wharf.stdout.trim()}`);
    console.log(`  concurrency ${concurrency} (push.stock.concurrency and the bare loop's), server latency per batch ${latency} ms; CPU = the client process's user + system time (the machine may be shared: wall times are noisy, CPU less so).`);
    console.log(`  ratio = bare time / wharf time, whole processes (aim ≥ 0.8); on the wire = the server's clock from the first batch request's arrival to the last answer (${(wire(bState) / wire(wState)).toFixed(2)} bare/wharf). Wharf's time also holds process start, config, ledger, reading levels and the baseline.`);
    const diff = (s) => {
      if (s.stock.length !== expected.length) return `${s.stock.length} products, expected ${expected.length}`;
      const i = s.stock.findIndex(([sku, q], k) => sku !== expected[k][0] || q !== expected[k][1]);
      return i < 0 ? undefined : `${s.stock[i][0]}: ${s.stock[i][1]}, expected ${expected[i][1]}`;
    };
    const [dw, db] = [diff(wState), diff(bState)];
    console.log(dw || db
      ? `  check: SHOP STOCK DIFFERS — wharf: ${dw ?? 'ok'}; bare: ${db ?? 'ok'}`
      : `  check: after each variant the shop holds the report's quantity for all ${fmt.int(n)} SKUs`);
    if (dw || db) process.exitCode = 1;
  } finally {
    server.kill('SIGKILL');
    t.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------- api

/**
 * 10,000 orders from a local WooCommerce-shaped API (100 a page) into canonical files with
 * `wharf sync`, against the bare time to fetch and parse the same pages one at a time.
 */
async function api() {
  const n = envInt('BENCH_API_ORDERS', 10_000);
  const t = tempDir('api');
  const server = spawn(process.execPath, [path.join(ROOT, 'bench', 'api-server.js'), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      server.once('exit', (code) => reject(new Error(`api server exited (${code})`)));
    });
    const base = `http://127.0.0.1:${port}/wp-json/wc/v3`;
    const bare = await runWorker('worker-api-bare.js', [base]);
    const rows = [['variant', 'orders', 'time', 'orders/s', 'ratio to bare', 'peak RSS'], ['bare fetch + JSON.parse (sequential pages)', fmt.int(bare.orders), fmt.s(bare.elapsedMs), fmt.int(bare.orders / (bare.elapsedMs / 1000)), '1.00', fmt.mb(bare.maxRssKb)]];
    const cpu = [];
    for (const batch of ['file', 'order']) {
      const dir = path.join(t.dir, `wharf-${batch}`);
      const config = await writeConfig(dir, {
        batch,
        channel: {
          type: 'woocommerce', url: 'https://shop.example', baseUrl: base, consumerKey: '${BENCH_WOO_KEY}', consumerSecret: '${BENCH_WOO_SECRET}',
          // The platform default (5 requests/s, WooCommerce hosts throttle) would measure the limiter, not Wharf.
          rateLimit: { requestsPerSecond: 1000, burst: 1000 },
        },
      });
      const r = await runWorker('worker-wharf.js', ['sync', 'bench/in', 'orders', '--config', config], { stderrFile: path.join(dir, 'wharf.log'), env: { BENCH_WOO_KEY: 'ck_bench', BENCH_WOO_SECRET: 'cs_bench' } });
      const files = batch === 'order' ? await countFiles(path.join(dir, 'warehouse'), '.json') : await countFiles(path.join(dir, 'warehouse'), '.ndjson');
      rows.push([`wharf sync (batch: ${batch}; ${fmt.int(files)} file(s))`, fmt.int(n), fmt.s(r.elapsedMs), fmt.int(n / (r.elapsedMs / 1000)), (bare.elapsedMs / r.elapsedMs).toFixed(2), fmt.mb(r.maxRssKb)]);
      cpu.push(`batch: ${batch} ${fmt.s(r.userMs)} user + ${fmt.s(r.systemMs)} sys`);
    }
    table(rows);
    console.log(`  CPU wharf: ${cpu.join('; ')}; bare: ${fmt.s(bare.userMs)} user + ${fmt.s(bare.systemMs)} sys`);
    console.log('  ratio = bare time / wharf time (aim: batch: file ≥ 0.8, batch: order ≥ 0.4). Wharf times include process start, mapping, validation, the ledger and the files.');
  } finally {
    server.kill('SIGKILL');
    t.cleanup();
  }
}

async function main() {
  const names = process.argv.slice(2);
  for (const n of names) if (!BENCHES[n]) throw new Error(`unknown benchmark ${n}; known: ${Object.keys(BENCHES).join(', ')}`);
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (or `npm run bench`) first');
  console.log(`Wharf benchmarks — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} vCPU (${os.cpus()[0]?.model ?? '?'}), ${fmt.int(os.totalmem() / 2 ** 30)} GiB RAM`);
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
    console.log(`\n== ${name}   (load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`);
    await BENCHES[name]();
  }
}

// ------------------------------------------------------------------------------------------ large

async function large() {
  const lines = envInt('BENCH_LINES', 1_000_000);
  const quarter = Math.max(1, Math.round(lines / 4));
  const t = tempDir('large');
  try {
    const data = path.join(t.dir, 'data');
    await fs.mkdir(data);
    const full = path.join(data, `orders-${lines}.csv`);
    const small = path.join(data, `orders-${quarter}.csv`);
    process.stdout.write(`  generating ${fmt.int(lines)} + ${fmt.int(quarter)} lines … `);
    const gen = await writeOrdersCsv(full, lines);
    const genSmall = await writeOrdersCsv(small, quarter, 43);
    console.log(`${fmt.int(gen.orders)} orders, ${fmt.num(gen.bytes / 1e6)} MB`);

    const bare = await runWorker('worker-large-bare.js', [full, path.join(t.dir, 'bare.ndjson')]);
    if (bare.invalid > 0) console.log(`  WARNING: the bare loop found ${bare.invalid} invalid orders`);
    const wharf = await wharfOnceOnFile(t.dir, 'full', full);
    const wharfQ = await wharfOnceOnFile(t.dir, 'quarter', small);

    const thr = (r, n, bytes) => ({ lps: n / (r.elapsedMs / 1000), mbps: bytes / 1e6 / (r.elapsedMs / 1000) });
    const b = thr(bare, lines, gen.bytes);
    const w = thr(wharf, lines, gen.bytes);
    const q = thr(wharfQ, quarter, genSmall.bytes);
    table([
      ['variant', 'lines', 'time', 'lines/s', 'MB/s', 'peak RSS'],
      ['bare limit (csv-parse → map → ajv → NDJSON)', fmt.int(lines), fmt.s(bare.elapsedMs), fmt.int(b.lps), fmt.num(b.mbps), fmt.mb(bare.maxRssKb)],
      ['wharf once (batch: file)', fmt.int(lines), fmt.s(wharf.elapsedMs), fmt.int(w.lps), fmt.num(w.mbps), fmt.mb(wharf.maxRssKb)],
      ['wharf once, 1/4 size', fmt.int(quarter), fmt.s(wharfQ.elapsedMs), fmt.int(q.lps), fmt.num(q.mbps), fmt.mb(wharfQ.maxRssKb)],
    ]);
    console.log(`  ratio wharf/bare throughput: ${(w.lps / b.lps).toFixed(2)}  (aim ≥ 0.6, issue 10)`);
    console.log(`  peak RSS wharf full/quarter size: ${(wharf.maxRssKb / wharfQ.maxRssKb).toFixed(2)}  (1.00 = flat; the input is 4× larger; aim ≤ 1.15)`);
    console.log(`  CPU wharf: ${fmt.s(wharf.userMs)} user + ${fmt.s(wharf.systemMs)} sys; bare: ${fmt.s(bare.userMs)} user + ${fmt.s(bare.systemMs)} sys`);
    // The ledger right after the import (orders delivered, nothing pruned yet): SQLite file + WAL.
    console.log(`  ledger size after wharf once: ${fmt.num(wharf.ledgerBytes / 1e6)} MB = ${(wharf.ledgerBytes / gen.bytes).toFixed(2)}× the input  (aim ≤ 1.5×)`);
    const same = await compareNdjson(wharf.output, path.join(t.dir, 'bare.ndjson'));
    console.log(same.same
      ? `  check: Wharf's NDJSON and the bare loop's are identical (${fmt.int(same.records)} orders, ignoring source.receivedAt)`
      : `  check: OUTPUTS DIFFER at order ${same.firstDiff.record}:\n    wharf ${same.firstDiff.wharf}\n    bare  ${same.firstDiff.bare}`);
  } finally {
    t.cleanup();
  }
}

/**
 * The SQLite ledger right after `wharf once` imports a generated order CSV (the large benchmark's input
 * and setup, without the bare loop): its size against the input's, the process's CPU time, and where
 * the bytes are (SQLite's dbstat: pages per table and index).
 */
async function ledger() {
  const lines = envInt('BENCH_LINES', 1_000_000);
  const t = tempDir('ledger');
  try {
    const data = path.join(t.dir, 'data');
    await fs.mkdir(data);
    const file = path.join(data, `orders-${lines}.csv`);
    const gen = await writeOrdersCsv(file, lines);
    const wharf = await wharfOnceOnFile(t.dir, 'full', file);
    console.log(`  ${fmt.int(lines)} lines, ${fmt.int(gen.orders)} orders, ${fmt.num(gen.bytes / 1e6)} MB; wharf once CPU ${fmt.s(wharf.userMs)} user + ${fmt.s(wharf.systemMs)} sys, peak RSS ${fmt.mb(wharf.maxRssKb)}`);
    console.log(`  ledger size after wharf once: ${fmt.num(wharf.ledgerBytes / 1e6)} MB = ${(wharf.ledgerBytes / gen.bytes).toFixed(2)}× the input  (aim ≤ 1.5×)`);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(t.dir, 'wharf-full', 'ledger', 'wharf.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all();
      table([['table or index', 'MB', '× input'], ...rows.filter((r) => r.bytes >= 1e5).map((r) => [r.name, fmt.num(r.bytes / 1e6), (r.bytes / gen.bytes).toFixed(2)])]);
    } finally {
      db.close();
    }
  } finally {
    t.cleanup();
  }
}

/** A fresh Wharf setup (folder channel, batch: file, own ledger) and `wharf once` on one file. */
async function wharfOnceOnFile(base, label, file) {
  const dir = path.join(base, `wharf-${label}`);
  const inbox = path.join(dir, 'inbox');
  await fs.mkdir(inbox, { recursive: true });
  await fs.link(file, path.join(inbox, path.basename(file))); // same bytes, no copy; archive moves the link
  const config = await writeConfig(dir, {
    batch: 'file',
    channel: {
      type: 'folder', path: inbox, files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }],
      minAge: 0, pollInterval: 0.1, watch: false, afterImport: 'archive',
      maxFileSize: 8 * 1024 ** 3, // the default 100 MiB would quarantine a file of a million lines
    },
  });
  const r = await runWorker('worker-wharf.js', ['once', '--config', config], { stderrFile: path.join(dir, 'wharf.log') });
  const outs = (await fs.readdir(path.join(dir, 'warehouse'))).filter((n) => n.endsWith('.ndjson'));
  if (outs.length !== 1) throw new Error(`expected one NDJSON file from wharf once, found ${outs.length}: ${r.stdout}`);
  const size = async (f) => (await fs.stat(f).catch(() => ({ size: 0 }))).size;
  const ledger = path.join(dir, 'ledger', 'wharf.sqlite');
  return { ...r, output: path.join(dir, 'warehouse', outs[0]), ledgerBytes: (await size(ledger)) + (await size(`${ledger}-wal`)) };
}

// ------------------------------------------------------------------------------------- many-files

async function manyFiles() {
  const n = envInt('BENCH_FILES', 10_000);
  const timeoutMs = Math.max(300_000, n * 100);
  // The daemon's default is watch: true (fs.watch); BENCH_FOLDER_WATCH=false measures rescans only.
  const watch = process.env.BENCH_FOLDER_WATCH !== 'false';
  const t = tempDir('many');
  try {
    process.stdout.write(`  generating 2 × ${fmt.int(n)} single-order files … `);
    const dropW = path.join(t.dir, 'drop-wharf');
    const dropB = path.join(t.dir, 'drop-bare');
    const gen = await writeOrderFiles(dropW, n);
    await writeOrderFiles(dropB, n);
    console.log(`${fmt.num(gen.bytes / 1e6)} MB each`);

    // Wharf: the real daemon (`wharf run`) watching the inbox; files are dropped while it runs.
    const wharf = await wharfDaemonOnFiles(path.join(t.dir, 'wharf'), dropW, n, { timeoutMs, watch });
    const wOut = wharf.out;

    // Bare: the same per-file work in a loop, no ledger.
    const bDir = path.join(t.dir, 'bare');
    const bInbox = path.join(bDir, 'inbox');
    const bOut = path.join(bDir, 'warehouse');
    await fs.mkdir(bInbox, { recursive: true });
    const bare = await runWorker('worker-many-bare.js', [bInbox, bOut, String(n)], {
      hooks: {
        onStart: async (child) => {
          await new Promise((resolve) => child.stdout.once('data', resolve));
          return dropAndWait(child, dropB, bInbox, bOut, n, timeoutMs);
        },
      },
    });

    const fps = (r) => n / (r.hook.ms / 1000);
    table([
      ['variant', 'files', 'time (drop → last output)', 'files/s', 'peak RSS'],
      ['bare loop (read → parse → map → ajv → atomic write)', fmt.int(n), fmt.s(bare.hook.ms), fmt.num(fps(bare)), fmt.mb(bare.maxRssKb)],
      [`wharf run (folder channel, batch: order${watch ? '' : ', watch: false'})`, fmt.int(n), fmt.s(wharf.hook.ms), fmt.num(fps(wharf)), fmt.mb(wharf.maxRssKb)],
    ]);
    console.log(`  ratio wharf/bare throughput: ${(fps(wharf) / fps(bare)).toFixed(2)}`);
    console.log(`  CPU wharf: ${fmt.s(wharf.userMs)} user + ${fmt.s(wharf.systemMs)} sys; bare: ${fmt.s(bare.userMs)} user + ${fmt.s(bare.systemMs)} sys`);
    // The ledger right after the import (orders delivered, nothing pruned yet): SQLite file + WAL.
    console.log(`  ledger size after wharf run: ${fmt.num(wharf.ledgerBytes / 1e6)} MB = ${(wharf.ledgerBytes / gen.bytes).toFixed(2)}× the input  (aim ≤ 1.5×)`);
    const diff = await compareOrderFolders(wOut, bOut);
    console.log(diff ? `  check: OUTPUTS DIFFER: ${diff}` : `  check: every one of the ${fmt.int(n)} canonical files is identical in both (ignoring source.receivedAt)`);
  } finally {
    t.cleanup();
  }
}

/**
 * The real daemon (`wharf run`, folder channel with the demo-orders-csv mapping, `batch: order`, own
 * SQLite ledger in `dir`): waits until it is running, moves every file of `drop` into its inbox, waits
 * until `n` canonical files exist, then SIGTERMs it. Resolves runWorker's result (peak RSS, CPU,
 * hook: { ms, dropMs }) plus { out } (the warehouse folder).
 */
async function wharfDaemonOnFiles(wDir, drop, n, { timeoutMs, watch }) {
  const wInbox = path.join(wDir, 'inbox');
  const wOut = path.join(wDir, 'warehouse');
  await fs.mkdir(wInbox, { recursive: true });
  const config = await writeConfig(wDir, {
    batch: 'order',
    channel: { type: 'folder', path: wInbox, files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }], minAge: 0, pollInterval: 0.2, watch },
  });
  const log = path.join(wDir, 'wharf.log');
  const r = await runWorker('worker-wharf.js', ['run', '--config', config], {
    stderrFile: log,
    hooks: {
      onStart: async (child, exited) => {
        await Promise.race([waitUntil(() => readFileSync(log, 'utf8').includes('wharf is running'), { everyMs: 20, timeoutMs: 30_000, what: 'wharf run to start' }), exited.then(() => { throw new Error('wharf run exited early'); })]);
        return dropAndWait(child, drop, wInbox, wOut, n, timeoutMs);
      },
    },
  });
  const size = async (f) => (await fs.stat(f).catch(() => ({ size: 0 }))).size;
  const ledger = path.join(wDir, 'ledger', 'wharf.sqlite');
  return { ...r, out: wOut, ledgerBytes: (await size(ledger)) + (await size(`${ledger}-wal`)) };
}

// -------------------------------------------------------------------------------------- node-red

/**
 * Peer benchmark: Node-RED 4 running our flow (bench/peers/node-red-flow.json) against `wharf run` on the
 * same BENCH_PEER_FILES single-order files (the many-files data), both timed from the first drop to the
 * last canonical file. Node-RED is installed from npm by bench/peers/node-red.js (skipped, with a line
 * saying why, when npm cannot install it).
 */
async function nodeRed() {
  const n = envInt('BENCH_PEER_FILES', 5_000);
  const timeoutMs = Math.max(300_000, n * 100);
  const nr = await ensureNodeRed();
  if (nr.skip) {
    console.log(`  SKIPPED: Node-RED is not installed in ${nodeRedCacheDir()} and ${nr.skip}`);
    return;
  }
  console.log(`  Node-RED ${nr.version} in ${nodeRedCacheDir()} (${nr.installedMs > 0 ? `installed now with npm in ${fmt.s(nr.installedMs)}` : 'cached from an earlier run'}); flow ${path.relative(ROOT, FLOW_FILE)}`);
  const t = tempDir('node-red');
  try {
    process.stdout.write(`  generating 2 × ${fmt.int(n)} single-order files (the many-files data) … `);
    const dropW = path.join(t.dir, 'drop-wharf');
    const dropN = path.join(t.dir, 'drop-node-red');
    const gen = await writeOrderFiles(dropW, n);
    await writeOrderFiles(dropN, n);
    console.log(`${fmt.num(gen.bytes / 1e6)} MB each`);

    const node = await runNodeRed({ pkgDir: nr.pkgDir, dir: path.join(t.dir, 'node-red'), drop: dropN, n, timeoutMs });
    const wharf = await wharfDaemonOnFiles(path.join(t.dir, 'wharf'), dropW, n, { timeoutMs, watch: true });

    const fps = (r) => n / (r.hook.ms / 1000);
    table([
      ['variant', 'files', 'time (drop → last output)', 'files/s', 'peak RSS'],
      [`Node-RED ${nr.version} (watch → file in → csv → function map+ajv → file → rename+archive)`, fmt.int(n), fmt.s(node.hook.ms), fmt.num(fps(node)), fmt.mb(node.maxRssKb)],
      ['wharf run (folder channel, batch: order)', fmt.int(n), fmt.s(wharf.hook.ms), fmt.num(fps(wharf)), fmt.mb(wharf.maxRssKb)],
    ]);
    console.log(`  ratio wharf/Node-RED throughput: ${(fps(wharf) / fps(node)).toFixed(2)}  (aim ≥ 1.5)`);
    console.log(`  CPU wharf: ${fmt.s(wharf.userMs)} user + ${fmt.s(wharf.systemMs)} sys; Node-RED: ${fmt.s(node.userMs)} user + ${fmt.s(node.systemMs)} sys`);
    const archived = await countFiles(path.join(t.dir, 'node-red', 'inbox'), '.csv');
    if (archived > 0) console.log(`  WARNING: ${archived} input files are still in Node-RED's inbox (not archived)`);
    // Warnings and errors once the flows run (start-up notes such as "Projects disabled" are not about the job).
    const logText = await fs.readFile(node.log, 'utf8');
    const warnings = logText.slice(logText.indexOf('Started flows')).split('\n').filter((l) => /\[(warn|error)\]/.test(l));
    if (warnings.length > 0) console.log(`  WARNING: Node-RED logged ${warnings.length} warnings/errors, first: ${warnings[0].slice(0, 300)}`);
    const diff = await compareOrderFolders(wharf.out, node.out, ['wharf', 'Node-RED']);
    console.log(diff
      ? `  check: OUTPUTS DIFFER: ${diff}`
      : `  check: every one of the ${fmt.int(n)} canonical files is identical in both, same file names (ignoring source.receivedAt, the time each read the file)`);
  } finally {
    t.cleanup();
  }
}

// ------------------------------------------------------------------------------------------- sftp

async function sftp() {
  const n = envInt('BENCH_SFTP_FILES', 2_000);
  // afterImport keep would let both read one set, but `wharf once` then never ends (see docs/benchmarks.md);
  // so each variant gets its own identical copy on the same server and Wharf archives (its default).
  const afterImport = process.env.BENCH_SFTP_AFTER_IMPORT ?? 'archive';
  const t = tempDir('sftp');
  let sshd;
  try {
    sshd = await startSshd(path.join(t.dir, 'sshd'));
    const remotes = { wharf: path.join(sshd.root, 'wharf'), rclone: path.join(sshd.root, 'rclone'), rcloneNoHash: path.join(sshd.root, 'rclone-nohash') };
    process.stdout.write(`  sshd on 127.0.0.1:${sshd.port}; generating 3 × ${fmt.int(n)} order files on it … `);
    let gen;
    for (const dir of Object.values(remotes)) gen = await writeOrderFiles(dir, n, 11);
    console.log(`${fmt.num(gen.bytes / 1e6)} MB each`);

    // Wharf: `wharf once` on an SFTP channel (host key pinned, defaults: concurrency 4, maxFilesPerPoll 500).
    const wDir = path.join(t.dir, 'wharf');
    const config = await writeConfig(wDir, {
      batch: 'order',
      channel: {
        type: 'sftp', host: sshd.host, port: sshd.port, username: sshd.username, privateKey: `file:${sshd.clientKeyPath}`,
        hostKey: sshd.fingerprint, paths: [remotes.wharf], files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }],
        minAge: 0, pollInterval: 0.1, afterImport,
      },
    });
    const wharf = await runWorker('worker-wharf.js', ['once', '--config', config], { stderrFile: path.join(wDir, 'wharf.log') });
    const delivered = await countFiles(path.join(wDir, 'warehouse'), '.json');

    const rcloneRun = async (remote, local, flags) => {
      const r = await runWorker('worker-rclone.js', [sshd.host, String(sshd.port), sshd.username, sshd.clientKeyPath, sshd.knownHosts, remote, local, ...flags]);
      return { ...r, files: await countFiles(local, '.csv') };
    };
    const rclone = await rcloneRun(remotes.rclone, path.join(t.dir, 'rclone'), []);
    const rcloneNoHash = await rcloneRun(remotes.rcloneNoHash, path.join(t.dir, 'rclone-nohash'), ['--sftp-disable-hashcheck']);

    const row = (label, files, ms, kb) => [label, fmt.int(files), fmt.s(ms), fmt.num(files / (ms / 1000)), fmt.mb(kb)];
    table([
      ['variant', 'files', 'time', 'files/s', 'peak RSS'],
      row('rclone copy (defaults: remote md5sum check per file)', rclone.files, rclone.elapsedMs, rclone.rcloneRssKb),
      row('rclone copy --sftp-disable-hashcheck (transfer only)', rcloneNoHash.files, rcloneNoHash.elapsedMs, rcloneNoHash.rcloneRssKb),
      row(`wharf once (download → ledger → canonical files; ${afterImport})`, delivered, wharf.elapsedMs, wharf.maxRssKb),
    ]);
    console.log(`  ratio wharf/rclone time: ${(wharf.elapsedMs / rclone.elapsedMs).toFixed(2)} against defaults, ${(wharf.elapsedMs / rcloneNoHash.elapsedMs).toFixed(2)} against transfer only`);
    console.log(`  rclone peak RSS by ${rclone.rssMethod}; wharf: ${wharf.stdout.trim().split('\n').join(' | ')}`);
    if (delivered !== n || rclone.files !== n || rcloneNoHash.files !== n) {
      console.log(`  WARNING: expected ${n} files each; wharf delivered ${delivered}, rclone copied ${rclone.files} and ${rcloneNoHash.files}`);
    }
  } finally {
    await sshd?.stop();
    t.cleanup();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exitCode = 1;
});
