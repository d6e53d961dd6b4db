/**
 * Retention through the real CLI on a SQLite ledger: `wharf status` shows the ledger's size and the
 * retention settings; `wharf prune` applies ledger.retention once; a delivery pruned that way is
 * explained by `wharf retry`, and an order sent again after its body was pruned is still a duplicate.
 * The ledger's timestamps are moved two days back with SQL (fixed dates, no sleeps, no test hook in wharf).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAllDaemons, singleOrderCsv, waitFor, type Workspace } from '../helpers/e2e.js';

let ws: Workspace;
const ledgerFile = () => path.join(ws.varDir, 'wharf.sqlite');

beforeAll(async () => {
  ws = await createWorkspace();
  const cfg = ws.configObject() as { ledger: Record<string, unknown> };
  cfg.ledger.retention = { bodiesDays: 1, idsDays: 3 };
  writeFileSync(ws.configPath, stringify(cfg));
});
afterAll(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

describe('retention through the CLI (one workspace, in order)', () => {
  it('status shows the ledger size and the retention settings', async () => {
    await ws.drop('orders-semicolon.csv');
    expect((await ws.once()).code).toBe(0);
    expect(ws.warehouseAll()).toHaveLength(5);
    const st = (await ws.status()) as unknown as { ledgerBytes: number; retention: Record<string, number> };
    expect(st.ledgerBytes).toBeGreaterThan(4096);
    expect(st.retention).toEqual({ bodiesDays: 1, idsDays: 3, intervalMinutes: 60 });
    const text = (await ws.wharf(['status'])).stdout;
    expect(text).toMatch(/^Ledger: sqlite \(.*wharf\.sqlite\), \d+(\.\d)? (KiB|MiB)$/m);
    expect(text).toMatch(/retention: bodies 1 days, ids and content hashes 3 days/);
  });

  it('prune: nothing is old enough today; two days later the delivered rows and order bodies go', async () => {
    let r = await ws.wharf(['prune']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pruned .*delivered deliveries 0, order\/shipment bodies 0/);
    const db = new Database(ledgerFile());
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    db.prepare('UPDATE outbox SET delivered_at = ?').run(twoDaysAgo);
    db.prepare('UPDATE records SET updated_at = ?').run(twoDaysAgo);
    db.close();
    r = await ws.wharf(['prune']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pruned .*delivered deliveries 5, order\/shipment bodies 5, expired order ids 0/);
    expect(r.stdout).toMatch(/ledger size: .* before, .* now/);
    expect((await ws.status()).outbox).toEqual({ pending: 0, failed: 0, delivered: 0 });
  });

  it('retry of a pruned delivery says it was pruned', async () => {
    const r = await ws.wharf(['retry', 'd1']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/d1: no such delivery in the ledger: .*pruned by ledger\.retention/);
  });

  it('an order sent again after its body was pruned is still a duplicate: no second warehouse file', async () => {
    const before = ws.warehouseAll();
    writeFileSync(path.join(ws.inbox, 'again.csv'), singleOrderCsv('WEB-10421'));
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseAll()).toEqual(before);
    const st = await ws.status();
    expect(st.recentDuplicates.map((d) => d.recordId)).toEqual([expect.stringContaining('WEB-10421')]);
    expect(st.outbox).toEqual({ pending: 0, failed: 0, delivered: 0 });
  });

  it('wharf run prunes at start, and intake goes on: a new order dropped while it runs is delivered', async () => {
    writeFileSync(path.join(ws.inbox, 'new.csv'), singleOrderCsv('WEB-NEW-1'));
    expect((await ws.once()).code).toBe(0);
    const db = new Database(ledgerFile());
    db.prepare('UPDATE outbox SET delivered_at = ?').run(new Date(Date.now() - 2 * 86_400_000).toISOString());
    db.close();
    const before = ws.warehouseAll().length;
    const daemon = ws.start();
    await daemon.ready();
    await waitFor(() => daemon.logs().find((l) => /^ledger pruned/.test(l.msg)), { timeoutMs: 20_000, what: '"ledger pruned" in the log', daemon });
    writeFileSync(path.join(ws.inbox, 'newer.csv'), singleOrderCsv('WEB-NEW-2'));
    await waitFor(() => ws.warehouseAll().length === before + 1, { timeoutMs: 20_000, what: 'the new order in the warehouse', daemon });
    expect((await daemon.stop()).code).toBe(0);
    expect((await ws.status()).outbox).toEqual({ pending: 0, failed: 0, delivered: 1 });
  });
});
