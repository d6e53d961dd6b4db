import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { XMLBuilder } from 'fast-xml-parser';
import { XML_ATTR_PREFIX, XML_TEXT_KEY } from './xml.js';

/** Writes a string and waits when the stream asks for back-pressure. */
export async function writeChunk(out: Writable, text: string): Promise<void> {
  if (text === '') return;
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
  /** Start the file with a UTF-8 BOM (some spreadsheet programs want one); default false. */
  bom?: boolean;
}

/** One CSV writer: `header()` then `rows()`; quoting only where needed, deterministic. */
export class CsvWriter {
  constructor(private readonly columns: string[], private readonly options: CsvWriteOptions = {}) {}

  private opts() {
    return {
      delimiter: this.options.delimiter ?? ',',
      quote: this.options.quote ?? '"',
      record_delimiter: this.options.lineEnding ?? '\n',
      eof: true,
    };
  }

  head(): string {
    const bom = this.options.bom ? '\uFEFF' : '';
    return bom + ((this.options.header ?? true) ? stringify([this.columns], this.opts()) : '');
  }

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

/** Renders records (objects whose `@_` keys are attributes) as one indented, escaped XML document. */
export function buildXml(records: Record<string, unknown>[], options: XmlWriteOptions): string {
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: XML_ATTR_PREFIX,
    textNodeName: XML_TEXT_KEY,
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
    processEntities: true,
  });
  const body = records.length === 0
    ? `<${options.root}/>\n`
    : (builder.build({ [options.root]: { [options.record]: records } }) as string);
  const decl = options.declaration === false ? '' : '<?xml version="1.0" encoding="UTF-8"?>\n';
  return decl + (body.endsWith('\n') ? body : body + '\n');
}

/** Pretty JSON, 2 spaces, trailing newline. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** One NDJSON line. */
export function ndjsonLine(value: unknown): string {
  return JSON.stringify(value) + '\n';
}
