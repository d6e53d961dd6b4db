import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as Fxp from 'fast-xml-parser';
import { ContentError, clipMessage, cutQuoted } from '../errors.js';
import { lineAt, readText } from './decode.js';

/**
 * fast-xml-parser, loaded when XML is first read or written: its ES module build is some 25 modules,
 * a measurable part of every process start (docs/benchmarks.md "Process start"); its CommonJS build
 * is one file.
 */
let fxp: typeof Fxp | undefined;
export function fastXmlParser(): typeof Fxp {
  return (fxp ??= createRequire(import.meta.url)('fast-xml-parser') as typeof Fxp);
}

/** Prefix of attribute names in parsed XML (and in mapping paths): `<order id="7">` → `@_id`. */
export const XML_ATTR_PREFIX = '@_';
/** Key of an element's text when it also has attributes: `<qty unit="pc">2</qty>` → `{ '#text': '2', '@_unit': 'pc' }`. */
export const XML_TEXT_KEY = '#text';

export interface XmlReadOptions {
  /** Dotted path of the repeating record element from the root, e.g. `orders.order`. */
  record: string;
  /** Dotted paths (from the root) of elements that are always arrays, even when they occur once. */
  arrays?: string[];
  encoding?: string;
}

export interface SourceRecord {
  /** 1-based line where the record starts, when known. */
  line?: number;
  data: unknown;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes only the five predefined entities and character references. The parser runs with
 * `processEntities: false` so that no entity is ever expanded from the document itself.
 */
export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_m, ent: string) => {
    if (ent[0] === '#') {
      const cp = ent[1] === 'x' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : _m;
    }
    return PREDEFINED[ent]!;
  });
}

/** Refuses DOCTYPE/ENTITY declarations (XML bombs, XXE) before anything parses the text. */
export function assertNoDoctype(text: string): void {
  const m = /<!(DOCTYPE|ENTITY)/i.exec(text);
  if (m) {
    throw new ContentError('PARSE_FAILED', `XML with a <!${m[1]!.toUpperCase()}> declaration is refused (line ${lineAt(text, m.index)})`, {
      line: lineAt(text, m.index),
      hint: 'remove the DOCTYPE: Wharf never processes DTDs or custom entities (XML bomb / XXE protection)',
    });
  }
}

/**
 * CDATA sections become ordinary text with `&`, `<` and `>` escaped, so that entity decoding (which
 * runs on all text) gives back exactly what the CDATA held: `<![CDATA[Tom &amp; Jerry]]>` stays
 * "Tom &amp; Jerry". fast-xml-parser runs the tagValueProcessor on CDATA too, and its cdataPropName
 * would split mixed text from CDATA and lose their order. Comments are left as they are (a CDATA
 * opener inside a comment is not one). Line breaks are kept, so line numbers do not move.
 */
export function literalCdata(text: string): string {
  if (!text.includes('<![CDATA[')) return text;
  return text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>/g, (m, body: string | undefined) =>
    body === undefined ? m : body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  );
}

/** Parses a whole XML document (the pipeline bounds its size) and returns the record elements. */
export function parseXmlRecords(source: string, options: XmlReadOptions): SourceRecord[] {
  if (source.trim() === '') throw new ContentError('FILE_EMPTY', 'the file is empty', { line: 1 });
  const text = literalCdata(source);
  assertNoDoctype(text);
  const { XMLParser, XMLValidator } = fastXmlParser();
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new ContentError('PARSE_FAILED', clipMessage(`XML is not well-formed at line ${line}, column ${col}: ${cutQuoted(msg)}`), { line });
  }
  const arrays = new Set<string>([options.record, ...(options.arrays ?? [])]);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: XML_ATTR_PREFIX,
    textNodeName: XML_TEXT_KEY,
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (_name, jpath) => arrays.has(String(jpath)),
    tagValueProcessor: (_n, v) => decodeXmlEntities(v),
    attributeValueProcessor: (_n, v) => decodeXmlEntities(v),
  });
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new ContentError('PARSE_FAILED', clipMessage(`XML could not be parsed: ${cutQuoted((err as Error).message)}`), {}, err);
  }
  const segments = options.record.split('.');
  let node: unknown = doc;
  for (const seg of segments.slice(0, -1)) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    if (Array.isArray(node)) node = node[0];
  }
  const last = segments[segments.length - 1]!;
  const found = node && typeof node === 'object' ? (node as Record<string, unknown>)[last] : undefined;
  if (found === undefined || found === '') {
    const root = doc && typeof doc === 'object' ? Object.keys(doc as object)[0] : undefined;
    throw new ContentError('FILE_EMPTY', `no <${last}> record elements at ${options.record}${root ? ` (the root element is <${root.length > 40 ? `${root.slice(0, 40)}…` : root}>)` : ''}`, {
      hint: 'check xml.record in the mapping',
    });
  }
  const items = Array.isArray(found) ? found : [found];
  const lines = recordLines(text, last, items.length);
  return items.map((data, i) => ({ line: lines?.[i], data }));
}

export async function readXmlRecords(input: Readable | AsyncIterable<Buffer | string>, options: XmlReadOptions): Promise<SourceRecord[]> {
  return parseXmlRecords(await readText(input, options.encoding), options);
}

/** Start lines of the record elements, when the opening tags can be matched one to one. */
function recordLines(source: string, name: string, count: number): number[] | undefined {
  // Blank out comments and CDATA (keeping their line breaks) so a tag mentioned there is not counted.
  const text = source.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, (m) => m.replace(/[^\n]/g, ' '));
  const re = new RegExp(`<${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(?=[\\s/>])`, 'g');
  const out: number[] = [];
  let line = 1;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (let i = text.indexOf('\n', pos); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
    pos = m.index;
    out.push(line);
  }
  return out.length === count ? out : undefined;
}
