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
const ORDERS = expectedRecords('orders-semicolon.csv').map((v) => orderFileName(String(v.externalId))).sort();

beforeAll(async () => {
  ws = await createWorkspace();
});
afterAll(async () => {
  await ws?.dispose();
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
