/** The archive folder of imported files: a day folder per date, never overwriting a name already there. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../transports/folder/atomic.js';
import { nameWithSuffix } from '../transports/names.js';

/**
 * Copies the bytes `from` leads to (a symbolic link's target) into the archive under `name`, written
 * atomically (temporary dot-name, fsync, rename), then removes `from` itself (the link, not its target).
 */
export async function archiveCopy(dir: string, from: string, name: string): Promise<string> {
  const bytes = await fs.readFile(from);
  const target = await intoArchive(dir, name, (to) => writeFileAtomic(to, bytes));
  await fs.rm(from, { force: true });
  return target;
}

/** Day folders this process has made (or found): made once, not at every file. */
const madeDays = new Set<string>();

/**
 * Where `name` goes in today's archive folder: a name already taken there gets a number (`.1`, `.2`,
 * ...; a name too long for that is shortened with a hash, see nameWithSuffix).
 */
async function freeArchiveName(dir: string, name: string): Promise<string> {
  const day = path.join(dir, new Date().toISOString().slice(0, 10));
  if (!madeDays.has(day)) {
    await fs.mkdir(day, { recursive: true });
    madeDays.add(day);
  }
  let target = path.join(day, name);
  for (let n = 1; await fs.lstat(target).then(() => true, () => false); n++) target = path.join(day, nameWithSuffix(name, `.${n}`));
  return target;
}

/** Moves a file into the archive under a day folder (see freeArchiveName). */
export async function archive(dir: string, from: string, name: string): Promise<string> {
  return intoArchive(dir, name, (to) => fs.rename(from, to));
}

/** `put` to a free archive name; when the day folder was removed since it was made, made again and tried once more. */
async function intoArchive(dir: string, name: string, put: (target: string) => Promise<void>): Promise<string> {
  const target = await freeArchiveName(dir, name);
  try {
    await put(target);
    return target;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // The day folder is gone (or the source is: then this fails the same way again).
    madeDays.delete(path.dirname(target));
    const again = await freeArchiveName(dir, name);
    await put(again);
    return again;
  }
}
