/**
 * Input quirks through the real CLI (docs/input-quirks.md): files that were silently misread are now
 * read exactly as written, or quarantined with a bounded report that says what, where and how to fix.
 * All files are dropped together and taken in one `wharf once`.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLES, copyMappings, createWorkspace, orderFileName, parseLogs, singleOrderCsv, wharf,
  type CliResult, type Workspace,
} from '../helpers/e2e.js';

const SAMPLE = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '');
const LINES = SAMPLE.trimEnd().split(/\r?\n/);
const HEADER = LINES[0]!;
const COLUMNS = HEADER.split(';');
const ORDER_IDS = ['WEB-10421', 'WEB-10422', 'WEB-10423', 'WEB-10424', 'WEB-10425'];

/** The first sample row as an order of its own, with some cells replaced. */
function row(orderNumber: string, cells: Record<string, string> = {}): string {
  const r = singleOrderCsv(orderNumber).split('\n')[1]!.split(';');
  for (const [name, value] of Object.entries(cells)) r[COLUMNS.indexOf(name)] = value;
  return r.join(';');
}

const HUGE = 20 * 1024 * 1024;

const FILES: Record<string, string | Buffer> = {
  // A CRLF export in which one row ends in a bare LF: that row used to be glued into the note of the previous one.
  'mixed.csv': LINES.map((l, i) => `${l}${i === 3 ? '\n' : '\r\n'}`).join(''),
  // A 20 MB cell (a name far over the schema's 500 characters).
  'huge.csv': `${HEADER}\n${row('WEB-HUGE', { Naam: 'x'.repeat(HUGE) })}\n`,
  // Broken quoting: the file cannot be read at all.
  'unreadable.csv': `${HEADER}\n${row('WEB-Q1', { Naam: '"Jan" de Vries' })}\n`,
  // The quantity column twice.
  'dup-columns.csv': `${HEADER};Aantal\n${row('WEB-DUP')};5\n`,
  // A Dutch thousand in a whole-number field without a declared separator.
  'grouping.csv': `${HEADER}\n${row('WEB-GROUP', { Aantal: '1.000' })}\n`,
  // Excel "Unicode text": UTF-16LE with a byte order mark, tab-separated.
  'unicode.txt': Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from(`${[HEADER, row('U16-1', { Naam: 'Zoë Ünal' }), row('U16-2')].map((l) => l.replaceAll(';', '\t')).join('\r\n')}\r\n`, 'utf16le'),
  ]),
  // CDATA is literal text: its "&amp;" stays "&amp;".
  'cdata.xml': readFileSync(path.join(SAMPLES, 'orders.xml'), 'utf8').replace('<name>Jan de Vries</name>', '<name><![CDATA[Jan &amp; Piet <BV>]]></name>'),
  // A date-time without an offset where the mapping (demo-orders-xml) gives no timezone: not read as UTC.
  'no-zone.xml': readFileSync(path.join(SAMPLES, 'orders.xml'), 'utf8').replace('2026-11-25T14:05:00+01:00', '2026-11-25T14:05:00').replaceAll('"1002', '"9002'),
};

let ws: Workspace;
let result: CliResult;

beforeAll(async () => {
  ws = await createWorkspace();
  const mappings = await copyMappings(ws);
  // The demo CSV mapping as a tab-separated one without a fixed encoding (a byte order mark decides).
  const tab = readFileSync(path.join(mappings, 'demo-orders-csv.yaml'), 'utf8').replace("delimiter: ';'", 'delimiter: "\\t"').replace(/^\s+encoding: utf-8\n/m, '');
  writeFileSync(path.join(mappings, 'demo-orders-tab.yaml'), tab);
  ws.writeConfig({
    mappings,
    files: [
      { pattern: '*.csv', mapping: 'demo-orders-csv' },
      { pattern: '*.txt', mapping: 'demo-orders-tab' },
      { pattern: '*.xml', mapping: 'demo-orders-xml' },
    ],
  });
  for (const [name, content] of Object.entries(FILES)) await ws.put(name, content);
  // A 20 MB file among them: on two busy cores the pass can take a minute.
  result = await ws.once(110_000);
}, 120_000);

afterAll(async () => {
  await ws?.dispose();
});

