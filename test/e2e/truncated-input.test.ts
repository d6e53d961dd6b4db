/**
 * Files cut off or damaged part-way, through the real CLI: a CSV whose last row is short and has no
 * line ending is refused as cut off (never read as if the missing cells were empty), a quote that is
 * never closed is reported where it opens, a bad byte is reported at its real line and byte offset,
 * and "N records read before the error" counts the records that really came before it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES, copyMappings, createWorkspace, orderFileName, singleOrderCsv, wharf, type CliResult, type Workspace } from '../helpers/e2e.js';

const SAMPLE = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '');
const HEADER = SAMPLE.split(/\r?\n/)[0]!;
const COLUMNS = HEADER.split(';');

/** The first sample row as an order of its own, with some cells replaced. */
function row(orderNumber: string, cells: Record<string, string> = {}): string {
  const r = singleOrderCsv(orderNumber).split('\n')[1]!.replace(/\r$/, '').split(';');
  for (const [name, value] of Object.entries(cells)) r[COLUMNS.indexOf(name)] = value;
  return r.join(';');
}

const FULL_B = row('SLOW-B', { Aantal: '12' });
/** SLOW-B cut right after its quantity's first digit: "…;Earl Grey losse thee 100 g;1". */
const CUT_B = FULL_B.slice(0, FULL_B.indexOf(';12;') + 2);
const THIRTY = Array.from({ length: 30 }, (_, i) => row(`GOOD-${i + 1}`));

const FILES: Record<string, string | Buffer> = {
  'cut.csv': `${HEADER}\n${row('SLOW-A')}\n${CUT_B}`,
  // Many exports leave the last line ending out: a complete last row is fine.
  'no-eol.csv': `${HEADER}\n${row('NOEOL-A')}\n${row('NOEOL-B')}`,
  // Cut inside a quoted note: the quote opened at line 3 is never closed.
  'cut-quote.csv': `${HEADER}\n${row('CQ-A')}\n${row('CQ-B', { Opmerking: '"Ring twice,' })}\nthen wai`,
};

function utf16le(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

let ws: Workspace;
let once: CliResult;
let tabMappings: string;

beforeAll(async () => {
  ws = await createWorkspace({ onInvalid: 'acceptValid' });
  tabMappings = await copyMappings(ws);
  const tab = readFileSync(path.join(tabMappings, 'demo-orders-csv.yaml'), 'utf8').replace("delimiter: ';'", 'delimiter: "\\t"').replace(/^\s+encoding: utf-8\n/m, '');
  writeFileSync(path.join(tabMappings, 'demo-orders-tab.yaml'), tab);
  const json = readFileSync(path.join(tabMappings, 'demo-orders-json.yaml'), 'utf8').replace('format: json\njson:\n  record: orders\n', 'format: ndjson\n');
  writeFileSync(path.join(tabMappings, 'demo-orders-ndjson.yaml'), json);
  for (const [name, content] of Object.entries(FILES)) await ws.put(name, content);
  once = await ws.once();
}, 120_000);

afterAll(async () => {
  await ws?.dispose();
});

async function validate(name: string, content: string | Buffer, mapping = 'demo-orders-csv'): Promise<CliResult> {
  const file = path.join(ws.root, name);
  writeFileSync(file, content);
  return wharf(['validate', file, '--mapping', mapping, '--mappings', tabMappings]);
}

describe('a CSV cut off in its last row', () => {
  it('wharf validate refuses it as cut off, naming the row and its cell count', async () => {
    const r = await validate('cut.csv', FILES['cut.csv']!);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`cut.csv: line 3: the last row has ${CUT_B.split(';').length} of ${COLUMNS.length} cells and no line ending: the file looks cut off; send it again complete`);
    expect(r.stdout).toMatch(/could not be read to the end \(1 record read before the error\)/);
  });

  it('the daemon quarantines the whole file, also with onInvalid: acceptValid: neither order reaches the warehouse', () => {
    expect(once.code, once.stderr.slice(-2000)).toBe(0);
    expect(ws.quarantineFiles()).toContain('cut.csv');
    const report = ws.report('cut.csv');
    expect(report).toMatchObject({ outcome: 'rejected', recordsImported: 0, recordsRead: 1 });
    expect(report.errors[0]!.message).toMatch(/^the last row has \d+ of \d+ cells and no line ending: the file looks cut off; send it again complete/);
    expect(report.errors[0]!.line).toBe(3);
    expect(ws.warehouseFiles()).not.toContain(orderFileName('SLOW-A'));
    expect(ws.warehouseFiles()).not.toContain(orderFileName('SLOW-B'));
  });

  it('a complete last row without a line ending is read', async () => {
    expect(ws.warehouseFiles()).toEqual(expect.arrayContaining([orderFileName('NOEOL-A'), orderFileName('NOEOL-B')]));
    const r = await validate('no-eol.csv', FILES['no-eol.csv']!);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid (2 records)');
  });

  it('a quote that is never closed is reported at the line where it opens, with the records before it', async () => {
    const r = await validate('cut-quote.csv', FILES['cut-quote.csv']!);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cut-quote.csv: line 3: not valid CSV: a quote opened at line 3 is never closed');
    expect(r.stdout).toMatch(/\(1 record read before the error\)/);
    expect(ws.report('cut-quote.csv').errors[0]).toMatchObject({ line: 3 });
  });
});

