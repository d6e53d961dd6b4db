/** Bounded echo: no message, report or log line grows with the input (docs/input-quirks.md). */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { clipMessage, cutQuoted, describeError, echo, echoList, ContentError } from '../../src/errors.js';
import { boundLogObject, boundedLogOptions } from '../../src/log.js';
import { ErrorCollector, REPORT_ERRORS_BUDGET, summarise } from '../../src/pipeline/report.js';
import { validateRecord } from '../../src/schemas.js';

describe('echo', () => {
  it('quotes short values whole and long ones as a prefix with their length', () => {
    expect(echo('Jan')).toBe('"Jan"');
    expect(echo('x'.repeat(41))).toBe(`"${'x'.repeat(40)}…" (41 characters)`);
    expect(echo(12)).toBe('12');
    expect(echo(undefined)).toBe('nothing');
    expect(echo({ a: 'x'.repeat(1e6) })).toBe('an object');
    expect(echo([1, 2])).toBe('a list of 2');
  });

  it('never cuts a surrogate pair in half', () => {
    const s = `${'x'.repeat(39)}😀tail`;
    expect(echo(s)).toBe(`"${'x'.repeat(39)}…" (${s.length} characters)`);
  });

  it('clipMessage and describeError bound whole messages', () => {
    expect(clipMessage('a'.repeat(5000)).length).toBeLessThan(1100);
    expect(describeError(new ContentError('PARSE_FAILED', 'b'.repeat(100_000))).length).toBeLessThan(1100);
  });
});

describe('only quoted values are cut, never the advice', () => {
  it('clipMessage cuts the middle: the start and the advice at the end stay', () => {
    const clipped = clipMessage(`${'x'.repeat(5000)} — set csv.delimiter: ';'`, 500);
    expect(clipped.length).toBeLessThan(560);
    expect(clipped.endsWith(" — set csv.delimiter: ';'")).toBe(true);
    expect(clipped).toMatch(/^x+… \(\d+ of 5025 characters cut\) …x+/);
  });

  it('describeError keeps the hint whole however long the message', () => {
    const err = new ContentError('PARSE_FAILED', `bad ${'b'.repeat(100_000)}`, { hint: "did you mean delimiter '\\t'? (the mapping says ';')" });
    const d = describeError(err);
    expect(d.length).toBeLessThan(1100);
    expect(d.endsWith(" — did you mean delimiter '\\t'? (the mapping says ';')")).toBe(true);
  });

  it('echoList shows the first few values and counts the rest', () => {
    expect(echoList(['a', 'b'])).toBe('"a", "b"');
    expect(echoList(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('"a", "b", "c", "d", "e" and 2 more');
    expect(echoList(['x'.repeat(100)], 3)).toBe(`"${'x'.repeat(40)}…" (100 characters)`);
  });

  it("cutQuoted cuts the values a library's message quotes, not its words", () => {
    expect(cutQuoted(`Expected closing tag '${'a'.repeat(100)}' (opened in line 3)`)).toBe(`Expected closing tag '${'a'.repeat(40)}…' (100 characters) (opened in line 3)`);
    expect(cutQuoted('Unexpected token "x" in JSON')).toBe('Unexpected token "x" in JSON');
  });
});

describe('quarantine reports', () => {
  it('keep their error entries within a budget and count the rest', () => {
    const c = new ErrorCollector();
    for (let i = 0; i < 10_000; i++) c.add({ record: i + 1, line: i + 2, field: 'shipTo.name', message: `bad ${'y'.repeat(5000)}` });
    expect(JSON.stringify(c.entries).length).toBeLessThan(REPORT_ERRORS_BUDGET * 1.5);
    expect(c.entries.length + c.more).toBe(10_000);
    expect(summarise('f.csv', 'rejected', 10_000, 10_000, c.entries, c.more).length).toBeLessThan(800);
  });

  it('schema errors quote the offending value and say what is allowed', () => {
    const order = {
      id: 'm:c:1', merchant: 'm', channel: 'c', externalId: '1', createdAt: '2026-11-25T14:05:00+01:00', status: 'open',
      shipTo: { name: 'Jan', street: 'Straat', postalCode: '1000', city: 'A', country: 'Netherlands' },
      lines: [{ sku: 'A', quantity: 0 }],
    };
    const errors = validateRecord('order', order);
    expect(errors).toContainEqual({ path: 'shipTo.country', message: '"Netherlands" is not valid: ISO 3166-1 alpha-2, upper case' });
    expect(errors).toContainEqual({ path: 'lines[0].quantity', message: '0 is too small: must be at least 1' });
  });
});

describe('log lines', () => {
  it('are bounded whatever a message or field holds', () => {
    expect(boundLogObject({ a: 'x'.repeat(10) })).toEqual({ a: 'x'.repeat(10) });
    const bounded = boundLogObject({ a: 'x'.repeat(1e6), nested: { b: 'y'.repeat(1e6) } });
    expect(JSON.stringify(bounded).length).toBeLessThan(2500);
  });

  it('through a pino logger with the options createLogger uses', () => {
    let out = '';
    const sink = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
    const log = pino(boundedLogOptions(), sink);
    log.warn({ cell: 'z'.repeat(5_000_000) }, `quarantined: ${'q'.repeat(5_000_000)}`);
    expect(out).toContain("quarantined: qqq");
    expect(out.length).toBeLessThan(4096);
  });
});
