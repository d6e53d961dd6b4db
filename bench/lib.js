// Shared helpers of the benchmarks: test data in the demo order layout, child-process runs that
// report their own peak RSS, and formatting. Plain ESM JavaScript (bench/ is not compiled).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');
export const BOM = '\uFEFF';
export const HEADER = [
  'Bestelnummer', 'Besteldatum', 'Status', 'Naam', 'Bedrijf', 'Straat', 'Huisnummer', 'Toevoeging', 'Postcode', 'Plaats',
  'Land', 'E-mail', 'Telefoon', 'Verzendmethode', 'Vervoerder', 'Afhaalpunt ID', 'Afhaalpunt', 'Regel', 'SKU', 'EAN',
  'Omschrijving', 'Aantal', 'Prijs', 'Verzendkosten', 'Totaal', 'Opmerking',
];

// ------------------------------------------------------------------ environment

export function envInt(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

/** A fresh temp dir under os.tmpdir(); removed by `cleanup()` unless BENCH_KEEP=1. */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `wharf-bench-${prefix}-`));
  return {
    dir,
    cleanup() {
      if (process.env.BENCH_KEEP === '1') {
        console.log(`  (kept ${dir})`);
        return;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ data

/** mulberry32: a small seeded PRNG, so every run generates the same data. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (arr) => arr[Math.floor(next() * arr.length)] };
}

const FIRST = ['Jan', 'Sophie', 'Maria', 'Pieter', 'Lotte', 'Daan', 'Emma', 'Noah', 'Julia', 'Lucas', 'Anouk', 'Thomas', 'Sanne', 'Bram', 'Fleur', 'Jürgen', 'Chloé', 'Zoë', 'Mehmet', 'Fatima', 'Kees', 'Inge', 'Wouter', 'Élodie'];
const LAST = ['de Vries', 'Janssens', 'Müller', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Jong', 'van Dijk', 'Peeters', 'Maes', 'Schmidt', 'Schneider', 'Mertens', 'van den Berg', 'Dekker', 'Brouwer', 'Öztürk', 'El Amrani', "d'Hondt"];
const COMPANIES = ['Bloemenatelier Sophie', 'Theehuis De Kade', 'Café Het Hoekje', 'Kantoor Jansen & Zn.', 'Praxis Dr. Schmidt', 'B&B Zeezicht'];
const PLACES = [
  // [country as written, street, city, postcode generator]
  ['Nederland', 'Prinsengracht', 'Amsterdam', 'nl'], ['NL', 'Eerste Helmersstraat', 'Amsterdam', 'nl'], ['Nederland', 'Oudegracht', 'Utrecht', 'nl'],
  ['Nederland', 'Coolsingel', 'Rotterdam', 'nl'], ['Netherlands', 'Grote Markt', 'Groningen', 'nl'], ['Nederland', 'Stationsweg', 'Den Haag', 'nl'],
  ['België', 'Kerkstraat', 'Gent', 'be'], ['BE', 'Meir', 'Antwerpen', 'be'], ['Belgique', 'Rue Neuve', 'Bruxelles', 'be'],
  ['Deutschland', 'Hauptstraße', 'Berlin', 'de'], ['DE', 'Königsallee', 'Düsseldorf', 'de'], ['Germany', 'Schildergasse', 'Köln', 'de'],
];
const CARRIERS = { nl: ['PostNL', 'DHL', 'DPD'], be: ['bpost', 'DHL', 'DPD'], de: ['DHL', 'DHL Parcel', 'GLS', 'UPS'] };
const PRODUCTS = [
  ['TEA-EARLGREY-100', '0871234567890', 'Earl Grey losse thee 100 g', '6,95'],
  ['TEA-ROOIBOS-100', '0871234567920', 'Rooibos vanille 100 g', '5,75'],
  ['TEA-SENCHA-100', '0871234567944', 'Sencha groene thee 100 g', '7,25'],
  ['TEA-CHAI-250', '0871234567951', 'Masala chai 250 g', '11,95'],
  ['TEA-MINT-50', '0871234567968', 'Marokkaanse munt 50 g', '4,50'],
  ['TEA-JASMINE-100', '0871234567975', 'Jasmijn parels 100 g', '14,95'],
  ['MUG-STONE-WHITE', '0871234567906', 'Mok steengoed wit 350 ml', '12,50'],
  ['MUG-STONE-BLUE', '0871234567982', 'Mok steengoed blauw 350 ml', '12,50'],
  ['POT-GLASS-1L', '0871234567999', 'Theepot glas 1 l', '24,95'],
  ['INFUSER-STEEL', '0004012345678', 'Thee-ei rvs', '9,45'],
  ['SPOON-BRASS', '0871234567937', 'Maatlepel messing', '4,55'],
  ['FILTER-PAPER-100', '', 'Theefilters papier (100 st.)', '3,25'],
  ['GIFT-BOX-TEA', '0871234567913', 'Cadeaudoos thee & mokken', '24,95'],
];
const NOTES = ['Graag niet aanbellen', 'Bij de buren afgeven', 'Cadeauverpakking; kaartje: "Gefeliciteerd!"', 'Achterom, groene deur', 'Bitte beim Nachbarn abgeben', 'Livraison après 17h'];
const PICKUP = [['NL-204711', 'Primera Utrecht Centrum'], ['NL-118230', 'Bruna Amsterdam West'], ['BE-77120', 'bpost punt Gent Zuid'], ['DE-5531', 'DHL Packstation 131']];

const pad2 = (n) => (n < 10 ? `0${n}` : String(n));
const money = (cents) => `${Math.floor(cents / 100)},${pad2(cents % 100)}`;
const cents = (s) => Number(s.replace(',', ''));
const csvCell = (s) => (/[;"\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function postcode(r, kind) {
  if (kind === 'nl') {
    const letters = String.fromCharCode(65 + r.int(0, 25)) + String.fromCharCode(65 + r.int(0, 25));
    return `${r.int(1000, 9999)} ${r.next() < 0.1 ? letters.toLowerCase() : letters}`;
  }
  if (kind === 'be') return String(r.int(1000, 9999));
  return String(r.int(10000, 99999));
}

/**
 * The rows of one order in the demo layout (samples/orders-semicolon.csv): one row per order line,
 * the order's fields repeated on each. `lines` is the number of rows. Returns CSV text (with \n).
 */
export function orderRows(r, orderNo, lines) {
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  const [land, street, city, pcKind] = r.pick(PLACES);
  const company = r.next() < 0.15 ? r.pick(COMPANIES) : '';
  const pickup = pcKind !== 'be' && r.next() < 0.12 ? r.pick(PICKUP) : undefined;
  const year = r.int(2025, 2026);
  const date = `${pad2(r.int(1, 28))}-${pad2(r.int(1, 12))}-${year} ${pad2(r.int(0, 23))}:${pad2(r.int(0, 59))}`;
  const email = `${first}.${last}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '') + `${r.int(1, 999)}@example.${pcKind}`;
  const phone = r.next() < 0.8 ? (pcKind === 'nl' ? `+31 6 ${r.int(10000000, 99999999)}` : pcKind === 'be' ? `+32 4${r.int(70, 99)} ${r.int(100000, 999999)}` : `+49 30 ${r.int(1000000, 9999999)}`) : '';
  const status = r.next() < 0.8 ? 'nieuw' : r.next() < 0.5 ? 'betaald' : 'open';
  const method = pickup ? 'Afhaalpunt' : pcKind === 'de' ? 'Standard' : 'Standaard';
  const carrier = r.pick(CARRIERS[pcKind]);
  const shipping = pickup ? 0 : r.pick([395, 495, 595, 695]);
  const note = r.next() < 0.1 ? r.pick(NOTES) : '';
  const items = [];
  let total = shipping;
  for (let i = 1; i <= lines; i++) {
    const [sku, ean, name, price] = PRODUCTS[r.next() < 0.02 ? PRODUCTS.length - 1 : r.int(0, PRODUCTS.length - 2)];
    const qty = r.next() < 0.7 ? 1 : r.int(2, 4);
    total += cents(price) * qty;
    items.push([String(i), sku, ean, name, String(qty), price]);
  }
  const head = [orderNo, date, status, `${first} ${last}`, company, street, String(r.int(1, 400)), r.next() < 0.15 ? r.pick(['A', 'bis', 'hs', '2']) : '', postcode(r, pcKind), city, land, email, phone, method, carrier, pickup?.[0] ?? '', pickup?.[1] ?? ''].map(csvCell).join(';');
  const tail = [money(shipping), money(total), note].map(csvCell).join(';');
  let out = '';
  for (const it of items) out += `${head};${it.map(csvCell).join(';')};${tail}\n`;
  return out;
}

/** Lines per order: 1..5, mean 3. */
export const linesPerOrder = (r) => r.int(1, 5);

/**
 * Streams a CSV of exactly `lines` data rows (plus header, with BOM) to `file`, ~3 rows per order,
 * unique order numbers. Never holds more than one chunk in memory. Returns { orders, bytes }.
 */
export async function writeOrdersCsv(file, lines, seed = 42) {
  const r = prng(seed);
  const out = createWriteStream(file);
  let buf = BOM + HEADER.join(';') + '\n';
  let written = 0;
  let orders = 0;
  let bytes = 0;
  while (written < lines) {
    const n = Math.min(linesPerOrder(r), lines - written);
    buf += orderRows(r, `WEB-${1000000 + orders}`, n);
    written += n;
    orders++;
    if (buf.length > 1 << 20) {
      bytes += Buffer.byteLength(buf);
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += Buffer.byteLength(buf);
  out.end(buf);
  await once(out, 'finish');
  return { orders, bytes };
}

/** One small order file (one order, 1..5 rows) per index: `orders-<i>.csv` in `dir`. */
export async function writeOrderFiles(dir, count, seed = 7) {
  const r = prng(seed);
  await fs.mkdir(dir, { recursive: true });
  let bytes = 0;
  const batch = [];
  for (let i = 0; i < count; i++) {
    const text = BOM + HEADER.join(';') + '\n' + orderRows(r, `SHOP-${500000 + i}`, linesPerOrder(r));
    bytes += Buffer.byteLength(text);
    batch.push(fs.writeFile(path.join(dir, `orders-${String(i).padStart(6, '0')}.csv`), text));
    if (batch.length >= 64) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  return { bytes };
}

// ------------------------------------------------------------------ config

/** A Wharf config (YAML text is JSON-compatible) written to `<dir>/wharf.yaml`. */
export async function writeConfig(dir, { channel, batch = 'order', logLevel = 'info' }) {
  const cfg = {
    ledger: { driver: 'sqlite', path: path.join(dir, 'ledger', 'wharf.sqlite') },
    mappings: path.join(ROOT, 'mappings'),
    dataDir: path.join(dir, 'var'),
    log: { level: logLevel },
    warehouse: { orders: { path: path.join(dir, 'warehouse'), batch } },
    merchants: { bench: { name: 'Benchmark merchant', channels: { in: channel } } },
  };
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'wharf.yaml');
  await fs.writeFile(file, `${JSON.stringify(cfg, null, 2)}\n`);
  return file;
}

// ------------------------------------------------------------------ child processes

/**
 * Runs `node bench/<worker> args…` and resolves with the JSON the worker wrote to $BENCH_RESULT
 * (its own timing and process.resourceUsage().maxRSS), plus the wall time seen from here.
 * `hooks.onStart(child)` may drive the child (e.g. drop files, then SIGTERM it).
 */
export async function runWorker(worker, args, { env = {}, stderrFile, hooks } = {}) {
  const resultFile = path.join(os.tmpdir(), `wharf-bench-result-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const stderr = stderrFile ? await fs.open(stderrFile, 'a') : undefined;
  const started = performance.now();
  // BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to every worker's node.
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...flags, path.join(BENCH_DIR, worker), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, BENCH_RESULT: resultFile },
    stdio: ['ignore', 'pipe', stderr ? stderr.fd : 'pipe'],
  });
  let stdout = '';
  let errText = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (errText = (errText + d).slice(-20000)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  let hookValue;
  try {
    if (hooks?.onStart) hookValue = await hooks.onStart(child, exited);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await stderr?.close();
    throw err;
  }
  const { code, signal, at } = await exited;
  await stderr?.close();
  let result;
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8'));
  } catch {
    const tail = stderrFile ? readFileSync(stderrFile, 'utf8').slice(-4000) : errText;
    throw new Error(`${worker} ${args.join(' ')} exited (${code ?? signal}) without a result\n${stdout}\n${tail}`);
  } finally {
    rmSync(resultFile, { force: true });
  }
  if (code !== 0 && code !== null) {
    const tail = stderrFile ? readFileSync(stderrFile, 'utf8').slice(-4000) : errText;
    throw new Error(`${worker} exited with code ${code}\n${stdout}\n${tail}`);
  }
  return { ...result, wallMs: at - started, stdout, hook: hookValue };
}

