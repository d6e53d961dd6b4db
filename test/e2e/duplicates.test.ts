/**
 * Exactly once to the warehouse across re-drops and restarts: the same file again (same name, or a
 * renamed copy), the same order inside another file, another `wharf once`, and a restarted `wharf run`.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLES, createWorkspace, expectedRecords, killAllDaemons, orderFileName, singleOrderCsv, waitFor, type Workspace,
} from '../helpers/e2e.js';

let ws: Workspace;
const ORDERS = expectedRecords('orders-semicolon.csv').map((v) => orderFileName(String(v.externalId))).sort();

/** Name -> bytes + mtime of every warehouse file: a re-delivery would change one or add one. */
function snapshot(w: Workspace): Record<string, { bytes: string; mtimeMs: number }> {
  return Object.fromEntries(w.warehouseAll().map((n) => {
    const p = path.join(w.warehouse, n);
    return [n, { bytes: readFileSync(p, 'utf8'), mtimeMs: statSync(p).mtimeMs }];
  }));
}

beforeAll(async () => {
  ws = await createWorkspace();
});
afterAll(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

describe('duplicates and restarts (one workspace, in order)', () => {
  it('first import: five orders', async () => {
    await ws.drop('orders-semicolon.csv');
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseAll()).toEqual(ORDERS);
  });

  it('the same file again under the same name, and a renamed copy: no second warehouse file; status shows both duplicates', async () => {
    const before = snapshot(ws);
    await ws.drop('orders-semicolon.csv');
    await ws.drop('orders-semicolon.csv', 'orders-semicolon (1).csv');
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 duplicate/);
    expect(snapshot(ws)).toEqual(before);
    // Both are out of the inbox (archived), neither quarantined.
    expect(ws.inboxFiles()).toEqual([]);
    expect(ws.quarantineFiles()).toEqual([]);
    expect(ws.archived().map((a) => a.split('/')[1]).sort()).toEqual(['orders-semicolon (1).csv', 'orders-semicolon.csv', 'orders-semicolon.csv.1'].sort());

    const status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 1, duplicate: 2, quarantined: 0 });
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 5 });
  });

  it('the same order inside another file: no second warehouse file; status shows the duplicate record', async () => {
    const before = snapshot(ws);
    // WEB-10421 again (same content), together with one new order.
    const text = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '').split('\n');
    const again = [text[0], text[1], text[2]].join('\n') + '\n';
    await ws.put('resend-10421.csv', again);
    await ws.put('new-order.csv', singleOrderCsv('WEB-99001'));
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseAll()).toEqual([...ORDERS, orderFileName('WEB-99001')].sort());
    const after = snapshot(ws);
    for (const n of ORDERS) expect(after[n], n).toEqual(before[n]);

    const status = await ws.status();
    expect(status.recentDuplicates.map((d) => [d.recordId, d.fileName])).toContainEqual(['demo:dropbox:WEB-10421', 'resend-10421.csv']);
    expect(status.channels[0]!.duplicateRecords).toBeGreaterThanOrEqual(1);
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 6 });
  });

  it('restart with `wharf once` again: nothing written', async () => {
    const before = snapshot(ws);
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 written');
    expect(snapshot(ws)).toEqual(before);
  });

  it('restart with `wharf run`: earlier orders are not sent again, re-dropped files are duplicates, new ones arrive', async () => {
    const before = snapshot(ws);
    const daemon = ws.start();
    await daemon.ready();
    // A re-drop of an imported file and a marker file with new orders.
    await ws.drop('orders-semicolon.csv', 'orders-semicolon-late.csv');
    await ws.drop('orders.xml');
    const xml = expectedRecords('orders.xml').map((v) => orderFileName(String(v.externalId)));
    await waitFor(() => xml.every((n) => ws.warehouseFiles().includes(n)) && ws.inboxFiles().length === 0, {
      what: 'the orders of orders.xml in the warehouse and an empty inbox', daemon,
    });
    const exit = await daemon.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });

    expect(ws.warehouseAll()).toEqual([...Object.keys(before), ...xml].sort());
    const after = snapshot(ws);
    for (const n of Object.keys(before)) expect(after[n], n).toEqual(before[n]);
    const status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 4, duplicate: 3, quarantined: 0 });
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 6 + xml.length });

    // And once more with `run`, with nothing new: still nothing written.
    const again = snapshot(ws);
    const d2 = ws.start();
    await d2.ready();
    await ws.drop('orders.xml', 'orders-again.xml');
    await waitFor(() => ws.inboxFiles().length === 0 && ws.archived().some((a) => a.endsWith('/orders-again.xml')), { what: 'orders-again.xml archived', daemon: d2 });
    expect(await d2.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(snapshot(ws)).toEqual(again);
  });
});
