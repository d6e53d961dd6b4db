import type { Writable } from 'node:stream';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { WharfError } from '../../errors.js';
import { isStaleTempName, tempNameFor } from '../names.js';

/**
 * Writes a file atomically: a temporary dot-name in the same folder (within NAME_MAX bytes, see tempNameFor), fsync, rename, fsync of the
 * folder. A reader never sees a half-written file, and a crash leaves at worst a stray dot-file.
 * `syncFolder: false` leaves the folder's fsync to the caller (`syncDir`, once for many files): the
 * file is complete and durable when it becomes visible; its name is durable only after that fsync.
 */
export async function writeFileAtomic(target: string, data: Buffer, options: { syncFolder?: boolean } = {}): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, tempNameFor(path.basename(target), tempUnique()));
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  if (options.syncFolder !== false) await syncDir(dir);
}

/** Random once per process; with the host and pid in the name and a counter, no two temp names meet. */
const PROCESS_RANDOM = randomBytes(4).toString('hex');
let tempSeq = 0;

/**
 * The `random` part of a temporary name (tempNameFor): 8 hex digits drawn once per process (a later
 * process with the same pid does not meet a temp file a killed one left) and a counter (up to 8 hex
 * digits), instead of drawing random bytes for every file written.
 */
function tempUnique(): string {
  tempSeq = (tempSeq + 1) % 0x1_0000_0000;
  return `${PROCESS_RANDOM}${tempSeq.toString(16)}`;
}

/** fsync of a folder: makes the renames into it durable. A file system that refuses it is let be. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}

/**
 * Deterministic, idempotent delivery of one output file: identical existing bytes are fine,
 * different existing bytes are a conflict and are never overwritten (DESIGN rule 4).
 */
export async function deliverFile(target: string, data: Buffer, options: { syncFolder?: boolean } = {}): Promise<'written' | 'unchanged'> {
  let existing: Buffer | undefined;
  try {
    existing = await fs.readFile(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing) {
    if (existing.equals(data)) return 'unchanged';
    throw new WharfError('DELIVERY_CONFLICT', `a different file named ${path.basename(target)} already exists`, {
      where: target,
      hint: 'the warehouse has not picked up (or changed) an earlier file of that name; move it away, then `wharf retry`',
    });
  }
  try {
    await writeFileAtomic(target, data, options);
  } catch (err) {
    // The folder is made only when it is missing, not before every file.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, data, options);
  }
  return 'written';
}

/**
 * The streaming form of `deliverFile`, for outputs too large to hold in memory: `produce` writes
 * into a temporary dot-file, which is fsynced and then renamed into place; an existing file of that
 * name must have identical bytes (compared by hash, streamed), else it is a conflict.
 */
export async function deliverStream(target: string, produce: (out: Writable) => Promise<void>): Promise<'written' | 'unchanged'> {
  const dir = path.dirname(target);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, tempNameFor(path.basename(target), tempUnique()));
  const out = createWriteStream(tmp, { flags: 'wx' });
  try {
    await produce(out);
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const handle = await fs.open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (await fs.lstat(target).then(() => true, () => false)) {
      const [a, b] = await Promise.all([hashFile(tmp), hashFile(target)]);
      await fs.rm(tmp, { force: true });
      if (a === b) return 'unchanged';
      throw new WharfError('DELIVERY_CONFLICT', `a different file named ${path.basename(target)} already exists`, {
        where: target,
        hint: 'the warehouse has not picked up (or changed) an earlier file of that name; move it away, then `wharf retry`',
      });
    }
    await fs.rename(tmp, target);
    await syncDir(dir);
    return 'written';
  } catch (err) {
    out.destroy();
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Removes the temporary files of Wharf's own naming in `dir` that no writer will finish
 * (isStaleTempName: their process on this host is gone, or they are older than a day) — what a
 * `kill -9` during a write leaves. Other files, a merchant's dot-files included, are never touched;
 * folders and links are skipped. Returns the names removed; a missing folder has none.
 */
export async function removeStaleTemps(dir: string, nowMs = Date.now()): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !e.name.startsWith('.')) continue;
    const file = path.join(dir, e.name);
    const st = await fs.lstat(file).catch(() => undefined);
    if (!st?.isFile() || !isStaleTempName(e.name, st.mtimeMs, nowMs)) continue;
    await fs.rm(file, { force: true });
    removed.push(e.name);
  }
  return removed;
}