describe('a bad byte after 30 good records', () => {
  it('invalid UTF-8 at line 32: that line and offset, and 30 records read before it', async () => {
    const head = Buffer.from(`${[HEADER, ...THIRTY].join('\n')}\n`);
    const r = await validate('bad-utf8.csv', Buffer.concat([head, Buffer.from('BAD-1;'), Buffer.from([0xfc]), Buffer.from('\n')]));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`bad-utf8.csv: line 32: invalid UTF-8 at line 32, byte offset ${head.length + 6} (byte 0xFC)`);
    expect(r.stdout).toMatch(/\(30 records read before the error\)/);
  });

  it('a UTF-16LE file with a byte order mark and an unpaired surrogate at line 32: that line and offset', async () => {
    const head = Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(`${[HEADER, ...THIRTY].map((l) => l.replaceAll(';', '\t')).join('\r\n')}\r\n`)]);
    const bad = Buffer.concat([head, utf16le('BAD-1\t'), Buffer.from([0x00, 0xd8]), utf16le('x\r\n')]);
    const r = await validate('bad-utf16.txt', bad, 'demo-orders-tab');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`bad-utf16.txt: line 32: invalid UTF-16LE at line 32, byte offset ${head.length + 12}: an unpaired surrogate (0xD800)`);
    expect(r.stdout).not.toMatch(/cut off/);
    expect(r.stdout).toMatch(/\(30 records read before the error\)/);
  });
});

describe('a parse error after 30 good records', () => {
  it('a stray quote at line 32: the 30 records before it are counted as read', async () => {
    const r = await validate('stray.csv', `${[HEADER, ...THIRTY, row('BAD-1', { Naam: 'Jan "de" Vries' })].join('\n')}\n`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('stray.csv: line 32: not valid CSV at line 32');
    expect(r.stdout).toMatch(/\(30 records read before the error\)/);
  });
});

describe('cut-off XML, JSON and NDJSON', () => {
  it('XML cut off part-way fails to parse', async () => {
    const xml = readFileSync(path.join(SAMPLES, 'orders.xml'), 'utf8');
    const r = await validate('cut.xml', xml.slice(0, Math.floor(xml.length * 0.6)), 'demo-orders-xml');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/XML is not well-formed/);
    expect(r.stdout).toMatch(/\(0 records read before the error\)/);
  });

  it('JSON cut off part-way fails to parse', async () => {
    const json = readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8');
    const r = await validate('cut.json', json.slice(0, Math.floor(json.length * 0.6)), 'demo-orders-json');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/not valid JSON/);
  });

  it('NDJSON: a valid last line without a line ending is read; a cut-off one is an error naming its line', async () => {
    const orders = (JSON.parse(readFileSync(path.join(SAMPLES, 'orders.json'), 'utf8')) as { orders: unknown[] }).orders.map((o) => JSON.stringify(o));
    const ok = await validate('ok.ndjson', orders.join('\n'), 'demo-orders-ndjson');
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain(`valid (${orders.length} records)`);
    const last = orders[orders.length - 1]!;
    const cut = await validate('cut.ndjson', [...orders.slice(0, -1), last.slice(0, last.length - 20)].join('\n'), 'demo-orders-ndjson');
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain(`cut.ndjson: record ${orders.length}, line ${orders.length}: not valid JSON, and line ${orders.length} is the last line and has no line ending: the file looks cut off; send it again complete`);
  });
});
