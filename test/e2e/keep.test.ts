import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLES, createWorkspace, killAllDaemons, listFiles, waitFor, type Workspace } from '../helpers/e2e.js';

/** `afterImport: keep` (a read-only drop folder): files stay, and the ledger makes sure they are taken once. */
describe('afterImport: keep', () => {
  let ws: Workspace;
  afterEach(async () => {
    await killAllDaemons();
    await ws?.dispose();
  });

  it('takes a kept file once: a second pass neither re-reads it nor waits for it', async () => {
    ws = await createWorkspace({ afterImport: 'keep' });
    await ws.drop(path.join(SAMPLES, 'orders-semicolon.csv'));
    const first = await ws.once();
    expect(first.code).toBe(0);
    expect(listFiles(ws.warehouse)).toHaveLength(5);
    // A pass that had to wait for the kept file to "settle" would run into the CLI deadline of 60 s.
    const second = await ws.wharf(['once'], { timeoutMs: 15_000 });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('files: 0');
    const status = await ws.status();
    const ch = status.channels[0] as { files: { imported: number; duplicate: number } };
    expect(ch.files).toEqual(expect.objectContaining({ imported: 1, duplicate: 0 }));
    expect(readdirSync(ws.inbox)).toContain('orders-semicolon.csv');
  });

  it('the daemon does not take a kept file again and again', async () => {
    ws = await createWorkspace({ afterImport: 'keep' });
    const daemon = ws.start();
    await ws.drop(path.join(SAMPLES, 'orders.json'));
    await waitFor(() => listFiles(ws.warehouse).length === 2, { timeoutMs: 20_000, what: 'the orders of the kept file' });
    // Then a second file: once it is in, the first has had many looks since it was imported.
    await ws.drop(path.join(SAMPLES, 'orders-semicolon.csv'));
    await waitFor(() => listFiles(ws.warehouse).length === 7, { timeoutMs: 20_000, what: 'the orders of the second file' });
    await daemon.stop();
    const ch = (await ws.status()).channels[0] as { files: { imported: number; duplicate: number } };
    expect(ch.files).toEqual(expect.objectContaining({ imported: 2, duplicate: 0 }));
  });
});
