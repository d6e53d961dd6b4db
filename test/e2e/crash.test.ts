/**
 * kill -9 in the middle of a 500-file batch, twice, then a restart: every order reaches the
 * warehouse exactly once (none lost, none duplicated, no half-written file under a real name).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAllDaemons, orderFileName, singleOrderCsv, waitFor, type Workspace } from '../helpers/e2e.js';

let ws: Workspace | undefined;
afterAll(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

const N = 500;
const ids = Array.from({ length: N }, (_, i) => `BULK-${String(i + 1).padStart(4, '0')}`);
const expectedNames = ids.map((id) => orderFileName(id)).sort();

describe('crash in the middle of a batch', () => {
  it('SIGKILL of `wharf run` mid-batch (twice), then a restart: 500 orders, each exactly once', async () => {
    ws = await createWorkspace({ minAge: 0.2, pollInterval: 0.5 });
    const w = ws;
    for (const id of ids) await w.put(`${id}.csv`, singleOrderCsv(id));

    const killedAt: number[] = [];
    for (const threshold of [25, 250]) {
      const daemon = w.start();
      const seen = await waitFor(() => {
        const n = w.warehouseFiles().length;
        return n >= threshold ? n : 0;
      }, { what: `at least ${threshold} warehouse files before the kill`, daemon, intervalMs: 5, timeoutMs: 30_000 });
      const exit = await daemon.kill();
      expect(exit.signal).toBe('SIGKILL');
      killedAt.push(seen);
    }
    // The kills must have landed mid-batch, or this test proved nothing.
    const afterKills = w.warehouseFiles().length;
    expect(afterKills, `warehouse files after the kills (seen at kill time: ${killedAt.join(', ')})`).toBeLessThan(N);

    // Restart: the daemon runs until every order is there and the inbox is empty.
    const daemon = w.start();
    await waitFor(() => w.warehouseFiles().length >= N && w.inboxFiles().filter((n) => !n.startsWith('.')).length === 0, {
      what: `${N} warehouse files and an empty inbox`, daemon, timeoutMs: 40_000,
    });
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    // Exactly the 500 expected names: none missing, none extra (a duplicate would need another name
    // or a conflicting rewrite, which the ledger would show as a failed delivery).
    const files = w.warehouseFiles();
    expect(files).toHaveLength(N);
    expect(files).toEqual(expectedNames);
    for (const [i, id] of ids.entries()) {
      const name = orderFileName(id);
      const text = readFileSync(path.join(w.warehouse, name), 'utf8');
      let order: Record<string, unknown>;
      try {
        order = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`${name} is not complete JSON (a partially written file under its real name): ${text.slice(-80)}`);
      }
      expect(order.externalId, name).toBe(id);
      expect(order.id, name).toBe(`demo:dropbox:${id}`);
      expect((order.lines as unknown[]).length, name).toBe(1);
      expect((order.source as { name: string }).name, name).toBe(`${ids[i]}.csv`);
    }
    // Leftovers: only dot-files (temporaries of an interrupted atomic write) may remain.
    expect(w.warehouseAll().filter((n) => !n.startsWith('.'))).toEqual(expectedNames);
    expect(w.inboxFiles().filter((n) => !n.startsWith('.'))).toEqual([]);
    // Each source file archived exactly once, none quarantined.
    expect(w.archived().map((a) => a.split('/')[1]).sort()).toEqual(ids.map((id) => `${id}.csv`).sort());
    expect(w.quarantineFiles()).toEqual([]);

    const status = await w.status();
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: N });
    expect(status.quarantined).toEqual([]);
    expect(status.channels[0]!.records).toBe(N);

    // One more pass changes nothing.
    const r = await w.once();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 written');
    expect(w.warehouseFiles()).toEqual(expectedNames);
  });
});
