import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContentError } from '../../src/errors.js';
import { parseJsonRecords, readNdjson } from '../../src/formats/json.js';
import { decodeXmlEntities, parseXmlRecords } from '../../src/formats/xml.js';
import { inline, readAll } from '../mapping/helpers.js';

function failure(fn: () => unknown): ContentError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContentError);
    return err as ContentError;
  }
  throw new Error('expected a ContentError');
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<orders><order id="1"><note>&lol3;</note></order></orders>`;

describe('XML reader', () => {
  it('refuses a DOCTYPE (XML bomb) before parsing', () => {
    const err = failure(() => parseXmlRecords(BILLION_LAUGHS, { record: 'orders.order' }));
    expect(err.code).toBe('PARSE_FAILED');
    expect(err.message).toBe('XML with a <!DOCTYPE> declaration is refused (line 2)');
    expect(err.details.hint).toMatch(/XXE/);
  });

  it('refuses an external entity (XXE) too, in any case', () => {
    const xxe = '<?xml version="1.0"?>\n<!doctype x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><orders><order>&xxe;</order></orders>';
    expect(failure(() => parseXmlRecords(xxe, { record: 'orders.order' })).message).toMatch(/refused \(line 2\)/);
  });

  it('reports not well-formed XML with its line', () => {
    const err = failure(() => parseXmlRecords('<orders>\n<order>\n<sku>A</sku>\n</orders>', { record: 'orders.order' }));
    expect(err.code).toBe('PARSE_FAILED');
    expect(err.details.line).toBe(4);
    expect(err.message).toMatch(/^XML is not well-formed at line 4, column \d+: /);
  });

  it('keeps leading zeros and decodes only the predefined entities', () => {
    const [rec] = parseXmlRecords('<orders><order id="007"><ean>0871234567890</ean><zip>01069</zip><name>A &amp; B &lt;3 &#233;&#x20AC; &foo;</name></order></orders>', { record: 'orders.order' });
    expect(rec!.data).toEqual({ '@_id': '007', ean: '0871234567890', zip: '01069', name: 'A & B <3 é€ &foo;' });
    expect(decodeXmlEntities('&quot;x&apos;')).toBe('"x\'');
  });

  it('makes configured elements arrays even when they occur once', () => {
    const [rec] = parseXmlRecords('<r><o><lines><line><sku>A</sku></line></lines></o></r>', { record: 'r.o', arrays: ['r.o.lines.line'] });
    expect(rec!.data).toEqual({ lines: { line: [{ sku: 'A' }] } });
  });

  it('says where it looked when there are no record elements', () => {
    expect(failure(() => parseXmlRecords('<feed><item/></feed>', { record: 'orders.order' })).message).toBe('no <order> record elements at orders.order (the root element is <feed>)');
    expect(failure(() => parseXmlRecords('  \n', { record: 'orders.order' })).code).toBe('FILE_EMPTY');
  });

  it('maps one-line orders to a one-element list and keeps zeros (through a mapping)', async () => {
    const m = inline(`
kind: stock
format: xml
xml: { record: stock.item }
fields:
  sku: '@_sku'
  ean: ean
  quantity: { path: qty }
`);
    const recs = await readAll(m, '<stock><item sku="A-1"><ean>0004012345678</ean><qty unit="pcs">007</qty></item></stock>');
    expect(recs).toEqual([{ recordNo: 1, line: 1, value: { sku: 'A-1', ean: '0004012345678', quantity: 7 }, errors: [] }]);
  });
});

describe('JSON reader', () => {
  it('finds records at a dotted path or the root array', () => {
    expect(parseJsonRecords('{"data":{"orders":[{"a":1},{"a":2}]}}', { record: 'data.orders' }).map((r) => r.data)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseJsonRecords('[{"a":1}]', { record: '$' }).map((r) => r.data)).toEqual([{ a: 1 }]);
    expect(parseJsonRecords('[{"a":1}]').map((r) => r.data)).toEqual([{ a: 1 }]);
  });

  it('explains a missing record path, an empty array and bad JSON', () => {
    expect(failure(() => parseJsonRecords('{"items":[]}', { record: 'orders' })).message).toBe('no records at "orders" in the JSON document');
    expect(failure(() => parseJsonRecords('{"orders":[]}', { record: 'orders' })).code).toBe('FILE_EMPTY');
    const bad = failure(() => parseJsonRecords('{\n  "orders": [\n    {"a": 1,}\n  ]\n}', { record: 'orders' }));
    expect(bad.code).toBe('PARSE_FAILED');
    expect(bad.message).toMatch(/^not valid JSON/);
  });

  it('keeps leading zeros of string EANs', () => {
    expect(parseJsonRecords('[{"ean":"0871234567890"}]')[0]!.data).toEqual({ ean: '0871234567890' });
  });
});

describe('NDJSON reader', () => {
  it('streams lines, skips blank ones and makes a bad line an error of that record only', async () => {
    const text = '{"sku":"A","qty":1}\r\n\n{"sku":"B",\n{"sku":"C","qty":3}';
    const out = [];
    for await (const r of readNdjson(Readable.from([Buffer.from(text.slice(0, 7)), Buffer.from(text.slice(7))]))) out.push(r);
    expect(out.map((r) => [r.line, r.data, r.error === undefined ? undefined : 'error'])).toEqual([
      [1, { sku: 'A', qty: 1 }, undefined],
      [3, undefined, 'error'],
      [4, { sku: 'C', qty: 3 }, undefined],
    ]);
    expect(out[1]!.error).toMatch(/^not valid JSON: /);
  });

  it('maps NDJSON records through a mapping with their line numbers', async () => {
    const m = inline(`
kind: stock
format: ndjson
fields:
  sku: sku
  quantity: qty
`);
    const recs = await readAll(m, '{"sku":"A","qty":1}\nnot json\n{"sku":"C","qty":"2,5"}\n');
    expect(recs.map((r) => ({ recordNo: r.recordNo, line: r.line, errors: r.errors.map((e) => `${e.path}: ${e.message}`) }))).toEqual([
      { recordNo: 1, line: 1, errors: [] },
      { recordNo: 2, line: 2, errors: [expect.stringMatching(/^: not valid JSON: /)] },
      { recordNo: 3, line: 3, errors: ['quantity: "2,5" is not a whole number'] },
    ]);
  });
});
