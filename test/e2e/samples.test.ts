/**
 * The samples through the real CLI (`wharf once`), real files and a real SQLite ledger: good samples
 * become exactly the expected canonical order files, broken ones are quarantined with exactly the
 * expected error report, a cancellation becomes one `.cancel.json`, and `onInvalid: acceptValid`
 * delivers the valid orders of a broken file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL, MERCHANT, SAMPLES, asReportEntry, canonicalOrder, expectedErrors, expectedRecords, isDateTime, orderFileName, type ReportEntry, type Workspace, workspacesPerTest } from '../helpers/e2e.js';

const workspace = workspacesPerTest();

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Checks one warehouse order file against the expected mapped value of `sample`'s record `index`. */
function expectOrderFile(ws: Workspace, sample: string, index: number, value: Record<string, unknown>): void {
  const name = orderFileName(String(value.externalId));
  const got = ws.readWarehouse(name);
  const source = got.source as Record<string, unknown> | undefined;
  expect(isDateTime(source?.receivedAt), `${name}: source.receivedAt ${String(source?.receivedAt)} is a date-time`).toBe(true);
  expect(got).toEqual(canonicalOrder(value, { fileName: path.basename(sample), record: index + 1, receivedAt: source?.receivedAt }));
}

describe('good samples reach the warehouse as exactly the expected canonical orders', () => {
  it.each(['orders-semicolon.csv', 'orders.xml', 'orders.json'])('%s', async (sample) => {
    const ws = await workspace();
    await ws.drop(sample);
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);

    const records = expectedRecords(sample);
    // An order that arrives already cancelled (orders.json #5014) is stored, never sent to the warehouse.
    const sent = records.map((v, i) => ({ v, i })).filter(({ v }) => v.status !== 'cancelled');
    expect(ws.warehouseFiles()).toEqual(sent.map(({ v }) => orderFileName(String(v.externalId))).sort());
    for (const { v, i } of sent) expectOrderFile(ws, sample, i, v);
    // No temporary files left behind either.
    expect(ws.warehouseAll()).toEqual(ws.warehouseFiles());

    // The source file was archived after the commit: nothing left in the inbox, one copy in archive/<day>/.
    expect(ws.inboxFiles()).toEqual([]);
    const archived = ws.archived();
    expect(archived).toHaveLength(1);
    const [day, name] = archived[0]!.split('/');
    expect(day).toMatch(DAY);
    expect(name).toBe(sample);
    expect(readFileSync(path.join(ws.archive, archived[0]!))).toEqual(readFileSync(path.join(SAMPLES, sample)));
    expect(ws.quarantineFiles()).toEqual([]);

    const status = await ws.status();
    expect(status.channels[0]!.files.imported).toBe(1);
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: sent.length });
  });
});

/** The external id of each record of a broken sample (to check the report's optional externalId). */
function externalIdsOf(file: string): Map<number, string> {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const ids = new Map<number, string>();
  if (file.endsWith('.json')) {
    (JSON.parse(text) as { orders: { number: string }[] }).orders.forEach((o, i) => ids.set(i + 1, o.number));
  } else if (file.endsWith('.csv')) {
    // Rows of one order follow each other: a record is a run of rows with the same Bestelnummer.
    let record = 0;
    let prev: string | undefined;
    for (const row of text.split('\n').slice(1).filter((l) => l.trim() !== '')) {
      const id = row.split(';')[0]!;
      if (id !== prev) ids.set(++record, id);
      prev = id;
    }
  }
  return ids;
}

function withoutExternalId(errors: ReportEntry[]): ReportEntry[] {
  return errors.map(({ externalId: _x, ...rest }) => rest);
}

describe('broken samples are quarantined with exactly the expected errors', () => {
  it.each(['orders-broken.csv', 'orders-broken.xml', 'orders-broken.json'])('%s', async (sample) => {
    const ws = await workspace();
    const src = path.join(SAMPLES, 'broken', sample);
    await ws.drop(src);
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 quarantined/);

    // Nothing from the file reaches the warehouse.
    expect(ws.warehouseAll()).toEqual([]);
    // The file sits in quarantine next to its report, byte for byte, and is gone from the inbox.
    expect(ws.inboxFiles()).toEqual([]);
    expect(ws.quarantineFiles()).toEqual([sample, `${sample}.errors.json`].sort());
    expect(readFileSync(path.join(ws.quarantine, sample))).toEqual(readFileSync(src));

    const report = ws.report(sample);
    const want = expectedErrors(sample).map(asReportEntry);
    expect(withoutExternalId(report.errors)).toEqual(want);
    // externalId is optional; where given it must name the order of that record.
    const ids = externalIdsOf(src);
    for (const e of report.errors) if (e.externalId !== undefined) expect(e.externalId, JSON.stringify(e)).toBe(ids.get(e.record!));
    expect(report).toMatchObject({ file: sample, origin: path.join(ws.inbox, sample), merchant: MERCHANT, channel: CHANNEL, outcome: 'rejected', recordsImported: 0, moreErrors: 0 });
    expect(report.summary).toContain(sample);

    // `wharf status --json` lists it.
    const status = await ws.status();
    expect(status.quarantined).toHaveLength(1);
    expect(status.quarantined[0]).toMatchObject({ name: sample, status: 'quarantined', quarantinePath: path.join(ws.quarantine, sample), merchant: MERCHANT, channel: CHANNEL });
    expect(status.quarantined[0]!.error).toContain(want[0]!.message);
    expect(status.channels[0]!.files.quarantined).toBe(1);
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 0 });
  });
});

