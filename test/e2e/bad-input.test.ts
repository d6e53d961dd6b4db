/**
 * Bad input, all dropped together with one good file and taken in the same `wharf once`: each bad
 * file ends in quarantine with a report saying what is wrong and where (or, for unsafe names, a
 * logged refusal with the file left in place), and the good file is still processed.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHANNEL, MERCHANT, SAMPLES, createWorkspace, expectedRecords, killAllDaemons, orderFileName, parseLogs, singleOrderCsv,
  type CliResult, type LogLine, type Workspace,
} from '../helpers/e2e.js';

const MAX_FILE_SIZE = 20_000;
let ws: Workspace;
let result: CliResult;
let logs: LogLine[];

const semicolon = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '');
const [HEADER, ...ROWS] = semicolon.trimEnd().split('\n');

/** The sample written as a proper comma-separated CSV (cells with a comma or quote quoted, as any CSV writer does). */
function asCommaCsv(): string {
  const splitSemicolon = (line: string): string[] => {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ';') {
        cells.push(cur);
        cur = '';
      } else cur += c;
    }
    cells.push(cur);
    return cells;
  };
  const quote = (c: string) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  return [HEADER!, ...ROWS].map((l) => splitSemicolon(l).map(quote).join(',')).join('\n') + '\n';
}

const BAD: Record<string, string | Buffer> = {
  'empty.csv': '',
  // Wrong delimiter: a comma file into the semicolon mapping. Decimal commas force quoted cells.
  'comma-quoted.csv': asCommaCsv(),
  // Wrong delimiter without any quoting (order numbers only): the header is one long column.
  'comma-plain.csv': `${HEADER!.replaceAll(';', ',')}\n${singleOrderCsv('WEB-COMMA').split('\n')[1]!.replaceAll(';', ',').replaceAll('6,95', '6.95')}\n`,
  'wrong-header.csv': 'Ordernummer;Datum;Klant\nX-1;01-12-2026 10:00;Jan\n',
  // Invalid UTF-8 bytes (a Latin-1 "ü") in the name cell of line 3.
  'latin1.csv': Buffer.concat([
    Buffer.from(`${HEADER}\n${ROWS[0]}\n`, 'utf8'),
    Buffer.from(ROWS[1]!.replace('Jan de Vries', 'Jan de V'), 'utf8'),
    Buffer.from([0xfc]),
    Buffer.from('ries\n', 'utf8'),
  ]),
  'bomb.xml': `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<orders>
  <order id="666" number="BOMB-1">
    <created>2026-11-25T14:05:00+01:00</created>
    <delivery><name>&lol9;</name><street>Straat</street><number>1</number><zip>1000 AA</zip><city>Amsterdam</city><country code="NL">Nederland</country></delivery>
    <lines><line no="1"><sku>TEA-EARLGREY-100</sku><quantity>1</quantity></line></lines>
  </order>
</orders>
`,
  // Larger than the channel's maxFileSize: quarantined unread.
  'too-big.csv': `${HEADER}\n${Array.from({ length: 200 }, (_, i) => ROWS[0]!.replace('WEB-10421', `BIG-${i}`)).join('\n')}\n`,
};
// (Two dots inside a name, `a..b.csv`, are no path and are taken: see intake-names.test.ts.)
const UNSAFE = ['ctl\u0007bell.csv', 'back\\slash.csv'];

