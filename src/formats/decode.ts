import type { Readable } from 'node:stream';
import { ContentError } from '../errors.js';

/** Character sets an input file may be in. `latin1`/`iso-8859-1` decode as windows-1252 (WHATWG). */
export type EncodingName = 'utf-8' | 'latin1' | 'iso-8859-1' | 'windows-1252';
export const ENCODINGS: readonly string[] = ['utf-8', 'utf8', 'latin1', 'iso-8859-1', 'windows-1252', 'cp1252'];

/** Canonical TextDecoder label for a configured encoding name (case-insensitive). */
export function decoderLabel(encoding: string | undefined): 'utf-8' | 'windows-1252' {
  const e = (encoding ?? 'utf-8').toLowerCase();
  if (e === 'utf-8' || e === 'utf8') return 'utf-8';
  // The WHATWG Encoding Standard (and so TextDecoder) maps latin1 and iso-8859-1 to windows-1252:
  // identical for every printable latin1 character, and it is what Windows exports really contain.
  if (e === 'latin1' || e === 'iso-8859-1' || e === 'windows-1252' || e === 'cp1252') return 'windows-1252';
  throw new ContentError('PARSE_FAILED', `unsupported encoding "${encoding}"`, { hint: `use one of ${ENCODINGS.join(', ')}` });
}

/**
 * Decodes a byte stream into text chunks. A UTF-8 BOM is stripped. Invalid UTF-8 is a ContentError
 * 'ENCODING_INVALID' naming the line and byte offset, never silently replaced with U+FFFD.
 */
export async function* decodeStream(input: Readable | AsyncIterable<Buffer | string>, encoding?: string): AsyncGenerator<string> {
  const label = decoderLabel(encoding);
  const utf8 = label === 'utf-8';
  const decoder = new TextDecoder(label, { fatal: utf8, ignoreBOM: false });
  let offset = 0; // bytes consumed before the current chunk
  let newlines = 0; // 0x0A bytes before the current chunk
  let tail: Buffer = Buffer.alloc(0); // last bytes of the previous chunk, to locate a split sequence
  let first = true;
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (chunk.length === 0) continue;
    if (first) {
      first = false;
      if (!utf8 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        throw new ContentError('ENCODING_INVALID', `the file starts with a UTF-8 byte order mark but the mapping says ${encoding}`, {
          line: 1,
          hint: 'set encoding: utf-8 in the mapping',
        });
      }
    }
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw invalidUtf8(tail, chunk, offset, newlines, false);
    }
    offset += chunk.length;
    newlines += countNewlines(chunk);
    tail = chunk.length >= 3 ? chunk.subarray(chunk.length - 3) : Buffer.concat([tail, chunk]).subarray(-3);
    if (text) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw invalidUtf8(tail, Buffer.alloc(0), offset, newlines, true);
  }
  if (rest) yield rest;
}

/** Reads a whole (size-limited) input into one string through the same decoder. */
export async function readText(input: Readable | AsyncIterable<Buffer | string>, encoding?: string): Promise<string> {
  const parts: string[] = [];
  for await (const t of decodeStream(input, encoding)) parts.push(t);
  return parts.join('');
}

/** 1-based line of a character offset in a string. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

function invalidUtf8(tail: Buffer, chunk: Buffer, offset: number, newlines: number, atEnd: boolean): ContentError {
  // Start the scan at the first byte of `tail` that begins a sequence: everything before it decoded fine.
  let start = 0;
  while (start < tail.length && (tail[start]! & 0xc0) === 0x80) start++;
  const buf = Buffer.concat([tail.subarray(start), chunk]);
  const base = offset - (tail.length - start);
  const bad = firstInvalidUtf8(buf, atEnd);
  const at = bad === -1 ? offset : base + bad;
  const inChunk = bad - (tail.length - start); // newlines before `offset` are already counted
  const before = inChunk > 0 ? countNewlines(chunk.subarray(0, inChunk)) : 0;
  const line = newlines + before + 1;
  const byte = bad >= 0 && bad < buf.length ? ` (byte 0x${buf[bad]!.toString(16).toUpperCase().padStart(2, '0')})` : '';
  return new ContentError('ENCODING_INVALID', `invalid UTF-8 at line ${line}, byte offset ${at}${byte}`, {
    line,
    hint: 'if the file comes from Windows or an old system, set encoding: windows-1252 (or latin1) in the mapping',
  });
}

/** Index of the first byte of the first invalid (or, when `atEnd`, truncated) UTF-8 sequence; -1 if none. */
export function firstInvalidUtf8(b: Buffer, atEnd: boolean): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    if (i + need >= b.length) {
      // The sequence runs past the end of the buffer: invalid if a byte so far is wrong, or at the end.
      for (let k = 1; i + k < b.length; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
      return atEnd ? i : -1;
    }
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k]!;
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
