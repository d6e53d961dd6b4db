import type { Readable } from 'node:stream';
import { ContentError, echo } from '../errors.js';

/** Character sets an input file may be in. `latin1`/`iso-8859-1` decode as windows-1252 (WHATWG). */
export type EncodingName = 'utf-8' | 'latin1' | 'iso-8859-1' | 'windows-1252' | 'utf-16le' | 'utf-16be';
export const ENCODINGS: readonly string[] = ['utf-8', 'utf8', 'latin1', 'iso-8859-1', 'windows-1252', 'cp1252', 'utf-16le', 'utf-16be'];

type Label = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

/** Canonical TextDecoder label for a configured encoding name (case-insensitive). */
export function decoderLabel(encoding: string | undefined): Label {
  const e = (encoding ?? 'utf-8').toLowerCase();
  if (e === 'utf-8' || e === 'utf8') return 'utf-8';
  // The WHATWG Encoding Standard (and so TextDecoder) maps latin1 and iso-8859-1 to windows-1252:
  // identical for every printable latin1 character, and it is what Windows exports really contain.
  if (e === 'latin1' || e === 'iso-8859-1' || e === 'windows-1252' || e === 'cp1252') return 'windows-1252';
  if (e === 'utf-16le' || e === 'utf16le') return 'utf-16le';
  if (e === 'utf-16be' || e === 'utf16be') return 'utf-16be';
  throw new ContentError('PARSE_FAILED', `unsupported encoding ${echo(encoding)}`, { hint: `use one of ${ENCODINGS.join(', ')}` });
}

const NAMES: Record<Label, string> = { 'utf-8': 'UTF-8', 'windows-1252': 'windows-1252', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE' };

/** The encoding a byte order mark at the start of `head` announces, if any. */
function bomOf(head: Buffer): Label | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * UTF-16 without a byte order mark, recognised by its zero bytes: ASCII text in UTF-16LE has a 0 in
 * every odd byte (BE: every even byte). A real UTF-8 or windows-1252 text file has no zero bytes.
 */
function utf16Without(head: Buffer): Label | undefined {
  const n = Math.min(head.length, 256) & ~1;
  if (n < 4) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd >= pairs / 2 && even === 0) return 'utf-16le';
  if (even >= pairs / 2 && odd === 0) return 'utf-16be';
  return undefined;
}

/**
 * Chooses the decoder for a file from the configured encoding and the file's first bytes. A byte
 * order mark is believed: a UTF-16 BOM switches the default UTF-8 to UTF-16 (Excel's "Unicode text"),
 * and a BOM that contradicts an explicit single-byte or other-UTF-16 setting is an error (never a
 * guess). UTF-16 without a BOM is refused with the setting to use.
 */