beforeAll(async () => {
  ws = await createWorkspace({ maxFileSize: MAX_FILE_SIZE });
  expect(Buffer.byteLength(BAD['too-big.csv']!)).toBeGreaterThan(MAX_FILE_SIZE);
  for (const [name, content] of Object.entries(BAD)) await ws.put(name, content);
  for (const [i, name] of UNSAFE.entries()) await ws.put(name, singleOrderCsv(`UNSAFE-${i}`));
  await ws.drop('orders-semicolon.csv');
  result = await ws.once();
  logs = parseLogs(result.stderr);
});
afterAll(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

/** The quarantine report of `name`, asserting where it sits and whose it is. */
function quarantined(name: string) {
  expect(existsSync(path.join(ws.quarantine, name)), `${name} is in quarantine (inbox now: ${JSON.stringify(ws.inboxFiles())}; log: ${JSON.stringify(logs.filter((l) => l.file === name).map((l) => l.msg))})`).toBe(true);
  expect(existsSync(path.join(ws.inbox, name)), `${name} left the inbox`).toBe(false);
  const report = ws.report(name);
  expect(report).toMatchObject({ file: name, origin: path.join(ws.inbox, name), merchant: MERCHANT, channel: CHANNEL, outcome: 'rejected', recordsImported: 0 });
  expect(report.errors.length).toBeGreaterThan(0);
  expect(report.summary).toContain(name);
  return report;
}

describe('bad input in one poll', () => {
  it('the pass itself succeeds (exit 0) and the good file in the same poll is still processed', () => {
    expect(result.code, result.stderr).toBe(0);
    const want = expectedRecords('orders-semicolon.csv').map((v) => orderFileName(String(v.externalId))).sort();
    expect(ws.warehouseFiles()).toEqual(want);
    expect(ws.archived().map((a) => a.split('/')[1])).toEqual(['orders-semicolon.csv']);
  });

  it('nothing from a bad file reaches the warehouse', () => {
    expect(ws.warehouseFiles().filter((n) => /BIG-|UNSAFE|COMMA|BOMB|666/.test(n))).toEqual([]);
    expect(ws.warehouseAll()).toHaveLength(5);
  });

  it('an empty file', () => {
    const r = quarantined('empty.csv');
    expect(r.errors[0]!.message).toMatch(/empty/);
  });

  it('a comma-separated file with quoted cells into the semicolon mapping', () => {
    const r = quarantined('comma-quoted.csv');
    expect(r.errors[0]!.line, JSON.stringify(r.errors[0])).toBeGreaterThanOrEqual(1);
  });

  it('a comma-separated file without quotes into the semicolon mapping', () => {
    const r = quarantined('comma-plain.csv');
    expect(r.errors[0]).toMatchObject({ line: 1 });
    expect(r.errors[0]!.message).toMatch(/header lacks column/);
  });

  it('a header that does not match the mapping', () => {
    const r = quarantined('wrong-header.csv');
    expect(r.errors[0]).toMatchObject({ line: 1 });
    expect(r.errors[0]!.message).toContain('"Bestelnummer"');
    expect(r.errors[0]!.message).toContain('"Ordernummer"');
  });

  it('invalid UTF-8 bytes', () => {
    const r = quarantined('latin1.csv');
    expect(r.errors[0]).toMatchObject({ line: 3 });
    expect(r.errors[0]!.message).toMatch(/UTF-8/);
    expect(r.errors[0]!.message).toMatch(/0xFC/i);
  });

  it('an XML bomb (DOCTYPE with entities) is refused unexpanded', () => {
    const r = quarantined('bomb.xml');
    expect(r.errors[0]).toMatchObject({ line: 2 });
    expect(r.errors[0]!.message).toMatch(/DOCTYPE/);
    expect(JSON.stringify(r)).not.toContain('lollol');
  });

  it('a file larger than maxFileSize', () => {
    const r = quarantined('too-big.csv');
    expect(r.errors[0]!.message).toContain(String(MAX_FILE_SIZE));
    expect(r.errors[0]!.message).toContain(String(Buffer.byteLength(BAD['too-big.csv']!)));
    expect(r.recordsRead).toBe(0);
  });

  it('unsafe names (control characters, a backslash) are refused in the log and left in place, untouched', () => {
    for (const [i, name] of UNSAFE.entries()) {
      expect(readFileSync(path.join(ws.inbox, name), 'utf8'), name).toBe(singleOrderCsv(`UNSAFE-${i}`));
      const refusal = logs.find((l) => l.file === JSON.stringify(name));
      expect(refusal, `a log line refusing ${JSON.stringify(name)}`).toBeDefined();
      expect(refusal!.level).toBeGreaterThanOrEqual(40);
      expect(refusal!.msg).toMatch(/not a plain file name/);
      expect(refusal!.msg).toMatch(name.includes('\\') ? /path separator/ : /control/);
    }
    expect(ws.quarantineFiles().filter((n) => UNSAFE.some((u) => n.startsWith(u)))).toEqual([]);
  });

  it('every bad file is accounted for: quarantined and listed by status, or refused', async () => {
    expect(ws.inboxFiles().sort()).toEqual([...UNSAFE].sort());
    const status = await ws.status();
    expect(status.quarantined.map((q) => q.name).sort()).toEqual(Object.keys(BAD).sort());
    for (const q of status.quarantined) expect(q.quarantinePath).toBe(path.join(ws.quarantine, q.name));
  });
});
