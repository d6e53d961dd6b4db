/**
 * The archive folder on real files: the day folder is made once per process, and made again when it
 * was removed meanwhile (a clean-up by the operator), for a moved file and for a link's copy alike.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { archive, archiveCopy } from '../../src/sources/archive.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe('archive', () => {
  it('a day folder removed after its first use is made again; names already taken get a number', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-archive-'));
    dirs.push(root);
    const archiveDir = path.join(root, 'archive');
    const put = async (name: string, text: string) => {
      const f = path.join(root, name);
      await fs.writeFile(f, text);
      return f;
    };
    const first = await archive(archiveDir, await put('a.csv', 'one'), 'a.csv');
    expect(await fs.readFile(first, 'utf8')).toBe('one');
    const second = await archive(archiveDir, await put('a.csv', 'two'), 'a.csv');
    expect(path.basename(second)).toBe('a.csv.1');
    // Removed behind the process's back: the next move makes it again instead of failing forever.
    await fs.rm(archiveDir, { recursive: true });
    const third = await archive(archiveDir, await put('b.csv', 'three'), 'b.csv');
    expect(await fs.readFile(third, 'utf8')).toBe('three');
    await fs.rm(archiveDir, { recursive: true });
    const copied = await archiveCopy(archiveDir, await put('c.csv', 'four'), 'c.csv');
    expect(await fs.readFile(copied, 'utf8')).toBe('four');
    await expect(fs.stat(path.join(root, 'c.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
    // A source that is gone is still an error (not papered over by the retry).
    await expect(archive(archiveDir, path.join(root, 'missing.csv'), 'missing.csv')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
