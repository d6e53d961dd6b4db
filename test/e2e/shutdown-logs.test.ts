/**
 * Through the real CLI: SIGTERM stops `wharf run` within `shutdownTimeout` whatever the delivery
 * backlog (the rest stays pending in the ledger and goes out once at the next start), and the log
 * volume is one info line per file and per delivery pass, with per-order lines at debug level.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { SAMPLES, createWorkspace, expectedRecords, killAllDaemons, parseLogs, waitFor, type Workspace } from '../helpers/e2e.js';

const INFO = 30;
const spaces: Workspace[] = [];
afterAll(async () => {
  await killAllDaemons();
  await Promise.all(spaces.map((w) => w.dispose()));
});

/** A CSV of `n` one-line orders in the demo-orders-csv format. */
function manyOrders(n: number): string {
  const [header, row] = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '').split('\n');
  const lines = [header!];
  for (let i = 0; i < n; i++) lines.push(row!.replace('WEB-10421', `BULK-${String(i).padStart(6, '0')}`));
  return `${lines.join('\n')}\n`;
}

describe('SIGTERM with a large delivery backlog', () => {
  it('stops within shutdownTimeout, exit 0; the rest stays pending and a restart delivers each order once', async () => {
    const N = 3000;
    const ws = await createWorkspace();
    spaces.push(ws);
    const cfg = { ...ws.configObject(), shutdownTimeout: 3 };
    writeFileSync(ws.configPath, toYaml(cfg));
    await ws.put('bulk.csv', manyOrders(N));
    const daemon = ws.start();
    await daemon.ready();
    // Deliveries are under way: the file is imported and some orders are out.
    await waitFor(() => ws.warehouseFiles().length >= 50, { timeoutMs: 60_000, what: 'the first deliveries', daemon });
    const before = ws.warehouseFiles().length;
    expect(before).toBeLessThan(N);
    const t0 = Date.now();
    const exit = await daemon.stop('SIGTERM', 15_000);
    const took = Date.now() - t0;
    expect(exit, daemon.tail()).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(3000 + 1500);
    expect(daemon.logs().some((l) => /shutdownTimeout reached/.test(l.msg))).toBe(true);

    const delivered = ws.warehouseFiles().length;
    expect(delivered).toBeLessThan(N);
    const st = await ws.status();
    expect(st.outbox.pending).toBe(N - delivered);
    expect(st.outbox.delivered).toBe(delivered);

    // The next start delivers the rest, each order once.
    const r = await ws.wharf(['once'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(ws.warehouseFiles()).toHaveLength(N);
    expect((await ws.status()).outbox).toEqual({ pending: 0, failed: 0, delivered: N });
  }, 240_000);
});

describe('SIGTERM while a large file is being read', () => {
  it('exits at shutdownTimeout (exit 1) without half an import; the next start imports the file once', async () => {
    const N = 80_000;
    const ws = await createWorkspace({ logLevel: 'debug' });
    spaces.push(ws);
    // One NDJSON file per input file keeps the restart quick; the intake is what is interrupted.
    const base = ws.configObject() as { warehouse: { orders: Record<string, unknown> } };
    base.warehouse.orders.batch = 'file';
    writeFileSync(ws.configPath, toYaml({ ...base, shutdownTimeout: 1 }));
    await ws.put('huge.csv', manyOrders(N));
    const daemon = ws.start();
    await daemon.ready();
    await waitFor(() => daemon.logs().some((l) => l.msg === 'reading'), { timeoutMs: 60_000, what: 'the intake of huge.csv', daemon });
    const t0 = Date.now();
    const exit = await daemon.stop('SIGTERM', 15_000);
    expect(Date.now() - t0).toBeLessThan(1000 + 1500);
    expect(exit, daemon.tail()).toEqual({ code: 1, signal: null });
    expect(daemon.logs().some((l) => /still busy 1 s after SIGTERM/.test(l.msg))).toBe(true);
    // Nothing half-done: the file is still in the inbox, no order reached the warehouse.
    expect(ws.inboxFiles()).toEqual(['huge.csv']);
    expect(ws.warehouseFiles()).toEqual([]);

    const r = await ws.wharf(['once'], { timeoutMs: 400_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const [batch, ...more] = ws.warehouseFiles();
    expect(more).toEqual([]);
    const ids = readFileSync(path.join(ws.warehouse, batch!), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { externalId: string }).externalId);
    expect(new Set(ids).size).toBe(N);
    expect(ids).toHaveLength(N);
    expect(ws.archived()).toHaveLength(1);
  }, 300_000);
});

describe('log volume', () => {
  it('a multi-order file: one info line for the file and one for the delivery pass; per-order lines at debug', async () => {
    const ws = await createWorkspace();
    spaces.push(ws);
    const orders = expectedRecords('orders-semicolon.csv').length;
    expect(orders).toBeGreaterThan(1);
    await ws.drop('orders-semicolon.csv');
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseFiles()).toHaveLength(orders);
    const info = parseLogs(r.stderr).filter((l) => l.level === INFO);
    expect(info.map((l) => l.msg), r.stderr).toEqual([
      expect.stringMatching(/^imported orders-semicolon\.csv: /),
      `delivery pass: ${orders} file(s) written, 0 already present, 0 failed`,
    ]);

    // With -v every order has its own (debug) line.
    const ws2 = await createWorkspace();
    spaces.push(ws2);
    await ws2.drop('orders-semicolon.csv');
    const v = await ws2.wharf(['once', '-v']);
    expect(v.code).toBe(0);
    const perOrder = parseLogs(v.stderr).filter((l) => l.level < INFO && /^delivered order /.test(l.msg));
    expect(perOrder).toHaveLength(orders);
  });
});
