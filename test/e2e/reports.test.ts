/**
 * What reports, log lines and preview output say (docs/mapping.md "Errors"), through the real CLI:
 * Wharf's own advice is never cut away by bounded echo (only quoted values are), every record of an
 * imported file is counted in its log line, and `wharf map` prints nothing to stdout before usage is
 * known to be right.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { SAMPLES, createWorkspace, orderFileName, parseLogs, wharf, type CliResult, type Workspace } from '../helpers/e2e.js';

const SAMPLE = readFileSync(path.join(SAMPLES, 'orders-semicolon.csv'), 'utf8').replace(/^\uFEFF/, '');
/** The sample without some of its columns. */
function without(...names: string[]): string {
  const rows = SAMPLE.trimEnd().split(/\r?\n/).map((l) => l.split(';'));
  const drop = new Set(names.map((n) => rows[0]!.indexOf(n)));
  return `${rows.map((r) => r.filter((_, i) => !drop.has(i)).join(';')).join('\n')}\n`;
}
const HINT = "the header is one single column: did you mean delimiter '\\t'? (the mapping says ';')";

let ws: Workspace;
let once: CliResult;

beforeAll(async () => {
  ws = await createWorkspace({
    files: [
      { pattern: '*.txt', mapping: 'demo-orders-csv' },
      { pattern: '*.json', mapping: 'demo-orders-json' },
    ],
  });
  // Excel "Unicode text" (UTF-16LE, tab-separated) dropped on a channel whose mapping says ';'.
  await ws.put('unicode.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SAMPLE.replaceAll(';', '\t'), 'utf16le')]));
  // Three orders, the last one cancelled before it was ever sent: stored, nothing owed.
  await ws.drop('orders.json');
  // An export without the optional columns Telefoon and Bedrijf.
  await ws.put('no-phone.txt', without('Telefoon', 'Bedrijf'));
  once = await ws.once();
}, 120_000);

afterAll(async () => {
  await ws?.dispose();
});

describe('bounded echo cuts quoted values, never the advice', () => {
  it('the report entry, its summary and status end with the whole delimiter hint; the columns are listed bounded', async () => {
    expect(once.code, once.stderr.slice(-2000)).toBe(0);
    const report = ws.report('unicode.txt');
    const message = report.errors[0]!.message;
    expect(message.endsWith(HINT), message).toBe(true);
    expect(message).toMatch(/lacks columns "Bestelnummer", "Besteldatum", "Naam", "Straat", "Postcode" and \d+ more used by mapping demo-orders-csv; found: "Bestelnummer\\tBesteldatum\\t.*…" \(\d+ characters\)/);
    expect(report.summary.endsWith(`${HINT} (0 records read, nothing imported)`), report.summary).toBe(true);
    const status = await ws.status();
    const q = status.quarantined.find((x) => x.name === 'unicode.txt');
    expect(q?.error?.endsWith(`${HINT} (0 records read, nothing imported)`), q?.error ?? '').toBe(true);
    const log = parseLogs(once.stderr).find((l) => /quarantined: unicode\.txt/.test(l.msg));
    expect(log?.msg.endsWith(`${HINT} (0 records read, nothing imported)`), log?.msg).toBe(true);
  });
});

describe('the import log line counts every record', () => {
  it('an order cancelled before it was ever sent is counted as such', () => {
    const line = parseLogs(once.stderr).find((l) => /^imported orders\.json: /.test(l.msg));
    expect(line?.msg).toBe('imported orders.json: 2 new, 0 cancelled, 0 duplicate, 1 cancelled before it was sent (stored, nothing to send)');
    expect(line).toMatchObject({ records: 3, new: 2, cancellations: 0, duplicates: 0, stored: 1 });
  });
});

describe('wharf map prints nothing to stdout on a usage error', () => {
  it('a folder instead of a file: exit 2, stdout empty', async () => {
    const r = await wharf(['map', 'samples', '--mapping', 'demo-orders-csv']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/is a folder/);
  });

  it('a mapping that does not exist: exit 2, stdout empty', async () => {
    const r = await wharf(['map', 'samples/orders.json', '--mapping', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('a good run still prints the JSON array', async () => {
    const r = await wharf(['map', 'samples/orders.json', '--mapping', 'demo-orders-json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(3);
  });
});

describe('optional columns may be missing from the header', () => {
  it('the daemon imports a file without optional columns; those fields are left out', () => {
    expect(ws.archived().map((a) => a.split('/')[1])).toContain('no-phone.txt');
    const order = ws.readWarehouse(orderFileName('WEB-10421'));
    expect(order.shipTo).not.toHaveProperty('phone');
    expect(order.shipTo).not.toHaveProperty('company');
    expect(order.customer).toEqual({ email: 'jan.devries@example.nl' });
    // Not silent: the file's one info line names the columns whose fields were left out.
    const line = parseLogs(once.stderr).find((l) => /^imported no-phone\.txt/.test(l.msg));
    expect(line?.msg).toMatch(/\(note: the header has no columns "Telefoon", "Bedrijf"/);
  });

  it('wharf validate says valid and names the missing optional columns in a note', async () => {
    const file = path.join(ws.root, 'no-phone.csv');
    writeFileSync(file, without('Telefoon', 'Bedrijf'));
    const r = await wharf(['validate', file, '--mapping', 'demo-orders-csv']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('no-phone.csv: note: the header has no columns "Telefoon", "Bedrijf", read by optional fields of mapping demo-orders-csv: those fields are left out of every record');
    const json = await wharf(['validate', file, '--mapping', 'demo-orders-csv', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, notes: [expect.stringMatching(/"Telefoon", "Bedrijf"/)] });
  });

  it('a column read by a required field must still be in the header', async () => {
    const file = path.join(ws.root, 'no-sku.csv');
    writeFileSync(file, without('SKU', 'Telefoon'));
    const r = await wharf(['validate', file, '--mapping', 'demo-orders-csv']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no-sku.csv: line 1: the CSV header lacks column "SKU" used by mapping demo-orders-csv; found: "Bestelnummer"');
  });
});
