/**
 * Merchant exports through the real CLI (`wharf sync MERCHANT stock|shipments`, `wharf status`), real
 * files, a SQLite ledger seeded through real intake, a real sshd, and `kill -9` in the middle of a
 * large export.
 */
import { existsSync, promises as fs, readFileSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { SqliteStore } from '../../src/ledger/sqlite.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { Daemon, EXPECTED, SAMPLES, listFiles, waitFor, type Workspace, workspacesPerTest } from '../helpers/e2e.js';
import { seed, shopifyProductsJson, stockCsv } from '../exports/seed.js';

const freshWorkspace = workspacesPerTest();

/** A workspace whose merchant demo has a stock and a shipments export into `<root>/outbox` (or `destination`). */
async function workspace(exportsOverride: Record<string, unknown> = {}, destination?: Record<string, unknown>): Promise<Workspace & { outbox: string }> {
  const ws = await freshWorkspace();
  const outbox = path.join(ws.root, 'outbox');
  const cfg = ws.configObject() as { merchants: Record<string, Record<string, unknown>> };
  const dest = destination ?? { type: 'folder', path: outbox };
  cfg.merchants.demo!.exports = {
    stock: { schedule: '0 6 * * *', timezone: 'Europe/Amsterdam', destination: dest, mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd-HHmmss}.csv' },
    shipments: { schedule: '*/15 * * * *', destination: dest, mapping: 'merchant-shipments-csv', fileName: 'shipments-{yyyyMMdd-HHmmss}.csv' },
    ...exportsOverride,
  };
  await fs.writeFile(ws.configPath, toYaml(cfg));
  return Object.assign(ws, { outbox });
}

/** Runs `fn` on the workspace's ledger, closed afterwards (the CLI opens it next). */
async function withLedger<T>(ws: Workspace, fn: (s: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(path.join(ws.varDir, 'wharf.sqlite'));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** This host's tag in Wharf's temporary names (src/transports/names.ts). */
const hostTag = () => createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** The id of a process of this host that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const visible = (dir: string) => listFiles(dir).filter((n) => !n.startsWith('.'));

describe('wharf sync MERCHANT stock|shipments', () => {
  it('the samples: orders dropped, the warehouse reports imported, then the exact stock and shipment files', async () => {
    const ws = await workspace();
    await ws.drop('orders-semicolon.csv');
    const once = await ws.once();
    expect(once.code, once.stderr).toBe(0);
    await withLedger(ws, async (s) => {
      await seed(s, ws.root, 'demo', 'reports', 'warehouse-stock-csv', readFileSync(path.join(SAMPLES, 'warehouse', 'stock.csv'), 'utf8'));
      await seed(s, ws.root, 'demo', 'reports', 'warehouse-shipments-csv', readFileSync(path.join(SAMPLES, 'warehouse', 'shipments.csv'), 'utf8'));
    });
    const stock = await ws.wharf(['sync', 'demo', 'stock']);
    expect(stock.code, stock.stderr).toBe(0);
    const [stockFile] = visible(ws.outbox);
    expect(stockFile).toMatch(/^stock-\d{8}-\d{6}\.csv$/);
    expect(stock.stdout).toContain(`demo/stock: ${stockFile} written in ${ws.outbox}: 6 item(s), 6 row(s)`);
    // By SKU, the bundle GIFT-BOX-TEA computed from its components among them (see docs/exports.md).
    expect(readFileSync(path.join(ws.outbox, stockFile!), 'utf8')).toBe(readFileSync(path.join(EXPECTED, 'stock.csv.export-demo-stock.csv'), 'utf8'));

    const ship = await ws.wharf(['sync', 'demo', 'shipments']);
    const shipDoneAt = Date.now();
    expect(ship.code, ship.stderr).toBe(0);
    const shipFile = visible(ws.outbox).find((n) => n.startsWith('shipments-'))!;
    expect(readFileSync(path.join(ws.outbox, shipFile), 'utf8')).toBe(readFileSync(path.join(EXPECTED, 'shipments.csv.merchant-shipments-csv.csv'), 'utf8'));
    // Stderr is not a TTY here: no progress line.
    expect(ship.stderr).not.toContain('items written');

    // Each shipment once: the next run has nothing to say and writes no file.
    // (a sync in the same second would be the same scheduled run: already done)
    await waitFor(() => Math.floor(Date.now() / 1000) > Math.floor(shipDoneAt / 1000), { what: 'the next second' });
    const again = await ws.wharf(['sync', 'demo', 'shipments']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('demo/shipments: nothing to export, no file written');
    expect(visible(ws.outbox)).toEqual([shipFile, stockFile].sort());

    const status = await ws.wharf(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const exportsJson = (JSON.parse(status.stdout) as { exports: { export: string; lastRun: { status: string; items: number; fileName: string } | null; nextRunAt: string; pendingShipments?: number }[] }).exports;
    expect(exportsJson.map((x) => [x.export, x.lastRun?.status, x.pendingShipments])).toEqual([['demo/stock', 'done', undefined], ['demo/shipments', 'done', 0]]);
    // The run's items: the five reported levels and the bundle's.
    expect(exportsJson[0]!.lastRun).toMatchObject({ fileName: stockFile, items: 6 });
    // 06:00 in Amsterdam is 05:00 UTC in winter, 04:00 in summer.
    expect(exportsJson[0]!.nextRunAt).toMatch(/T0[45]:00:00\.000Z$/);
    const text = await ws.wharf(['status']);
    expect(text.stdout).toContain('demo/shipments [*/15 * * * * UTC] next run');
    expect(text.stdout).toContain('0 shipment(s) pending');
  });

  it('changes mode over three syncs with a bundle a product record defines: its row only when its computed quantity changed, counted in status', async () => {
    const ws = await workspace();
    const cfg = parseYaml(await fs.readFile(ws.configPath, 'utf8')) as { merchants: { demo: { exports: { stock: Record<string, unknown> } } } };
    cfg.merchants.demo.exports.stock.mode = 'changes';
    await fs.writeFile(ws.configPath, toYaml(cfg));
    // The shop's catalogue (as a products pull stores it): DUO = 2 A + 1 B. GIFT-BOX-TEA comes from the orders mapping's lookup.
    await withLedger(ws, async (s) => {
      await seed(s, ws.root, 'demo', 'shop', 'shopify.product', shopifyProductsJson([['A'], ['B'], ['DUO', [['A', 2], ['B', 1]]]]), { ext: 'json' });
      await seed(s, ws.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 9], ['B', 3], ['DUO', 50]]));
    });
    const sync = async () => {
      const r = await ws.wharf(['sync', 'demo', 'stock']);
      const done = Date.now();
      expect(r.code, r.stderr).toBe(0);
      // The next sync must run in a later second (a sync in the same second is the same scheduled run).
      await waitFor(() => Math.floor(Date.now() / 1000) > Math.floor(done / 1000), { what: 'the next second' });
      return r;
    };
    const lastItems = async () => {
      const st = await ws.wharf(['status', '--json']);
      return (JSON.parse(st.stdout) as { exports: { export: string; lastRun: { items: number } | null }[] }).exports.find((x) => x.export === 'demo/stock')!.lastRun!.items;
    };
    const header = 'SKU;EAN;Voorraad;Magazijn;Bijgewerkt';

    const first = await sync();
    const [f1] = visible(ws.outbox);
    expect(first.stdout).toContain(`demo/stock: ${f1} written in ${ws.outbox}: 4 item(s), 4 row(s)`);
    expect(readFileSync(path.join(ws.outbox, f1!), 'utf8')).toBe([header, 'A;;9;AMS-01;27-11-2026 06:00', 'B;;3;AMS-01;27-11-2026 06:00', 'DUO;;3;AMS-01;27-11-2026 06:00', 'GIFT-BOX-TEA;;0;AMS-01;', ''].join('\n'));
    expect(await lastItems()).toBe(4);

    const second = await sync();
    expect(second.stdout).toContain('demo/stock: nothing to export, no file written');
    expect(visible(ws.outbox)).toEqual([f1]);
    expect(await lastItems()).toBe(0);

    await withLedger(ws, (s) => seed(s, ws.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['B', 1]], '2026-11-27 09:00:00')));
    await sync();
    const f3 = visible(ws.outbox).find((n) => n !== f1)!;
    expect(readFileSync(path.join(ws.outbox, f3), 'utf8')).toBe([header, 'B;;1;AMS-01;27-11-2026 09:00', 'DUO;;1;AMS-01;27-11-2026 09:00', ''].join('\n'));
    expect(await lastItems()).toBe(2);
  });

  it('exit 2 for an unknown merchant or an export that is not configured, naming the configured exports', async () => {
    const ws = await workspace({ shipments: undefined });
    const unknown = await ws.wharf(['sync', 'nobody', 'stock']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no merchant named nobody');
    expect(unknown.stderr).toContain('configured exports: demo/stock');
    const missing = await ws.wharf(['sync', 'demo', 'shipments']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('merchant demo has no shipments export configured (merchants.demo.exports.shipments); configured exports: demo/stock');
    // A mistyped job names the jobs, not a channel lookup of the merchant id.
    const typo = await ws.wharf(['sync', 'demo', 'stok']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('stok is not a job: use orders or products (with a channel), or stock or shipments (with a merchant: its export)');
  });

  it('exit 1 when the destination cannot be written; status shows the failed run; the next sync writes the file', async () => {
    const ws = await workspace();
    await withLedger(ws, (s) => seed(s, ws.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 1]])));
    await fs.writeFile(ws.outbox, 'a file where the folder should be');
    const r = await ws.wharf(['sync', 'demo', 'stock']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('demo/stock export failed');
    const text = await ws.wharf(['status']);
    // A and the demo bundle GIFT-BOX-TEA (0: none of its components).
    expect(text.stdout).toMatch(/LAST RUN FAILED .* \(2 item\(s\), retried at the next run\): folder .*outbox/);
    await fs.rm(ws.outbox);
    const ok = await ws.wharf(['sync', 'demo', 'stock']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(visible(ws.outbox)).toHaveLength(1);
  });

  it('two syncs whose pattern gives one name: the second writes <name>-2 (no DELIVERY_CONFLICT)', async () => {
    // {G} is the era ("AD"): a name the clock cannot change between the two syncs, like two runs in one minute of {yyyyMMdd-HHmm}.
    const ws = await workspace();
    await fs.writeFile(ws.configPath, readFileSync(ws.configPath, 'utf8').replace('stock-{yyyyMMdd-HHmmss}.csv', 'stock-{G}.csv'));
    await withLedger(ws, (s) => seed(s, ws.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv([['A', 1]])));
    const first = await ws.wharf(['sync', 'demo', 'stock']);
    expect(first.code, first.stderr).toBe(0);
    // A manual sync's run is "now, rounded down to the second" (src/cli/export-sync.ts): two syncs in
    // one second are one run, and a CLI process can now start and finish within that second. The
    // second sync must be a second run, so it starts once the clock is in a later second.
    const nextSecond = Math.floor(Date.now() / 1000) * 1000 + 1000;
    while (Date.now() < nextSecond) await sleep(nextSecond - Date.now());
    const second = await ws.wharf(['sync', 'demo', 'stock']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('stock-AD-2.csv');
    expect(visible(ws.outbox).sort()).toEqual(['stock-AD-2.csv', 'stock-AD.csv']);
  });

  it('kill -9 during a 50k-SKU export: no partial file visible; the next sync writes exactly one file, identical to an uninterrupted run', async () => {
    const ws = await workspace();
    const n = 50_000;
    const rows: [string, number][] = Array.from({ length: n }, (_, i) => [`SKU-${String(i).padStart(6, '0')}`, i % 97]);
    await withLedger(ws, (s) => seed(s, ws.root, 'demo', 'reports', 'warehouse-stock-csv', stockCsv(rows)));
    const want = ['SKU;EAN;Voorraad;Magazijn;Bijgewerkt', 'GIFT-BOX-TEA;;0;AMS-01;', ...rows.map(([sku, q]) => `${sku};;${q};AMS-01;27-11-2026 06:00`), ''].join('\n');

    const child = new Daemon(['sync', 'demo', 'stock', '--config', ws.configPath], { cwd: ws.root });
    const temp = await waitFor(() => (existsSync(ws.outbox) ? readdirSync(ws.outbox).find((f) => f.startsWith('.')) : undefined), { intervalMs: 1, what: 'the temporary file', daemon: child });
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(temp).toMatch(/^\.stock-/);
    expect(visible(ws.outbox)).toEqual([]);

    // The merchant's own dot-files (and a temp-looking name not of Wharf's form) are not Wharf's to remove.
    await fs.writeFile(path.join(ws.outbox, '.merchant-notes.tmp'), 'mine');
    await fs.writeFile(path.join(ws.outbox, '.stock-old.csv.1a2b3c4d.tmp'), 'not ours either');
    const again = await ws.wharf(['sync', 'demo', 'stock'], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    // The killed run's temporary file is gone (its process is dead), nothing else is.
    expect(readdirSync(ws.outbox).filter((n) => n.startsWith('.')).sort()).toEqual(['.merchant-notes.tmp', '.stock-old.csv.1a2b3c4d.tmp']);
    expect(again.stderr).toContain(`removed ${temp!}, a temporary file a stopped Wharf process left behind`);
    const files = visible(ws.outbox);
    expect(files).toHaveLength(1);
    expect(readFileSync(path.join(ws.outbox, files[0]!), 'utf8')).toBe(want);
    // The killed run was completed, not replaced by a new run: a later second's sync says it completes the
    // earlier claimed run; a sync within the same second (runs are per second) claims that very run again.
    expect(again.stderr).toMatch(/was claimed but never finished; completing it|resuming run \d+ of demo\/stock .*claimed earlier, not finished/);
  });
});

describe('export to SFTP (real sshd)', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.cleanup();
  });

  it('writes the shipment file into the remote directory, atomically, once', async () => {
    const keyFile = path.join(sshd.dir, 'export_client_key');
    await fs.writeFile(keyFile, sshd.clientKey, { mode: 0o600 });
    const remote = path.join(sshd.root, 'merchant-in');
    const ws = await workspace({}, { type: 'sftp', path: remote, sftp: { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: `file:${keyFile}`, hostKey: sshd.hostKeyFingerprint } });
    await ws.drop('orders-semicolon.csv');
    expect((await ws.once()).code).toBe(0);
    await withLedger(ws, (s) => seed(s, ws.root, 'demo', 'reports', 'warehouse-shipments-csv', readFileSync(path.join(SAMPLES, 'warehouse', 'shipments.csv'), 'utf8')));
    // What a killed earlier run left in the remote directory, and a file of the merchant's.
    const stale = `.shipments-20261127-100000.csv.wharf-${hostTag()}-${await deadPid()}-0badc0de.tmp`;
    await fs.mkdir(remote, { recursive: true });
    await fs.writeFile(path.join(remote, stale), 'half a file');
    await fs.writeFile(path.join(remote, '.merchant.part'), 'mine');
    const r = await ws.wharf(['sync', 'demo', 'shipments']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`in sftp ${sshd.host}:${remote}`);
    expect(readdirSync(remote).filter((n) => n.startsWith('.'))).toEqual(['.merchant.part']);
    await fs.rm(path.join(remote, '.merchant.part'));
    const files = listFiles(remote);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^shipments-\d{8}-\d{6}\.csv$/);
    expect(readFileSync(path.join(remote, files[0]!), 'utf8')).toBe(readFileSync(path.join(EXPECTED, 'shipments.csv.merchant-shipments-csv.csv'), 'utf8'));
  });
});
