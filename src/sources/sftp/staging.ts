import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeError } from '../../errors.js';
import { writeFileAtomic } from '../../transports/folder/atomic.js';
import { fitName } from '../quarantine.js';
import { sftpStatusOf } from '../../transports/sftp/connection.js';

/**
 * The local side of an SFTP channel: staged downloads (each under its own name in a folder of its own)
 * and the quarantine reports of files Wharf holds no copy of, plus the rule that tells a file's own
 * failure from the connection's.
 */

/** `<16 hex>/` (a staged file's folder), `<16 hex>-<name>` (staged by older versions) and `.<16 hex>.part` (downloading). */
export const STAGED_NAME = /^(?:[0-9a-f]{16}|[0-9a-f]{16}-.+|\.[0-9a-f]{16}\.part)$/;

/** Removes a staged copy and its own folder. */
export async function removeStaged(stagedPath: string): Promise<void> {
  await fs.rm(path.dirname(stagedPath), { force: true, recursive: true });
}

/** Local errors that belong to one file (its name or its own permissions), never to the channel. */
const FILE_OWN_ERRNOS = new Set(['ENAMETOOLONG', 'EACCES', 'EPERM', 'EISDIR', 'EILSEQ', 'EINVAL', 'ENOTDIR']);

/**
 * Why a failed download is this file's own fault (the server refused this file, or the local copy
 * cannot be made under its name), in plain words; undefined when the connection or the machine is to
 * blame and the whole channel should back off.
 */
export function fileOwnFailure(err: unknown): string | undefined {
  const status = sftpStatusOf(err);
  if (status !== undefined) return `the server refuses to hand it out: ${describeError(err)}; check the file's permissions on the server`;
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && FILE_OWN_ERRNOS.has(code)) {
      return code === 'ENAMETOOLONG'
        ? 'its name is too long for the local file system (over 255 bytes); rename it on the server'
        : `it cannot be staged locally (${code}: ${(e as Error).message}); check the staging folder and the file name`;
    }
  }
  return undefined;
}

/** The report of a file we hold no copy of (too large to download), under a name not yet taken. */
export async function writeReportOnly(dir: string, name: string, reportJson: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  name = fitName(name);
  for (let n = 0; ; n++) {
    const base = path.join(dir, n === 0 ? name : `${name}.${n}`);
    const report = `${base}.errors.json`;
    const taken = await Promise.all([base, report].map((p) => fs.lstat(p).then(() => true, () => false)));
    if (taken.some(Boolean)) continue;
    await writeFileAtomic(report, Buffer.from(reportJson));
    return report;
  }
}