function chooseLabel(configured: Label, explicit: boolean, head: Buffer): Label {
  const bom = bomOf(head);
  if (bom !== undefined) {
    if (bom === configured) return bom;
    if (configured === 'utf-8' && bom !== 'utf-8') return bom; // FF FE / FE FF can never start UTF-8
    const bytes = [...head.subarray(0, bom === 'utf-8' ? 3 : 2)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    throw new ContentError('ENCODING_INVALID', `the file starts with a ${NAMES[bom]} byte order mark (bytes ${bytes}) but the mapping says ${explicit ? NAMES[configured] : 'UTF-8'}`, {
      line: 1,
      hint: `set encoding: ${bom} in the mapping (or leave encoding out: a byte order mark is recognised)`,
    });
  }
  if (configured === 'utf-8' || configured === 'windows-1252') {
    const guess = utf16Without(head);
    if (guess) {
      throw new ContentError('ENCODING_INVALID', `the file looks like ${NAMES[guess]} without a byte order mark (every other byte is 0) but the mapping says ${NAMES[configured]}`, {
        line: 1,
        hint: `set encoding: ${guess} in the mapping`,
      });
    }
  }
  return configured;
}

/**
 * Decodes a byte stream into text chunks. A byte order mark (UTF-8, UTF-16LE, UTF-16BE) is
 * recognised and stripped (see chooseLabel). Invalid UTF-8 or UTF-16 is a ContentError
 * 'ENCODING_INVALID' naming the real line and byte offset of the first bad byte, never silently
 * replaced with U+FFFD; its hint only suggests encodings the bytes can be in. Before that error is
 * thrown, the text up to the last line break before the bad byte is yielded, so that a reader counts
 * the records that really came before it ("30 records read"), never a half line.
 */
export async function* decodeStream(input: Readable | AsyncIterable<Buffer | string>, encoding?: string): AsyncGenerator<string> {
  const configured = decoderLabel(encoding);
  let label: Label = configured;
  let decoder: TextDecoder | undefined;
  // Each piece handed to the decoder holds whole characters only: a character split across chunks
  // waits in `carry`. So a bad byte is always found in the piece that failed, at its real place.
  let offset = 0; // file byte offset of the first byte not yet decoded (the start of `carry`)
  let newlines = 0; // line feeds decoded so far
  let carry: Buffer = Buffer.alloc(0);
  let head: Buffer | undefined = Buffer.alloc(0); // the first bytes, until the decoder is chosen
  let first: Buffer | undefined;
  // Text is yielded in whole lines: the end of a line waits here for the rest of it, so that a bad
  // byte never leaves half a line behind that a reader would take for a (short) record.
  let held = '';
  const lines = (text: string): string => {
    const all = held === '' ? text : held + text;
    const end = Math.max(all.lastIndexOf('\n'), all.lastIndexOf('\r')) + 1;
    held = all.slice(end);
    return end === all.length ? all : all.slice(0, end);
  };

  const decode = function* (chunk: Buffer, atEnd: boolean): Generator<string> {
    if (!decoder) {
      label = chooseLabel(configured, encoding !== undefined, chunk);
      decoder = new TextDecoder(label, { fatal: label !== 'windows-1252', ignoreBOM: false });
      first = chunk.subarray(0, 256);
    }
    const all = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const cut = atEnd ? all.length : wholeCharacters(label, all);
    carry = all.subarray(cut);
    const piece = all.subarray(0, cut);
    if (piece.length === 0) return;
    let text: string;
    try {
      // stream: true only so that a byte order mark is stripped at the very start and nowhere else;
      // the piece ends on a character boundary, so the decoder holds nothing back.
      text = decoder.decode(piece, { stream: !atEnd });
    } catch {
      const bad = label === 'utf-8' ? invalidUtf8(piece, offset, newlines, first!) : invalidUtf16(label, piece, offset, newlines);
      if (bad.validBytes > 0) {
        const prefix = lines(new TextDecoder(label, { ignoreBOM: offset > 0 }).decode(piece.subarray(0, bad.validBytes)));
        if (prefix) yield prefix;
      }
      throw bad.error;
    }
    offset += piece.length;
    newlines += label === 'utf-8' || label === 'windows-1252' ? countNewlines(piece) : countLineFeeds(text);
    const whole = lines(text);
    if (whole) yield whole;
  };

  for await (const piece of input) {
    let chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (chunk.length === 0) continue;
    if (head !== undefined) {
      // Gather at least 4 bytes to see a byte order mark (a stream may hand them over one by one).
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) continue;
      chunk = head;
      head = undefined;
    }
    yield* decode(chunk, false);
  }
  if (head !== undefined && head.length > 0) yield* decode(head, false);
  if (decoder && carry.length > 0) yield* decode(Buffer.alloc(0), true);
  if (held !== '') yield held;
}

/**
 * How many bytes at the start of `buf` are whole characters: a UTF-8 sequence or a UTF-16 code unit
 * (or surrogate pair) cut off at the end of the chunk is left for the next one.
 */
