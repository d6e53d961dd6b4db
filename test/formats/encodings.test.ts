/**
 * Text encodings (docs/input-quirks.md): UTF-16 with a byte order mark (Excel's "Unicode text",
 * tab-separated) is read; hints after a decode error only name encodings the bytes can be in.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContentError } from '../../src/errors.js';
import { decodeStream, readText } from '../../src/formats/decode.js';
import { inline, readAll } from '../mapping/helpers.js';

const TEXT = 'Artikel\tVoorraad\tOmschrijving\r\nTHEE-€1\t12\tKöln & Zürich\r\nTHEE-2\t3\t日本茶\r\n';

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1]!;
    be[i + 1] = le[i]!;
  }
  return be;
}

const LE_BOM = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
const BE_BOM = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]);

async function failure(p: Promise<unknown>): Promise<ContentError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ContentError);
  return err as ContentError;
}

/** Splits a buffer into chunks of `size` bytes (odd sizes cut UTF-16 code units in half). */
function chunks(buf: Buffer, size: number): Readable {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return Readable.from(out);
}

describe('UTF-16', () => {
  it('with a byte order mark (LE and BE) is detected and read, whatever the chunking', async () => {
    for (const bytes of [LE_BOM, BE_BOM]) {
      expect(await readText(Readable.from([bytes]))).toBe(TEXT);
      expect(await readText(chunks(bytes, 1))).toBe(TEXT);
      expect(await readText(chunks(bytes, 7))).toBe(TEXT);
    }
  });

  it('encoding: utf-16le / utf-16be read files without a byte order mark', async () => {
    expect(await readText(Readable.from([Buffer.from(TEXT, 'utf16le')]), 'utf-16le')).toBe(TEXT);
    expect(await readText(Readable.from([utf16be(TEXT)]), 'utf-16be')).toBe(TEXT);
    expect(await readText(Readable.from([LE_BOM]), 'utf-16le')).toBe(TEXT);
  });

  it('an Excel "Unicode text" export maps like any tab-separated file', async () => {
    const m = inline(`
kind: stock
format: csv
csv: { delimiter: "\\t" }
fields:
  sku: Artikel
  quantity: Voorraad
`);
    const records = await readAll(m, LE_BOM);
    expect(records.map((r) => [r.line, r.value])).toEqual([[2, { sku: 'THEE-€1', quantity: 12 }], [3, { sku: 'THEE-2', quantity: 3 }]]);
  });

  it('a UTF-16 byte order mark against encoding: windows-1252 is an error that names UTF-16', async () => {
    const err = await failure(readText(Readable.from([LE_BOM]), 'windows-1252'));
    expect(err.code).toBe('ENCODING_INVALID');
    expect(err.message).toBe('the file starts with a UTF-16LE byte order mark (bytes FF FE) but the mapping says windows-1252');
    expect(err.details.hint).toMatch(/utf-16le/);
    expect(err.details.hint).not.toMatch(/windows-1252/);
    const be = await failure(readText(Readable.from([BE_BOM]), 'utf-16le'));
    expect(be.details.hint).toMatch(/encoding: utf-16be/);
  });

  it('UTF-16 without a byte order mark is refused with the setting to use, not read as text with NULs', async () => {
    const le = await failure(readText(Readable.from([Buffer.from(TEXT, 'utf16le')])));
    expect(le.message).toMatch(/looks like UTF-16LE without a byte order mark/);
    expect(le.details.hint).toBe('set encoding: utf-16le in the mapping');
    const be = await failure(readText(Readable.from([utf16be(TEXT)]), 'windows-1252'));
    expect(be.details.hint).toBe('set encoding: utf-16be in the mapping');
  });

  it('a file cut in the middle of a UTF-16 character is an error, not a replacement character', async () => {
    const cut = LE_BOM.subarray(0, LE_BOM.length - 1);
    const err = await failure(readText(Readable.from([cut])));
    expect(err.message).toMatch(/^invalid UTF-16LE at line 3/);
  });
});

describe('hints after invalid UTF-8', () => {
  it('suggest windows-1252 only when the bytes can be windows-1252', async () => {
    const latin = await failure(readText(Readable.from([Buffer.from([0x61, 0x0a, 0x4b, 0xf6, 0x6c, 0x6e, 0x0a])])));
    expect(latin.details.hint).toMatch(/windows-1252/);
    // 0x81 is undefined in windows-1252: suggesting it would only trade one misread for another.
    const neither = await failure(readText(Readable.from([Buffer.from([0x61, 0x0a, 0x62, 0x81, 0x0a])])));
    expect(neither.message).toBe('invalid UTF-8 at line 2, byte offset 3 (byte 0x81)');
    expect(neither.details.hint).not.toMatch(/set encoding: windows-1252/);
    expect(neither.details.hint).toMatch(/not a character in windows-1252/);
  });
});

describe('where a bad byte is, whatever the chunking', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `Zoë-${i};Köln € 日本;${i}`).join('\n');
  const utf8 = Buffer.from(`${lines}\n`);

  it('UTF-8 split inside characters reads back the same text at every chunk size', async () => {
    for (const size of [1, 2, 3, 5, 64, 4096]) expect(await readText(chunks(utf8, size))).toBe(`${lines}\n`);
  });

  it('invalid UTF-8 deep in a later chunk: its real line and offset; the whole lines before it are yielded first', async () => {
    const bad = Buffer.concat([utf8, Buffer.from('x'), Buffer.from([0xff]), Buffer.from('\n')]);
    for (const size of [3, 100, 65536]) {
      const got: string[] = [];
      const err = await failure((async () => { for await (const t of decodeStream(chunks(bad, size))) got.push(t); })());
      expect(err.message).toBe(`invalid UTF-8 at line 41, byte offset ${utf8.length + 1} (byte 0xFF)`);
      expect(got.join('')).toBe(`${lines}\n`);
    }
  });

  it('an unpaired UTF-16 surrogate: its real line and offset, not line 1', async () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${lines}\r\n`, 'utf16le')]);
    const bad = Buffer.concat([body, Buffer.from('ab', 'utf16le'), Buffer.from([0x00, 0xdc]), Buffer.from('\r\n', 'utf16le')]);
    for (const size of [7, 65536]) {
      const err = await failure(readText(chunks(bad, size)));
      expect(err.message).toBe(`invalid UTF-16LE at line 41, byte offset ${body.length + 4}: an unpaired surrogate (0xDC00)`);
    }
  });
});