/** Called by workers: writes their result (with peak RSS) for runWorker. */
export function report(extra = {}) {
  const file = process.env.BENCH_RESULT;
  const ru = process.resourceUsage();
  const out = { ...extra, maxRssKb: ru.maxRSS, userMs: ru.userCPUTime / 1000, systemMs: ru.systemCPUTime / 1000 };
  // Synchronous on purpose: also called from process.on('exit').
  if (file) writeFileSync(file, JSON.stringify(out));
  else console.log(JSON.stringify(out));
}

/** Polls `check` every `everyMs` until it is truthy or the deadline passes. Resolves with the time (performance.now()) it became true. */
export async function waitUntil(check, { everyMs = 100, timeoutMs, what }) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Number of visible (non-dot) entries of `dir` ending with `suffix`. */
export async function countFiles(dir, suffix) {
  try {
    let n = 0;
    for (const name of await fs.readdir(dir)) if (!name.startsWith('.') && name.endsWith(suffix)) n++;
    return n;
  } catch (err) {
    if (err.code === 'ENOENT') return 0;
    throw err;
  }
}

/** Moves every file of `from` into the watched inbox, waits until `n` outputs exist, then SIGTERMs the child. */
export async function dropAndWait(child, from, inbox, out, n, timeoutMs) {
  const names = (await fs.readdir(from)).sort();
  const start = performance.now();
  for (const name of names) await fs.rename(path.join(from, name), path.join(inbox, name));
  const dropMs = performance.now() - start;
  const doneAt = await waitUntil(async () => (await countFiles(out, '.json')) >= n, { everyMs: 100, timeoutMs, what: `${n} canonical files in ${out}` });
  child.kill('SIGTERM');
  return { ms: doneAt - start, dropMs };
}

