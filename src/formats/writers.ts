import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { createRequire } from 'node:module';
import type Iconv from 'iconv-lite';
import type { XMLBuilder } from 'fast-xml-parser';
import { XML_ATTR_PREFIX, XML_TEXT_KEY, fastXmlParser } from './xml.js';

/** Writes a string (as UTF-8) or bytes and waits when the stream asks for back-pressure. */
export async function writeChunk(out: Writable, text: string | Buffer): Promise<void> {
  if (text.length === 0) return;
  if (!out.write(text)) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        out.off('drain', done);
        out.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      out.once('drain', done);
      out.once('error', done);
    });
  }
}

export interface CsvWriteOptions {
  delimiter?: string;
  quote?: string;
  /** Write the column names as the first row; default true. */
  header?: boolean;
  /** Line ending, default `\n`. */
  lineEnding?: '\n' | '\r\n';
  /** Start the file with a UTF-8 BOM (some spreadsheet programs want one); default false. UTF-8 only. */
  bom?: boolean;
  /** Character set of the written file (see `outputEncoding`); default utf-8. */
  encoding?: OutputEncodingName;
  /**
   * Neutralise cells that a spreadsheet would run as a formula (see `guardFormula`); default true.
   * Applied by the output mapping, which knows which cells are numbers.
   */
  formulaGuard?: boolean;
}

/** One CSV writer: `header()` then `rows()`; quoting only where needed, deterministic. */
export class CsvWriter {
  constructor(private readonly columns: string[], private readonly options: CsvWriteOptions = {}) {}

  private opts() {
    return {
      delimiter: this.options.delimiter ?? ',',
      quote: this.options.quote ?? '"',
      // csv-stringify escapes with '"' whatever the quote is; a quote is escaped by doubling it (RFC 4180).
      escape: this.options.quote ?? '"',
      record_delimiter: this.options.lineEnding ?? '\n',
      eof: true,
    };
  }

  /** The BOM (when asked for) and the header row (unless `header: false`), as text. */
  head(): string {
    const bom = this.options.bom ? '\uFEFF' : '';
    return bom + ((this.options.header ?? true) ? stringify([this.columns], this.opts()) : '');
  }

  /** Data rows as CSV text (quoting only where needed); '' for no rows. */
  rows(rows: string[][]): string {
    return rows.length === 0 ? '' : stringify(rows, this.opts());
  }
}

export interface XmlWriteOptions {
  /** Root element name, e.g. `orders`. */
  root: string;
  /** Element name of one record, e.g. `order`. */
  record: string;
  /** Write `<?xml version="1.0" encoding="UTF-8"?>`; default true. */
  declaration?: boolean;
}

function xmlBuilder(): XMLBuilder {
  const { XMLBuilder: Builder } = fastXmlParser();
  return new Builder({
    ignoreAttributes: false,
    attributeNamePrefix: XML_ATTR_PREFIX,
    textNodeName: XML_TEXT_KEY,
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
    processEntities: true,
  });
}

/** Renders records (objects whose `@_` keys are attributes) as one indented, escaped XML document. */
export function buildXml(records: Record<string, unknown>[], options: XmlWriteOptions): string {
  const builder = xmlBuilder();
  const body = records.length === 0
    ? `<${options.root}/>\n`
    : (builder.build({ [options.root]: { [options.record]: records } }) as string);
  const decl = options.declaration === false ? '' : '<?xml version="1.0" encoding="UTF-8"?>\n';
  return decl + (body.endsWith('\n') ? body : body + '\n');
}

/**
 * One record element as `buildXml` indents it inside the root (two spaces, trailing newline), so a
 * large document can be streamed: declaration + `<root>\n` + each element + `</root>\n` gives the
 * same bytes as `buildXml` of all records (use `buildXml([])` for none).
 */
export function xmlRecordElement(record: Record<string, unknown>, options: Pick<XmlWriteOptions, 'root' | 'record'>): string {
  const doc = xmlBuilder().build({ [options.root]: { [options.record]: [record] } }) as string;
  const open = `<${options.root}>\n`;
  const close = `</${options.root}>`;
  const body = doc.trimEnd();
  // The builder always wraps a non-empty list in the root; anything else is a bug, never a silent drop.
  if (!body.startsWith(open) || !body.endsWith(close)) throw new Error(`XML builder wrote an unexpected document for one <${options.record}>`);
  return body.slice(open.length, body.length - close.length);
}