function wholeCharacters(label: Label, buf: Buffer): number {
  const n = buf.length;
  if (label === 'windows-1252') return n;
  if (label === 'utf-8') {
    for (let k = 1; k <= 3 && k <= n; k++) {
      const b = buf[n - k]!;
      if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
      if (b < 0xc0) return n; // ASCII
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return k < need ? n - k : n;
    }
    return n;
  }
  const even = n & ~1;
  if (even < 2) return even;
  const unit = label === 'utf-16le' ? buf[even - 2]! | (buf[even - 1]! << 8) : (buf[even - 2]! << 8) | buf[even - 1]!;
  return unit >= 0xd800 && unit <= 0xdbff ? even - 2 : even;
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

function countLineFeeds(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** A decode failure: the error, and how many bytes of the piece (whole lines) decoded fine before it. */
interface BadBytes {
  error: ContentError;
  validBytes: number;
}

/**
 * Locates the first bad code unit of a UTF-16 piece (whole code units, starting at file byte
 * `offset`, with `newlines` line feeds before it): an unpaired surrogate, or an odd last byte.
 */
function invalidUtf16(label: Label, piece: Buffer, offset: number, newlines: number): BadBytes {
  const le = label === 'utf-16le';
  const unit = (i: number) => (le ? piece[i]! | (piece[i + 1]! << 8) : (piece[i]! << 8) | piece[i + 1]!);
  let lines = 0;
  let lineStart = 0;
  let bad = piece.length & ~1; // no bad unit found: the odd last byte is the fault
  for (let i = 0; i + 1 < piece.length; i += 2) {
    const u = unit(i);
    if (u === 0x0a) {
      lines++;
      lineStart = i + 2;
    } else if (u === 0x0d) lineStart = i + 2;
    else if (u >= 0xd800 && u <= 0xdbff) {
      const next = i + 3 < piece.length ? unit(i + 2) : -1;
      if (next < 0xdc00 || next > 0xdfff) {
        bad = i;
        break;
      }
      i += 2;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      bad = i;
      break;
    }
  }
  const line = newlines + lines + 1;
  const at = offset + bad;
  const cutOff = bad >= piece.length - 2;
  const what = bad >= (piece.length & ~1)
    ? 'the file ends with an odd number of bytes'
    : `an unpaired surrogate (0x${unit(bad).toString(16).toUpperCase()})${cutOff ? ' at the very end of the file' : ''}`;
  const error = new ContentError('ENCODING_INVALID', `invalid ${NAMES[label]} at line ${line}, byte offset ${at}: ${what}`, {
    line,
    hint: cutOff
      ? 'the file looks cut off in the middle of a character: ask the sender for the complete file'
      : 'the file is damaged or not UTF-16: ask the sender for the file again, and which character set it is in',
  });
  return { error, validBytes: lineStart };
}

/**
 * Bytes that windows-1252 leaves undefined: a file with them is not windows-1252 either.
 * https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT
 */
const NOT_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** What to try after invalid UTF-8: only encodings the bytes can be in. */
function utf8Hint(bad: number | undefined, first: Buffer): string {
  const utf16 = utf16Without(first);
  if (utf16) return `the file looks like UTF-16 without a byte order mark: set encoding: ${utf16} in the mapping`;
  if (bad !== undefined && NOT_1252.has(bad)) {
    return `byte 0x${bad.toString(16).toUpperCase()} is not a character in windows-1252 either: ask the sender which character set the file is in (UTF-8 is best)`;
  }
  return 'if the file comes from Windows or an old system, set encoding: windows-1252 (or latin1) in the mapping';
}

/** Locates the first invalid UTF-8 sequence of a piece of whole characters (see invalidUtf16). */
function invalidUtf8(piece: Buffer, offset: number, newlines: number, first: Buffer): BadBytes {
  const found = firstInvalidUtf8(piece, true);
  const bad = found === -1 ? piece.length : found;
  const line = newlines + countNewlines(piece.subarray(0, bad)) + 1;
  const lineStart = bad === 0 ? 0 : Math.max(piece.lastIndexOf(10, bad - 1), piece.lastIndexOf(13, bad - 1)) + 1;
  const badByte = bad < piece.length ? piece[bad]! : undefined;
  const byte = badByte !== undefined ? ` (byte 0x${badByte.toString(16).toUpperCase().padStart(2, '0')})` : '';
  // A lead byte whose sequence runs past the end: the file was cut in the middle of a character.
  const cutOff = badByte !== undefined && badByte >= 0xc2 && badByte <= 0xf4 && firstInvalidUtf8(piece.subarray(bad), false) === -1;
  const error = new ContentError('ENCODING_INVALID', `invalid UTF-8 at line ${line}, byte offset ${offset + bad}${byte}${cutOff ? ': the file ends in the middle of a character' : ''}`, {
    line,
    hint: cutOff ? 'the file looks cut off: ask the sender for the complete file' : utf8Hint(badByte, first),
  });
  return { error, validBytes: lineStart };
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