/**
 * Compares two folders of canonical order files (`*.json`): same names, and each pair equal as JSON once
 * source.receivedAt (the time each variant read the file) is dropped. Resolves undefined when equal,
 * else a description of the first difference, the variants named by `labels`.
 */
export async function compareOrderFolders(a, b, labels = ['wharf', 'bare']) {
  const names = (await fs.readdir(a)).filter((x) => x.endsWith('.json')).sort();
  const other = (await fs.readdir(b)).filter((x) => x.endsWith('.json')).sort();
  if (names.join('\n') !== other.join('\n')) return `file names differ (${names.length} vs ${other.length})`;
  for (const name of names) {
    const [x, y] = await Promise.all([fs.readFile(path.join(a, name), 'utf8'), fs.readFile(path.join(b, name), 'utf8')]);
    const norm = (s) => {
      const o = JSON.parse(s);
      delete o.source.receivedAt;
      return JSON.stringify(o);
    };
    if (norm(x) !== norm(y)) return `${name}\n    ${labels[0].padEnd(8)} ${norm(x)}\n    ${labels[1].padEnd(8)} ${norm(y)}`;
  }
  return undefined;
}

// ------------------------------------------------------------------ output

export const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  num: (n, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }),
  mb: (kb) => `${(kb / 1024).toFixed(0)} MB`,
  s: (ms) => `${(ms / 1000).toFixed(2)} s`,
};

/** Prints an aligned table: rows of equal-length string arrays, first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [k, r] of rows.entries()) {
    console.log('  ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '));
    if (k === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/**
 * Compares two NDJSON files of canonical orders record by record, ignoring source.receivedAt (the
 * only field that differs by design). Resolves { records, same, firstDiff }.
 */
export async function compareNdjson(a, b) {
  const { createInterface } = await import('node:readline');
  const { createReadStream } = await import('node:fs');
  const norm = (line) => {
    if (line === undefined) return undefined;
    const o = JSON.parse(line);
    if (o.source) delete o.source.receivedAt;
    return JSON.stringify(o);
  };
  const ia = createInterface({ input: createReadStream(a), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const ib = createInterface({ input: createReadStream(b), crlfDelay: Infinity })[Symbol.asyncIterator]();
  let records = 0;
  for (;;) {
    const [x, y] = await Promise.all([ia.next(), ib.next()]);
    if (x.done && y.done) return { records, same: true };
    const nx = norm(x.value);
    const ny = norm(y.value);
    if (nx !== ny) return { records, same: false, firstDiff: { record: records + 1, wharf: nx, bare: ny } };
    records++;
  }
}
