/**
 * The gateway's own retries are never merchant duplicates: when a file's orders are committed but the
 * step after the commit (archive, delete) fails or is cut off, the next look finishes that step without
 * reading the file as new. `status` counts no duplicate file, the warehouse gets each order once.
 * (Issue 7: "a dropped connection never misleads status"; the folder form of the SFTP case.)
 */
import { promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, expectedRecords, orderFileName, type Workspace } from '../helpers/e2e.js';

let ws: Workspace;
let partial: Workspace;
const ORDERS = expectedRecords('orders-semicolon.csv').map((v) => orderFileName(String(v.externalId))).sort();

beforeAll(async () => {
  ws = await createWorkspace();
  partial = await createWorkspace({ onInvalid: 'acceptValid' });
});
afterAll(async () => {
  await ws?.dispose();
  await partial?.dispose();
});

describe('a file whose archive step fails after the commit', () => {
  it('is archived by a later look, not counted as a duplicate file, its orders sent once', async () => {
    // A regular file where the archive folder should be: every archive move fails (ENOTDIR), as a full
    // or read-only archive volume would, after the ledger commit.
    await fs.writeFile(ws.archive, 'not a folder');
    await ws.drop('orders-semicolon.csv');
    const first = await ws.once();
    expect(ws.warehouseAll()).toEqual(ORDERS);
    expect(ws.inboxFiles()).toContain('orders-semicolon.csv');
    expect(first.stderr).toMatch(/archive/i);

    // Still blocked: looked at again, still not a duplicate, nothing sent again.
    await ws.once();
    let status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 1, duplicate: 0 });

    // The archive volume is back: the file is archived without being read as new.
    await fs.rm(ws.archive);
    const third = await ws.once();
    expect(third.code, third.stderr).toBe(0);
    expect(ws.inboxFiles()).not.toContain('orders-semicolon.csv');
    expect(ws.archived().map((a) => a.split('/')[1])).toEqual(['orders-semicolon.csv']);
    expect(ws.warehouseAll()).toEqual(ORDERS);
    status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 1, duplicate: 0 });
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: ORDERS.length });
  });

  it('a merchant dropping the same file again after that is a duplicate, as before', async () => {
    await ws.drop('orders-semicolon.csv');
    await ws.once();
    const status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 1, duplicate: 1 });
    expect(ws.warehouseAll()).toEqual(ORDERS);
  });
});

describe('a partly imported file (acceptValid) whose move to quarantine fails after the commit', () => {
  it('is quarantined by a later look with a report that says how to list its invalid records; never archived as a duplicate', async () => {
    await fs.rm(partial.quarantine, { recursive: true, force: true });
    await fs.writeFile(partial.quarantine, 'not a folder'); // every quarantine move fails
    await partial.drop('broken/orders-broken.csv');
    await partial.once();
    const sent = partial.warehouseAll();
    expect(sent.length).toBeGreaterThan(0); // the valid orders went out
    expect(partial.inboxFiles()).toContain('orders-broken.csv');

    await fs.rm(partial.quarantine);
    const r = await partial.once();
    expect(r.code, r.stderr).toBe(0);
    expect(partial.inboxFiles()).not.toContain('orders-broken.csv');
    expect(partial.quarantineFiles()).toEqual(['orders-broken.csv', 'orders-broken.csv.errors.json']);
    const report = partial.report('orders-broken.csv');
    expect(report.outcome).toBe('partial');
    expect(report.errors[0]!.message).toContain('wharf validate orders-broken.csv --mapping');
    expect(partial.archived()).toEqual([]);
    expect(partial.warehouseAll()).toEqual(sent);
    const status = await partial.status();
    expect(status.channels[0]!.files).toMatchObject({ partial: 1, duplicate: 0 });
    expect(status.quarantined.map((q) => q.name)).toEqual(['orders-broken.csv']);
  });
});