/** Pretty JSON, 2 spaces, trailing newline. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** One NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return JSON.stringify(value) + '\n';
}

/**
 * First characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a
 * formula: `=`, `+`, `-`, `@`, tab and carriage return, as listed by OWASP
 * (https://owasp.org/www-community/attacks/CSV_Injection).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** True when a spreadsheet would treat `text` as a formula (it starts with one of FORMULA_START). */
export function looksLikeFormula(text: string): boolean {
  return FORMULA_START.test(text);
}

/**
 * CSV injection guard for one text cell: a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a
 * leading `'`, which spreadsheets show as text and never evaluate (OWASP's advice); other text is
 * returned unchanged. Callers apply it to text only: numbers (e.g. `-5`) are written as they are.
 */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Character sets output files may be written in (aliases: utf8, cp1252, latin1). */
export type OutputEncodingName = 'utf-8' | 'windows-1252' | 'iso-8859-1';
/** Every name an output mapping may give as `encoding`, in the order messages list them. */
export const OUTPUT_ENCODINGS: readonly string[] = ['utf-8', 'utf8', 'windows-1252', 'cp1252', 'iso-8859-1', 'latin1'];

/** The canonical output encoding for a configured name (case-insensitive); undefined when unsupported. */
export function outputEncodingName(name: string | undefined): OutputEncodingName | undefined {
  const e = (name ?? 'utf-8').toLowerCase();
  if (e === 'utf-8' || e === 'utf8') return 'utf-8';
  if (e === 'windows-1252' || e === 'cp1252') return 'windows-1252';
  if (e === 'iso-8859-1' || e === 'latin1') return 'iso-8859-1';
  return undefined;
}

/** Turns rendered text into a file's bytes in one character set. */
export interface OutputEncoder {
  readonly name: OutputEncodingName;
  /** The first character of `text` this encoding cannot represent, or undefined when all can be. */
  unrepresentable(text: string): string | undefined;
  /** The bytes of `text` (UTF-8 text is passed on as a string, which a stream writes as UTF-8). */
  encode(text: string): string | Buffer;
}

const encoders = new Map<OutputEncodingName, OutputEncoder>();

/**
 * iconv-lite, loaded on the first single-byte encoder: most processes write only UTF-8, and loading it
 * (with its encoding tables) is 6–30 ms of a process start (docs/benchmarks.md "push: process start").
 */
let iconvLib: typeof Iconv | undefined;
const iconv = (): typeof Iconv => (iconvLib ??= createRequire(import.meta.url)('iconv-lite') as typeof Iconv);

/**
 * The encoder for an output encoding. Single-byte encodings are written with iconv-lite
 * (https://github.com/ashtuchkin/iconv-lite), which on its own would write `?` for a character it
 * cannot represent; so the characters each encoding has are taken from iconv-lite's own table (the
 * 256 bytes decoded) and `unrepresentable` finds any other character before anything is encoded.
 * iso-8859-1 is the real ISO 8859-1 (no € or curly quotes, unlike windows-1252); UTF-8 represents
 * every character.
 */
export function outputEncoding(name: OutputEncodingName): OutputEncoder {
  const hit = encoders.get(name);
  if (hit) return hit;
  let enc: OutputEncoder;
  if (name === 'utf-8') {
    enc = { name, unrepresentable: () => undefined, encode: (t) => t };
  } else {
    const chars = new Set<string>();
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    for (const ch of iconv().decode(all, name)) if (ch !== '\uFFFD') chars.add(ch);
    enc = {
      name,
      unrepresentable: (t) => {
        // eslint-disable-next-line no-control-regex
        if (/^[\u0000-\u007f]*$/.test(t)) return undefined;
        for (const ch of t) if (!chars.has(ch)) return ch;
        return undefined;
      },
      encode: (t) => iconv().encode(t, name),
    };
  }
  encoders.set(name, enc);
  return enc;
}
