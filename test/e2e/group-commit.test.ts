/**
 * Group commits (issue 10): the files of one look share ledger transactions, each file in a savepoint
 * of its own. Every file still ends as if it had been taken alone: a bad file is quarantined without
 * taking the others of its group along, a copy of an earlier file of the same group is a duplicate, and
 * a file is archived only after its group's commit; when that archive step fails, the next look
 * finishes it without counting a duplicate or sending an order twice.
 */
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { orderFileName, singleOrderCsv, workspacesPerTest } from '../helpers/e2e.js';

const workspace = workspacesPerTest();

const ids = ['GRP-1', 'GRP-2', 'GRP-3', 'GRP-4', 'GRP-5'];
const expected = ids.map((id) => orderFileName(id)).sort();

describe('several files committed in one ledger transaction', () => {
  it('a bad file and a duplicate among good ones: each file ends as if taken alone', async () => {
    const ws = await workspace({ minAge: 0 });
    for (const id of ids) await ws.put(`${id}.csv`, singleOrderCsv(id));
    // The same bytes as GRP-3.csv under another name, in the same look: a duplicate file.
    await ws.put('GRP-3-copy.csv', singleOrderCsv('GRP-3'));
    // An order without a postal code: invalid, so this file is quarantined (rejectFile).
    await ws.put('GRP-4-bad.csv', singleOrderCsv('GRP-BAD').replace('1016 GV', ''));

    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseAll()).toEqual(expected);
    expect(ws.inboxFiles()).toEqual([]);
    expect(ws.quarantineFiles()).toContain('GRP-4-bad.csv');
    expect(ws.archived().map((a) => a.split('/')[1]).sort()).toEqual([...ids.map((id) => `${id}.csv`), 'GRP-3-copy.csv'].sort());
    const status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 5, duplicate: 1, quarantined: 1 });
    expect(status.outbox).toMatchObject({ pending: 0, failed: 0, delivered: 5 });
    expect(ws.report('GRP-4-bad.csv').errors.some((e) => e.field === 'shipTo.postalCode')).toBe(true);
  });

  it('a partly imported file among good ones (acceptValid): its valid order is committed and sent, the file quarantined', async () => {
    const ws = await workspace({ minAge: 0, onInvalid: 'acceptValid' });
    for (const id of ids.slice(0, 3)) await ws.put(`${id}.csv`, singleOrderCsv(id));
    const [header, good] = singleOrderCsv('GRP-P1').split('\n');
    const bad = singleOrderCsv('GRP-P2').split('\n')[1]!.replace('1016 GV', '');
    await ws.put('GRP-2-partial.csv', `${header}\n${good}\n${bad}\n`);

    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(ws.warehouseAll()).toEqual([...expected.slice(0, 3), orderFileName('GRP-P1')].sort());
    expect(ws.inboxFiles()).toEqual([]);
    expect(ws.quarantineFiles()).toContain('GRP-2-partial.csv');
    const status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 3, partial: 1 });
    expect(status.outbox).toMatchObject({ pending: 0, failed: 0, delivered: 4 });
  });

  it('the archive step of a whole group fails after its commit: a later look finishes it, no duplicate, each order once', async () => {
    const ws = await workspace({ minAge: 0 });
    // A regular file where the archive folder should be: every archive move fails (ENOTDIR) after the commit.
    await fs.mkdir(ws.inbox, { recursive: true });
    await fs.writeFile(ws.archive, 'not a folder');
    for (const id of ids) await ws.put(`${id}.csv`, singleOrderCsv(id));

    const first = await ws.once();
    expect(first.stderr).toMatch(/archive/i);
    expect(ws.warehouseAll()).toEqual(expected);
    expect(ws.inboxFiles().filter((n) => n !== 'archive')).toEqual(ids.map((id) => `${id}.csv`).sort());
    let status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 5, duplicate: 0 });

    // The archive volume is back: every file is archived without being read as new.
    await fs.rm(ws.archive);
    const second = await ws.once();
    expect(second.code, second.stderr).toBe(0);
    expect(ws.inboxFiles()).toEqual([]);
    expect(ws.archived()).toHaveLength(5);
    status = await ws.status();
    expect(status.channels[0]!.files).toMatchObject({ imported: 5, duplicate: 0 });
    expect(status.outbox).toMatchObject({ pending: 0, failed: 0, delivered: 5 });
    expect(ws.warehouseAll()).toEqual(expected);
  });
});