describe('input quirks in one wharf once', () => {
  it('the pass succeeds', () => {
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
  });

  it('a CRLF file with one bare-LF row: every order reaches the warehouse, none glued into a note', () => {
    expect(ws.archived().map((a) => a.split('/')[1])).toContain('mixed.csv');
    for (const id of ORDER_IDS) {
      const order = ws.readWarehouse(orderFileName(id));
      expect(String(order.note ?? ''), id).not.toMatch(/WEB-/);
    }
    expect(ws.readWarehouse(orderFileName('WEB-10423')).source).toMatchObject({ name: 'mixed.csv' });
  });

  it('a UTF-16LE "Unicode text" export with a byte order mark is read', () => {
    expect(ws.archived().map((a) => a.split('/')[1])).toContain('unicode.txt');
    expect((ws.readWarehouse(orderFileName('U16-1')).shipTo as Record<string, unknown>).name).toBe('Zoë Ünal');
    expect(ws.warehouseFiles()).toContain(orderFileName('U16-2'));
  });

  it('XML CDATA is taken literally', () => {
    expect((ws.readWarehouse(orderFileName('100233')).shipTo as Record<string, unknown>).name).toBe('Jan &amp; Piet <BV>');
  });

  it('a 20 MB cell: a report of a few KB quoting a short prefix with its length, and no long log line', () => {
    const report = ws.report('huge.csv');
    expect(statSync(path.join(ws.quarantine, 'huge.csv.errors.json')).size).toBeLessThan(8 * 1024);
    expect(report.errors).toEqual([{
      record: 1, line: 2, externalId: 'WEB-HUGE', field: 'shipTo.name',
      message: `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" (${HUGE} characters) is too long: at most 500 characters allowed`,
    }]);
    const longest = Math.max(...result.stderr.split('\n').map((l) => l.length));
    expect(longest).toBeLessThan(4096);
    expect(parseLogs(result.stderr).some((l) => /quarantined: huge\.csv/.test(l.msg))).toBe(true);
  });

  it('a quarantine report carries the file id to retry with, and status knows that id', async () => {
    const report = ws.report('huge.csv');
    expect(typeof report.fileId).toBe('number');
    expect(report.hint).toContain(`wharf retry ${String(report.fileId)}`);
    const status = await ws.status();
    expect(status.quarantined.find((q) => q.name === 'huge.csv')?.id).toBe(report.fileId);
  });

  it('a file that cannot be parsed says 0 records read, not "1 of 0 records invalid"', () => {
    const report = ws.report('unreadable.csv');
    expect(report).toMatchObject({ outcome: 'rejected', recordsRead: 0, recordsInvalid: 0, recordsImported: 0 });
    expect(report.summary).toMatch(/^unreadable\.csv: line 2: not valid CSV at line 2: .*\(0 records read, nothing imported\)$/);
    expect(report.summary).not.toMatch(/of 0/);
  });

  it('a duplicate column the mapping reads is refused, naming both positions', () => {
    const report = ws.report('dup-columns.csv');
    expect(report.errors[0]!.message).toMatch(/the CSV header has column "Aantal" 2 times \(columns 22 and 27\)/);
    expect(report.errors[0]!.message).toMatch(/"Aantal#1" or "Aantal#2"/);
  });

  it('a quantity 1.000 is refused as digit grouping, with the external id', () => {
    const report = ws.report('grouping.csv');
    expect(report.errors).toEqual([expect.objectContaining({ externalId: 'WEB-GROUP', field: 'lines[0].quantity', message: expect.stringMatching(/^"1\.000" looks like digit grouping/) })]);
    expect(ws.warehouseFiles()).not.toContain(orderFileName('WEB-GROUP'));
  });
});

describe('a date-time without a zone', () => {
  it('is a record error naming the field, the value and the fix; the order does not reach the warehouse', () => {
    const report = ws.report('no-zone.xml');
    expect(report.errors).toEqual([expect.objectContaining({
      externalId: '900233', field: 'createdAt',
      message: expect.stringMatching(/^date-time "2026-11-25T14:05:00" has no UTC offset and the mapping gives no timezone.*add timezone: Europe\/Amsterdam.*or send the time with its offset/),
    })]);
    expect(ws.warehouseFiles()).not.toContain(orderFileName('900233'));
  });

  it('wharf validate says the same (exit 1)', async () => {
    const file = path.join(ws.root, 'no-zone.json');
    writeFileSync(file, readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8').replace('2026-11-24T09:12:45+01:00', '2026-11-24 09:12'));
    const r = await wharf(['validate', file, '--mapping', 'demo-orders-json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/createdAt: date-time "2026-11-24 09:12" has no UTC offset/);
  });
});

describe('wharf validate', () => {
  it('line numbers are physical lines after quoted cells with CRLF', async () => {
    const text = `${HEADER}\r\n${row('WEB-L1', { Opmerking: '"first\r\nsecond\r\nthird"' })}\r\n${row('WEB-L2', { Aantal: 'twee' })}\r\n`;
    const file = path.join(ws.root, 'lines.csv');
    writeFileSync(file, text);
    const r = await wharf(['validate', file, '--mapping', 'demo-orders-csv']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('lines.csv: record 2, line 5: lines[0].quantity: "twee" is not a whole number');
  });

  it('a file that cannot be parsed: exit 1 and "0 records read"', async () => {
    const file = path.join(ws.root, 'unreadable.csv');
    writeFileSync(file, FILES['unreadable.csv']!);
    const r = await wharf(['validate', file, '--mapping', 'demo-orders-csv']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/INVALID: the file could not be read to the end \(0 records read before the error\)/);
    expect(r.stdout).not.toMatch(/of 0 record/);
  });
});
