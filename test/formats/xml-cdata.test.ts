/** XML CDATA is text taken literally: no entity decoding inside it (docs/input-quirks.md). */
import { describe, expect, it } from 'vitest';
import { parseXmlRecords } from '../../src/formats/xml.js';

const doc = `<?xml version="1.0" encoding="UTF-8"?>
<orders>
  <order id="1">
    <name><![CDATA[Tom &amp; Jerry <BV>]]></name>
    <note>Ring &amp; wait, <![CDATA[then say "&lt;3"]]> &lt;ok&gt;</note>
    <street>Dorpsstraat &amp; Co</street>
  </order>
  <!-- <![CDATA[ not a section ]]> -->
  <order id="2">
    <name><![CDATA[
A & B]]></name>
    <note><![CDATA[<order id="3">]]></note>
  </order>
</orders>`;

describe('XML CDATA', () => {
  it('is taken literally, entities outside it are decoded, order of text and CDATA kept', () => {
    const recs = parseXmlRecords(doc, { record: 'orders.order' });
    expect(recs).toHaveLength(2);
    const first = recs[0]!.data as Record<string, string>;
    expect(first.name).toBe('Tom &amp; Jerry <BV>');
    expect(first.note).toBe('Ring & wait, then say "&lt;3" <ok>');
    expect(first.street).toBe('Dorpsstraat & Co');
  });

  it('an element mentioned inside CDATA is not a record, and lines stay right', () => {
    const recs = parseXmlRecords(doc, { record: 'orders.order' });
    expect(recs.map((r) => r.line)).toEqual([3, 9]);
    expect((recs[1]!.data as Record<string, string>).name).toBe('A & B');
    expect((recs[1]!.data as Record<string, string>).note).toBe('<order id="3">');
  });
});