describe('cancellation', () => {
  it('orders-cancel.csv after orders-semicolon.csv gives exactly one .cancel.json for the cancelled order', async () => {
    const ws = await workspace();
    await ws.drop('orders-semicolon.csv');
    expect((await ws.once()).code).toBe(0);
    expect(ws.warehouseFiles()).toHaveLength(5);

    await ws.drop('orders-cancel.csv');
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);
    const [cancelled] = expectedRecords('orders-cancel.csv');
    const cancelName = orderFileName('WEB-10422', true);
    expect(ws.warehouseFiles().filter((n) => n.includes('.cancel.'))).toEqual([cancelName]);
    expect(ws.warehouseFiles()).toHaveLength(6);
    const got = ws.readWarehouse(cancelName);
    expect(isDateTime((got.source as { receivedAt?: unknown }).receivedAt)).toBe(true);
    expect(got).toEqual(canonicalOrder(cancelled!, { fileName: 'orders-cancel.csv', record: 1, receivedAt: (got.source as { receivedAt?: unknown }).receivedAt }));
    expect(got.status).toBe('cancelled');
    // The original order file is untouched.
    expect(ws.readWarehouse(orderFileName('WEB-10422')).status).toBe('open');

    // The same cancellation again (renamed, and with different bytes so it is not a duplicate file): still one.
    const again = readFileSync(path.join(SAMPLES, 'orders-cancel.csv'), 'utf8').trimEnd() + '\n\n';
    await ws.put('orders-cancel-again.csv', again);
    expect((await ws.once()).code).toBe(0);
    expect(ws.warehouseFiles().filter((n) => n.includes('.cancel.'))).toEqual([cancelName]);
    expect(ws.warehouseFiles()).toHaveLength(6);
    const status = await ws.status();
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 6 });
  });
});

describe('onInvalid: acceptValid', () => {
  it('delivers the valid orders of a broken file and quarantines it with a report of only the invalid ones', async () => {
    const ws = await workspace({ onInvalid: 'acceptValid' });
    const sample = 'orders-broken.csv';
    await ws.drop(path.join(SAMPLES, 'broken', sample));
    const r = await ws.once();
    expect(r.code, r.stderr).toBe(0);

    // Records 6, 7 and 8 (WEB-20006, WEB-20007's first rows, WEB-20008) are valid; the rest are not.
    expect(ws.warehouseFiles()).toEqual(['WEB-20006', 'WEB-20007', 'WEB-20008'].map((id) => orderFileName(id)));
    for (const n of ws.warehouseFiles()) expect((ws.readWarehouse(n).source as { name: string }).name).toBe(sample);

    expect(ws.quarantineFiles()).toEqual([sample, `${sample}.errors.json`]);
    const report = ws.report(sample);
    expect(withoutExternalId(report.errors)).toEqual(expectedErrors(sample).map(asReportEntry));
    expect(report.errors.map((e) => e.record)).not.toContain(6);
    expect(report.errors.map((e) => e.record)).not.toContain(7);
    expect(report.errors.map((e) => e.record)).not.toContain(8);
    expect(report).toMatchObject({ outcome: 'partial', recordsRead: 9, recordsInvalid: 6, recordsImported: 3 });

    const status = await ws.status();
    expect(status.channels[0]!.files.partial).toBe(1);
    expect(status.quarantined.map((q) => q.name)).toEqual([sample]);
    expect(status.outbox).toEqual({ pending: 0, failed: 0, delivered: 3 });

    // Dropping the same broken file again delivers nothing twice.
    await ws.drop(path.join(SAMPLES, 'broken', sample), 'orders-broken-again.csv');
    expect((await ws.once()).code).toBe(0);
    expect(ws.warehouseFiles()).toHaveLength(3);
  });
});
