import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WharfError } from '../../errors.js';

/**
 * Writes a file atomically: a temporary dot-name in the same folder, fsync, rename, fsync of the
 * folder. A reader never sees a half-written file, and a crash leaves at worst a stray dot-file.
 */
export async function writeFileAtomic(target: string, data: Buffer): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
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
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
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
export async function deliverFile(target: string, data: Buffer): Promise<'written' | 'unchanged'> {
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
  await fs.mkdir(path.dirname(target), { recursive: true });
  await writeFileAtomic(target, data);
  return 'written';
}
