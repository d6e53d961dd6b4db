import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ContentError } from '../errors.js';

/**
 * Remote and dropped file names are never trusted as paths (DESIGN rule 10). A name is accepted only
 * when it is a plain base name: not `.` or `..`, no separators, no NUL or other control characters.
 * Two dots inside a name (`a..b.csv`) are no path: without a separator they cannot leave the folder.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (Buffer.byteLength(name) > NAME_MAX) return `the name is longer than ${NAME_MAX} bytes`;
  if (name === '.' || name === '..') return 'the name is a directory reference';
  if (name.includes('/') || name.includes('\\')) return 'the name contains a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name contains control characters';
  return undefined;
}

export function assertSafeName(name: string, where: string): void {
  const reason = unsafeNameReason(name);
  if (reason) {
    throw new ContentError('UNSAFE_NAME', `refusing file name ${JSON.stringify(name)}: ${reason}`, {
      where,
      hint: 'rename the file to a plain name (letters, digits, dot, dash, underscore) and drop it again',
    });
  }
}

/** Files a source never takes: dotfiles (temporary uploads), *.tmp, *.part, and error reports. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.tmp') || name.endsWith('.part') || name.endsWith('.errors.json');
}

/** Turns any identifier into a safe file-name fragment; appends a short hash when it had to change it. */
export function fileNameFragment(id: string, hash: (s: string) => string): string {
  const cleaned = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.{2,}/g, '_').replace(/^[.]/, '_');
  return cleaned === id ? cleaned : `${cleaned.slice(0, 80)}-${hash(id).slice(0, 8)}`;
}

/**
 * Bytes a file-name component may have on common file systems (ext4, XFS, btrfs: 255 bytes; APFS and
 * NTFS: 255 UTF-16 units, which a 255-byte UTF-8 name never exceeds).
 * https://man7.org/linux/man-pages/man3/pathconf.3.html (NAME_MAX)
 */
export const NAME_MAX = 255;

/**
 * `name` cut so that it has at most `maxBytes` UTF-8 bytes: unchanged when it fits; otherwise its
 * first characters (cut at a character boundary), `~` and 8 hex digits of the sha256 of the whole
 * name, and its extension (`.csv`, up to 10 letters/digits), so that names which differ only past the
 * cut still differ and the file keeps its type. `maxBytes` must leave room for the tag (at least 30).
 */
export function shortenName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0] ?? '';
  const tag = `~${createHash('sha256').update(name).digest('hex').slice(0, 8)}${ext}`;
  let head = '';
  let bytes = 0;
  for (const ch of name.slice(0, name.length - ext.length)) {
    const b = Buffer.byteLength(ch);
    if (bytes + b + tag.length > maxBytes) break;
    head += ch;
    bytes += b;
  }
  return head + tag;
}

/**
 * A name derived from a merchant's name by appending `suffix` (`.1`, `.errors.json`, ...) that stays
 * within NAME_MAX bytes: `name + suffix` when it fits, else `shortenName(name) + suffix`.
 */
export function nameWithSuffix(name: string, suffix: string): string {
  return shortenName(name, NAME_MAX - Buffer.byteLength(suffix)) + suffix;
}

/** This host in temporary names: 8 hex digits of the sha256 of its host name. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/**
 * The temporary dot-name an atomic writer uses next to `name`:
 * `.<name>.wharf-<host>-<pid>-<random>.tmp`, within NAME_MAX bytes however long `name` is. `random`
 * is a short hex string. The host tag and process id let a later writer prove that the file was
 * left by a process that is gone (isStaleTempName).
 */
export function tempNameFor(name: string, random: string): string {
  const suffix = `.wharf-${HOST_TAG}-${process.pid}-${random}.tmp`;
  return `.${shortenName(name, NAME_MAX - 1 - Buffer.byteLength(suffix))}${suffix}`;
}

/** Our temporary names (tempNameFor), and nothing a merchant or another program names its files. */
const OUR_TEMP = /^\..+\.wharf-([0-9a-f]{8})-([0-9]{1,10})-[0-9a-f]{1,16}\.tmp$/;

/**
 * A temporary file left older than this is stale whoever wrote it: a writer streams into it, so its
 * modification time moves while the write lasts; a day leaves room for clock skew with an SFTP server.
 */
export const STALE_TEMP_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the file `name` (last modified at `mtimeMs`) is a temporary file of Wharf's own that no
 * writer will finish: a name of tempNameFor's form, and either written by a process of this host
 * that no longer runs (a killed `wharf sync` or daemon) or not written for STALE_TEMP_AGE_MS.
 * Any other name is never stale: a merchant's or another program's files are not ours to remove.
 */
export function isStaleTempName(name: string, mtimeMs: number, nowMs = Date.now()): boolean {
  const m = OUR_TEMP.exec(name);
  if (!m) return false;
  if (nowMs - mtimeMs > STALE_TEMP_AGE_MS) return true;
  const pid = Number(m[2]);
  return m[1] === HOST_TAG && pid !== process.pid && !processRuns(pid);
}

/** Whether a process with this id runs on this host (EPERM: it runs, as another user). */
function processRuns(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A file name as a readable string, also when its bytes are not valid UTF-8: such bytes are shown
 * as `\xNN` (e.g. `lat\xe9.csv` for a Latin-1 é). Returns `valid: false` for those names.
 */
export function describeRawName(raw: Buffer): { text: string; valid: boolean } {
  const text = raw.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(raw)) return { text, valid: true };
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const len = utf8SequenceLength(raw, i);
    if (len > 0) {
      out += raw.subarray(i, i + len).toString('utf8');
      i += len;
    } else {
      out += `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return { text: out, valid: false };
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there does not start one. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > b.length) return 0;
  const piece = b.subarray(i, i + len);
  return Buffer.from(piece.toString('utf8'), 'utf8').equals(piece) ? len : 0;
}

/**
 * Why an SFTP name cannot be addressed: ssh2 decodes the names of a listing as UTF-8 and puts U+FFFD
 * in place of bytes that are not (node_modules/ssh2/lib/protocol/SFTP.js, `readString(true)`), so such
 * a name no longer names the file on the server. Undefined for a usable name.
 */
export function undecodableRemoteName(name: string): string | undefined {
  return name.includes('\uFFFD') ? invalidUtf8Message(name).replace('bytes shown as \\xNN', 'shown with \uFFFD') : undefined;
}

/** The notice text for a name that is not valid UTF-8, with how to fix it. */
export function invalidUtf8Message(shown: string): string {
  return `the name ${shown} is not valid UTF-8 (bytes shown as \\xNN; probably written in Latin-1 or another legacy encoding), so Wharf cannot read it safely; rename the file to a UTF-8 or plain ASCII name (letters, digits, dot, dash, underscore)`;
}

/**
 * The done-file suffix a channel's `doneFiles` setting asks for: `true` is the default suffix, an
 * object may name its own; `undefined` when done-files are off.
 */
export function doneSuffixOf(doneFiles: boolean | { suffix?: string } | undefined, defaultSuffix: string): string | undefined {
  if (doneFiles === true) return defaultSuffix;
  return doneFiles ? (doneFiles.suffix ?? defaultSuffix) : undefined;
}
