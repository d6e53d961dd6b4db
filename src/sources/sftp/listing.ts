import path from 'node:path';
import type { SftpConnection } from '../../transports/sftp/connection.js';

/**
 * What one directory entry of an SFTP listing is. The type comes from the file-type bits of
 * `attrs.permissions` (S_IFMT, draft-ietf-secsh-filexfer-02 §5, which OpenSSH always sends); some
 * Windows and appliance servers send permissions without them, so the first character of the
 * `ls -l`-style longname is the second witness, and `stat`/`opendir` on the path the third.
 * https://datatracker.ietf.org/doc/html/draft-ietf-secsh-filexfer-02#section-5
 */
export type EntryType = 'file' | 'directory' | 'symlink' | 'other' | 'unknown';

const S_IFMT = 0o170000;
const TYPE_BITS: Record<number, EntryType> = { 0o100000: 'file', 0o040000: 'directory', 0o120000: 'symlink' };

/** The type a mode says, or 'unknown' when it carries no file-type bits. */
export function typeFromMode(mode: number | undefined): EntryType {
  const bits = (mode ?? 0) & S_IFMT;
  if (bits === 0) return 'unknown';
  return TYPE_BITS[bits] ?? 'other';
}

/** The type an `ls -l`-style longname says (`-rw-r--r-- 1 …`), or 'unknown' when it says none. */
export function typeFromLongname(longname: string | undefined): EntryType {
  const m = /^([-dlcbps])[-rwxsStT]{9}/.exec(longname ?? '');
  if (!m) return 'unknown';
  return m[1] === '-' ? 'file' : m[1] === 'd' ? 'directory' : m[1] === 'l' ? 'symlink' : 'other';
}

/**
 * The type of a listing entry from what the listing itself says: mode bits first, then the longname.
 * 'unknown' means the listing does not tell; `resolveEntry` then asks the server.
 */
export function interpretEntry(entry: { filename: string; longname?: string; attrs: { mode?: number } }): EntryType {
  const byMode = typeFromMode(entry.attrs.mode);
  return byMode !== 'unknown' ? byMode : typeFromLongname(entry.longname);
}

export interface ResolvedEntry {
  name: string;
  remotePath: string;
  type: EntryType;
  /** Bytes and seconds of the file itself (for a symlink: of its target). */
  size: number;
  mtime: number;
  /** Why a symlink or an entry of unknown type is not taken, if it is not. */
  refusal?: string;
  /** A symbolic link followed to a regular file: its clean-up copies the bytes, never moves the link. */
  viaLink?: boolean;
}

/**
 * Settles what an entry is, asking the server where the listing does not say:
 * - unknown type: `stat` (its mode may carry the bits); still unknown: a directory is what `opendir`
 *   accepts, anything else is taken as a file;
 * - symlink: followed when its target is a regular file inside `root` (compared by `realpath`), which
 *   makes it a 'file' with the target's size and mtime; otherwise it gets a `refusal`.
 */
export async function resolveEntry(
  conn: SftpConnection,
  dir: string,
  rootReal: () => Promise<string>,
  entry: { filename: string; longname?: string; attrs: { mode?: number; size?: number; mtime?: number } },
): Promise<ResolvedEntry> {
  const remotePath = path.posix.join(dir, entry.filename);
  const base = { name: entry.filename, remotePath, size: entry.attrs.size ?? 0, mtime: entry.attrs.mtime ?? 0 };
  const type = interpretEntry(entry);
  if (type === 'unknown') {
    const st = await conn.statIfExists(remotePath);
    if (!st) return { ...base, type: 'other', refusal: 'it vanished or cannot be read' };
    const byStat = typeFromMode(st.mode);
    if (byStat !== 'unknown') return { ...base, size: st.size, mtime: st.mtime, type: byStat === 'symlink' ? 'file' : byStat };
    return { ...base, size: st.size, mtime: st.mtime, type: (await conn.isDirectory(remotePath, st)) ? 'directory' : 'file' };
  }
  if (type !== 'symlink') return { ...base, type };
  const target = await conn.statIfExists(remotePath);
  if (!target) return { ...base, type: 'symlink', refusal: 'it is a symbolic link whose target does not exist' };
  const targetType = typeFromMode(target.mode);
  if (targetType === 'directory') return { ...base, type: 'symlink', refusal: 'it is a symbolic link to a folder; links to folders are not followed' };
  if (targetType !== 'file' && targetType !== 'unknown') return { ...base, type: 'symlink', refusal: 'it is a symbolic link to something that is not a regular file' };
  const [real, rootPath] = await Promise.all([conn.realpath(remotePath), rootReal()]);
  if (!isInside(real, rootPath)) {
    return { ...base, type: 'symlink', refusal: `it is a symbolic link to ${real}, outside the channel's folder ${rootPath}; only links to files inside the folder are followed` };
  }
  return { ...base, type: 'file', size: target.size, mtime: target.mtime, viaLink: true };
}

function isInside(p: string, root: string): boolean {
  const r = root.endsWith('/') ? root : `${root}/`;
  return p.startsWith(r);
}
