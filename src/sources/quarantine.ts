import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../transports/folder/atomic.js';
import { NAME_MAX, shortenName } from '../transports/names.js';

/**
 * Puts a bad file into a quarantine folder next to its error report `<name>.errors.json`.
 * `move` renames the original (same file system); otherwise it is copied (e.g. a staged SFTP
 * download). An existing quarantined file of the same name is never overwritten: the new one gets
 * a numbered name instead.
 */
export async function writeQuarantine(
  dir: string,
  name: string,
  fromPath: string,
  reportJson: string,
  move: boolean,
): Promise<{ filePath: string; reportPath: string }> {
  await fs.mkdir(dir, { recursive: true });
  name = fitName(name);
  let target = path.join(dir, name);
  for (let n = 1; await exists(target); n++) target = path.join(dir, `${name}.${n}`);
  // The report first: a quarantined file without its report would be a silent failure.
  const reportPath = `${target}.errors.json`;
  await writeFileAtomic(reportPath, Buffer.from(reportJson));
  if (move) {
    try {
      await fs.rename(fromPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await fs.copyFile(fromPath, target);
      await fs.unlink(fromPath);
    }
  } else {
    await fs.copyFile(fromPath, target);
  }
  return { filePath: target, reportPath };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Room kept for `.<n>` and `.errors.json` after a quarantined name (`retry` finds the report as `<file>.errors.json`). */
const SUFFIX_ROOM = 20;

/**
 * `name`, or when it would not fit NAME_MAX bytes with the suffixes a quarantined file gets, its
 * first part cut at a character boundary plus a short hash of the whole name and its extension, so
 * that names which differ only past the cut still differ. The report keeps the original name.
 */
export function fitName(name: string): string {
  return shortenName(name, NAME_MAX - SUFFIX_ROOM);
}
