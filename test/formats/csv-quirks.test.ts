/**
 * Input quirks of real CSV exports (docs/input-quirks.md): mixed line endings, quoted line breaks,
 * rows with too many cells, Excel's `sep=` line, stray quotes. Each example was a silent misread.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContentError } from '../../src/errors.js';
import { readCsv, type CsvReadOptions, type CsvRow } from '../../src/formats/csv.js';

async function rows(input: string | Buffer[], options: CsvReadOptions = {}): Promise<CsvRow[]> {
  const out: CsvRow[] = [];
  const chunks = Array.isArray(input) ? input : [Buffer.from(input)];
  for await (const r of readCsv(Readable.from(chunks), options)) out.push(r);
  return out;
}

async function failure(p: Promise<unknown>): Promise<ContentError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ContentError);
  return err as ContentError;
}

describe('CSV line endings', () => {
  it('a bare LF row in a CRLF file ends its record (not glued into the last cell)', async () => {
    const r = await rows('id;note\r\nA1;first\nA2;second\r\nA3;third\r\n', { delimiter: ';' });
    expect(r.map((x) => x.cells)).toEqual([['A1', 'first'], ['A2', 'second'], ['A3', 'third']]);
    expect(r.map((x) => x.line)).toEqual([2, 3, 4]);
    expect(r.every((x) => x.error === undefined)).toBe(true);
  });

  it('a CRLF header with LF rows, and old-Mac CR rows, all end records', async () => {
    expect((await rows('id;note\r\nA1;x\nA2;y\n', { delimiter: ';' })).map((x) => x.cells)).toEqual([['A1', 'x'], ['A2', 'y']]);
    expect((await rows('id;note\rA1;x\rA2;y\r', { delimiter: ';' })).map((x) => [x.line, ...x.cells])).toEqual([[2, 'A1', 'x'], [3, 'A2', 'y']]);
  });

  it('a CRLF split across two chunks is one line break', async () => {
    const r = await rows([Buffer.from('id;n\r'), Buffer.from('\nA1;x\r'), Buffer.from('\nA2;y\r\n')], { delimiter: ';' });
    expect(r.map((x) => [x.line, ...x.cells])).toEqual([[2, 'A1', 'x'], [3, 'A2', 'y']]);
  });
});

describe('CSV line numbers', () => {
  it('are physical lines, also after quoted cells with CRLF, LF and CR breaks', async () => {
    const text = 'id,note\r\nA1,"two\r\nlines"\r\nA2,"three\r\nline\r\nnote"\r\n\r\nA3,x\r\nA4,"a\rb"\r\nA5,y\r\n';
    const r = await rows(text);
    // A1 on 2-3, A2 on 4-6, blank 7, A3 on 8, A4 on 9 (a lone CR inside quotes is a break too: 9-10), A5 on 11
    expect(r.map((x) => [x.cells[0], x.line])).toEqual([['A1', 2], ['A2', 4], ['A3', 8], ['A4', 9], ['A5', 11]]);
    expect(r[1]!.cells[1]).toBe('three\r\nline\r\nnote');
  });

  it('a parse error after quoted CRLFs names its physical line', async () => {
    const err = await failure(rows('a,b\r\n1,"x\r\ny"\r\n2,"z\r\nw"\r\n3,"bad"q\r\n'));
    expect(err.details.line).toBe(6);
    expect(err.message).toMatch(/^not valid CSV at line 6: /);
  });
});

describe('CSV rows with more cells than columns', () => {
  it('are an error of that row, quoting the extra cells', async () => {
    const r = await rows('id;qty\nA1;1\nA2;2;7;x\nA3;3\n', { delimiter: ';' });
    expect(r.map((x) => x.cells[0])).toEqual(['A1', 'A2', 'A3']);
    expect(r[1]!.error).toMatch(/^line 3 has 4 cells but the header has 2 columns \(extra: "7", "x"\)/);
    expect(r[0]!.error).toBeUndefined();
    expect(r[2]!.error).toBeUndefined();
  });

  it('trailing empty cells (a trailing delimiter) lose nothing and are fine', async () => {
    const r = await rows('id;qty\nA1;1;\nA2;2;;\n', { delimiter: ';' });
    expect(r.map((x) => x.error)).toEqual([undefined, undefined]);
  });
});

describe('Excel sep= line', () => {
  it('is skipped when it names the delimiter', async () => {
    const r = await rows('sep=;\r\nid;qty\r\nA1;1\r\n', { delimiter: ';' });
    expect(r).toEqual([{ line: 3, cells: ['A1', '1'] }]);
  });

  it('works for a tab too', async () => {
    const r = await rows('sep=\t\nid\tqty\nA1\t1\n', { delimiter: '\t' });
    expect(r).toEqual([{ line: 3, cells: ['A1', '1'] }]);
  });

  it('is refused when it names another delimiter', async () => {
    const err = await failure(rows('sep=,\nid,qty\nA1,1\n', { delimiter: ';' }));
    expect(err.message).toBe('the file\'s first line says sep=, but the mapping\'s delimiter is ";"');
    expect(err.details.line).toBe(1);
  });
});

describe('stray quotes', () => {
  const text = 'sku;name\nP1;12" pizza\nP2;"quoted; fine"\n';

  it('are a parse error by default, naming the line', async () => {
    const err = await failure(rows(text, { delimiter: ';' }));
    expect(err.details.line).toBe(2);
    expect(err.details.hint).toMatch(/relaxQuotes/);
  });

  it('are kept as characters with relaxQuotes', async () => {
    const r = await rows(text, { delimiter: ';', relaxQuotes: true });
    expect(r.map((x) => x.cells)).toEqual([['P1', '12" pizza'], ['P2', 'quoted; fine']]);
  });
});

describe('bounded echo in CSV errors', () => {
  it('a huge cell with bad quoting is quoted as a short prefix with its length', async () => {
    const big = 'x'.repeat(5_000_000);
    const err = await failure(rows(`a,b\n1,"${big}"y\n`));
    expect(err.message.length).toBeLessThan(1100);
  });
});
