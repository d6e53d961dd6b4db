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
  const target = await freeArchiveName(dir, name);
  await writeFileAtomic(target, await fs.readFile(from));
  await fs.rm(from, { force: true });
  return target;
}

/**
 * Where `name` goes in today's archive folder: a name already taken there gets a number (`.1`, `.2`,
 * ...; a name too long for that is shortened with a hash, see nameWithSuffix).
 */
async function freeArchiveName(dir: string, name: string): Promise<string> {
  const day = path.join(dir, new Date().toISOString().slice(0, 10));
  await fs.mkdir(day, { recursive: true });
  let target = path.join(day, name);
  for (let n = 1; await fs.lstat(target).then(() => true, () => false); n++) target = path.join(day, nameWithSuffix(name, `.${n}`));
  return target;
}

/** Moves a file into the archive under a day folder (see freeArchiveName). */
export async function archive(dir: string, from: string, name: string): Promise<string> {
  const target = await freeArchiveName(dir, name);
  await fs.rename(from, target);
  return target;
}
