import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../transports/folder/atomic.js';
import { NAME_MAX, shortenName } from '../transports/names.js';
import type { FileBatchEnds } from './batch.js';
import { archive } from './archive.js';

/**
 * Puts a bad file into a quarantine folder next to its error report `<name>.errors.json`.
 * `from` is a local file (`move` renames it, same file system; otherwise it is copied, e.g. a staged
 * SFTP download) or the bytes themselves (an API page held in memory, written atomically). An
 * existing quarantined file of the same name is never overwritten: the new one gets a numbered name
 * instead.
 */
export async function writeQuarantine(
  dir: string,
  name: string,
  from: string | Buffer,
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
  if (typeof from !== 'string') {
    await writeFileAtomic(target, from);
  } else if (move) {
    try {
      await fs.rename(from, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await fs.copyFile(from, target);
      await fs.unlink(from);
    }
  } else {
    await fs.copyFile(from, target);
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

/**
 * The ack and nack of a quarantined copy read again by `wharf retry`: imported (or a duplicate) means
 * done, so the copy goes to `archiveDir/<day>/` (deleted when `archiveDir` is undefined) and its report
 * `<copy>.errors.json` is removed; quarantined again means the report is rewritten in place next to
 * the same copy. A nack leaves both as they are. `archivedAs()` tells where the copy went.
 */
export function quarantinedCopyEnds(copyPath: string, name: string, archiveDir: string | undefined): FileBatchEnds & { archivedAs(): string | undefined } {
  const reportPath = `${copyPath}.errors.json`;
  let archivedAs: string | undefined;
  return {
    async ack(outcome) {
      if (outcome.outcome === 'quarantined') {
        await writeFileAtomic(reportPath, Buffer.from(outcome.reportJson));
        return { movedTo: copyPath, reportPath };
      }
      archivedAs = archiveDir ? await archive(archiveDir, copyPath, name) : undefined;
      if (!archivedAs) await fs.rm(copyPath, { force: true });
      await fs.rm(reportPath, { force: true });
      return archivedAs ? { movedTo: archivedAs } : {};
    },
    async nack() {},
    archivedAs: () => archivedAs,
  };
}
