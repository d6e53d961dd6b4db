/**
 * `wharf run` as a child process: files still being written are not read early, unsafe names are
 * refused without stopping the daemon, a vanished inbox is survived, and SIGTERM is a clean stop.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES, expectedRecords, orderFileName, singleOrderCsv, waitFor, workspacesPerTest } from '../helpers/e2e.js';

const workspace = workspacesPerTest();

/** One order with `lines` rows in the demo CSV layout; row i has Regel i and Aantal i. */
function multiLineOrder(orderNumber: string, lines: number): string {
  const [header, row] = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '').split('\n');
  const cols = header!.split(';');
  const rows = Array.from({ length: lines }, (_, i) => {
    const cells = row!.split(';');
    cells[cols.indexOf('Bestelnummer')] = orderNumber;
    cells[cols.indexOf('Regel')] = String(i + 1);
    cells[cols.indexOf('Aantal')] = String(i + 1);
    return cells.join(';');
  });
  return `${header}\n${rows.join('\n')}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a file still being written is not read before it is complete', () => {
  it('appended in slow chunks (and paused for less than minAge): every line arrives, nothing quarantined', async () => {
    const minAge = 0.5;
    const ws = await workspace({ minAge, pollInterval: 0.5 });
    const daemon = ws.start();
    await daemon.ready();

    const LINES = 20;
    const slow = Buffer.from(multiLineOrder('WEB-77001', LINES));
    const paused = Buffer.from(multiLineOrder('WEB-77002', LINES));
    const slowPath = path.join(ws.inbox, 'slow-upload.csv');
    const pausedPath = path.join(ws.inbox, 'paused-upload.csv');

    // Writer 1: ~20 chunks cut anywhere (mid-line too), one every 100 ms, for ~2 s.
    const chunks = 20;
    const size = Math.ceil(slow.length / chunks);
    const gaps: number[] = [];
    const writer1 = (async () => {
      let last = Date.now();
      for (let off = 0; off < slow.length; off += size) {
        await fs.appendFile(slowPath, slow.subarray(off, off + size));
        const now = Date.now();
        if (off > 0) gaps.push(now - last);
        last = now;
        if (off + size < slow.length) await sleep(100);
      }
    })();
    // Writer 2: half the file, a pause longer than two looks (250 ms apart) but shorter than minAge, the rest.
    const writer2 = (async () => {
      const half = Math.floor(paused.length / 2) + 7; // mid-line
      await fs.appendFile(pausedPath, paused.subarray(0, half));
      const t = Date.now();
      await sleep(350);
      gaps.push(Date.now() - t);
      await fs.appendFile(pausedPath, paused.subarray(half));
    })();
    await Promise.all([writer1, writer2]);
    // The test only proves something if no pause of the writers reached minAge (a very slow machine).
    expect(Math.max(...gaps), 'the writers paused for less than minAge').toBeLessThan(minAge * 1000 * 0.9);

    const names = [orderFileName('WEB-77001'), orderFileName('WEB-77002')];
    // Wait until both files were taken and settled one way or the other, then look at what happened.
    await waitFor(() => ws.inboxFiles().length === 0 && (names.every((n) => ws.warehouseFiles().includes(n)) || ws.quarantineFiles().length > 0), {
      what: 'both files taken from the inbox and settled', daemon, timeoutMs: 20_000,
    });
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });

    expect(ws.quarantineFiles(), 'nothing quarantined (a file read while still being written would be)').toEqual([]);
    expect(ws.warehouseFiles()).toEqual(names.sort());
    for (const n of names) {
      const order = ws.readWarehouse(n) as { lines: { lineId: string; quantity: number }[] };
      expect(order.lines.map((l) => l.lineId), n).toEqual(Array.from({ length: LINES }, (_, i) => String(i + 1)));
      expect(order.lines.map((l) => l.quantity), n).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
    }
    expect(ws.warehouseFiles()).toEqual(names.sort());
    expect(ws.quarantineFiles()).toEqual([]);
    expect(ws.archived().map((a) => a.split('/')[1]).sort()).toEqual(['paused-upload.csv', 'slow-upload.csv']);
    const status = await ws.status();
    // Read once each, complete: no earlier partial import, quarantine or duplicate.
    expect(status.channels[0]!.files).toMatchObject({ imported: 2, partial: 0, duplicate: 0, quarantined: 0 });
    expect(status.channels[0]!.duplicateRecords).toBe(0);
    expect(status.quarantined).toEqual([]);
  });
});

describe('the daemon survives bad names and a vanished inbox', () => {
  it('refuses control-character and backslash names (logged, file stays), survives the inbox being removed and re-created', async () => {
    const ws = await workspace();
    const daemon = ws.start();
    await daemon.ready();

    const unsafe = ['ctl\u0001name.csv', 'back\\slash.csv', 'tab\tname.csv'];
    for (const [i, n] of unsafe.entries()) await ws.put(n, singleOrderCsv(`UNSAFE-${i + 1}`));
    await ws.drop('orders.xml');
    const xml = expectedRecords('orders.xml').map((v) => orderFileName(String(v.externalId)));
    await waitFor(() => xml.every((n) => ws.warehouseFiles().includes(n)), { what: 'orders.xml delivered next to the refused files', daemon });
    await waitFor(() => unsafe.every((n) => daemon.logs().some((l) => l.level >= 40 && l.file === JSON.stringify(n) && /not a plain file name/.test(l.msg))), {
      what: 'a logged refusal for every unsafe name', daemon,
    });
    expect(daemon.alive).toBe(true);
    // The refused files stay where they are, untouched; nothing of theirs reaches the warehouse.
    expect(ws.inboxFiles()).toEqual([...unsafe].sort());
    for (const [i, n] of unsafe.entries()) expect(readFileSync(path.join(ws.inbox, n), 'utf8')).toBe(singleOrderCsv(`UNSAFE-${i + 1}`));
    expect(ws.warehouseFiles().filter((n) => n.includes('UNSAFE'))).toEqual([]);
    expect(ws.quarantineFiles()).toEqual([]);
    // Refused once, not at every look.
    for (const n of unsafe) expect(daemon.logs().filter((l) => l.file === JSON.stringify(n))).toHaveLength(1);

    // The inbox disappears (unmounted volume) while the daemon watches it...
    await fs.rm(ws.inbox, { recursive: true, force: true });
    await waitFor(() => daemon.logs().some((l) => /disappeared/.test(l.msg)), { what: 'the daemon noticing the inbox is gone', daemon });
    expect(daemon.alive).toBe(true);
    // ...and comes back: later files are processed.
    await fs.mkdir(ws.inbox);
    await ws.drop('orders.json');
    await ws.put('after-return.csv', singleOrderCsv('WEB-88001'));
    const later = [orderFileName('5012'), orderFileName('5013'), orderFileName('WEB-88001')];
    await waitFor(() => later.every((n) => ws.warehouseFiles().includes(n)), { what: 'files dropped after the inbox came back delivered', daemon, timeoutMs: 20_000 });
    expect(daemon.alive).toBe(true);
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
    expect(ws.warehouseFiles()).toEqual([...xml, ...later].sort());
  });
});

describe('SIGTERM', () => {
  it('an idle daemon stops cleanly with exit code 0', async () => {
    const ws = await workspace();
    const daemon = ws.start();
    await daemon.ready();
    const t = Date.now();
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(Date.now() - t).toBeLessThan(5000);
    expect(daemon.logs().some((l) => /stopped cleanly/.test(l.msg))).toBe(true);
    expect(daemon.logs().filter((l) => l.level >= 50)).toEqual([]);
  });

  it('SIGTERM in the middle of a batch of files: exit 0, the rest is left in place, a restart delivers it exactly once', async () => {
    const ws = await workspace();
    const N = 80;
    const ids = Array.from({ length: N }, (_, i) => `TERM-${String(i + 1).padStart(3, '0')}`);
    for (const id of ids) await ws.put(`${id}.csv`, singleOrderCsv(id));
    const daemon = ws.start();
    await waitFor(() => ws.warehouseFiles().length > 0, { what: 'the first delivery', daemon, intervalMs: 5 });
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    // Nothing half-done: no temporaries, every file either archived (imported) or untouched in the inbox.
    expect(ws.warehouseAll()).toEqual(ws.warehouseFiles());
    expect(ws.archived().length + ws.inboxFiles().length).toBe(N);
    expect(ws.quarantineFiles()).toEqual([]);
    expect(ws.warehouseFiles().length).toBeLessThanOrEqual(ws.archived().length);

    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseFiles()).toEqual(ids.map((id) => orderFileName(id)).sort());
    expect((await ws.status()).outbox).toEqual({ pending: 0, failed: 0, delivered: N });
  });

  it('SIGTERM while a file is being read: the intake finishes and its orders are delivered before exit 0', async () => {
    // Debug logging shows when the intake of a file has started ("reading").
    const ws = await workspace({ logLevel: 'debug' });
    const N = 1000;
    const [header, row] = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '').split('\n');
    const ids = Array.from({ length: N }, (_, i) => `INFLIGHT-${String(i + 1).padStart(4, '0')}`);
    await ws.put('big-batch.csv', `${header}\n${ids.map((id) => row!.replace('WEB-10421', id)).join('\n')}\n`);
    const daemon = ws.start();
    await waitFor(() => daemon.logs().some((l) => l.file === 'big-batch.csv' && l.msg === 'reading'), { what: 'the intake of big-batch.csv to start', daemon, intervalMs: 2 });
    const signalledAt = Date.now();
    expect(await daemon.stop('SIGTERM', 40_000)).toEqual({ code: 0, signal: null });
    const imported = daemon.logs().find((l) => l.file === 'big-batch.csv' && /^imported/.test(l.msg));
    expect(imported, 'the in-flight intake was finished, not abandoned').toBeDefined();
    expect(Number(imported!.time)).toBeGreaterThanOrEqual(signalledAt - 50);

    // "Finishes in-flight work": what the intake committed is delivered before the process exits.
    const status = await ws.status();
    expect(status.outbox, 'outbox at exit').toEqual({ pending: 0, failed: 0, delivered: N });
    expect(ws.warehouseFiles()).toEqual(ids.map((id) => orderFileName(id)).sort());
  });
});
