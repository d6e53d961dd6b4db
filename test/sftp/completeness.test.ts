/**
 * Files an SFTP channel does not take are never skipped silently (issue 7, item 8), one bad file never
 * holds up the channel, and a file committed just before a dropped connection is finished, not re-read.
 * Real OpenSSH sshd; listings as ssh2 hands them out.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { MemoryNoticeBoard } from '../../src/sources/notices.js';
import { interpretEntry, resolveEntry, typeFromLongname } from '../../src/sources/sftp/listing.js';
import { SftpConnection } from '../../src/transports/sftp/connection.js';
import { resolveSftpSource } from '../../src/transports/sftp/config.js';
import { fileOwnFailure } from '../../src/sources/sftp/staging.js';
import { fitName } from '../../src/sources/quarantine.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { channelConfig, freshDir, listDir, makeSource, pollUntil, readAll, tempDir } from './fixture.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.cleanup();
});

function connection(): SftpConnection {
  return new SftpConnection({ settings: resolveSftpSource(channelConfig(sshd), 'test'), logger: silentLogger() });
}

describe('SFTP listings without file-type bits', () => {
  it('reads the type from the longname, then from stat/opendir, never mistaking a folder for a file', async () => {
    const dir = await freshDir(sshd, 'typebits');
    await fs.writeFile(path.join(dir, 'a.csv'), 'id\n1\n');
    await fs.mkdir(path.join(dir, 'folder.csv'));
    const conn = connection();
    try {
      const entries = await conn.readdir(dir);
      // What a Windows or appliance server sends: permission bits without S_IFMT. The ssh2 Stats
      // methods then say "neither a file nor a directory" (which the source trusted before).
      const stripped = entries.map((e) => ({ ...e, attrs: Object.assign(Object.create(Object.getPrototypeOf(e.attrs) as object) as typeof e.attrs, e.attrs, { mode: e.attrs.mode & 0o7777 }) }));
      const file = stripped.find((e) => e.filename === 'a.csv')!;
      const folder = stripped.find((e) => e.filename === 'folder.csv')!;
      expect(file.attrs.isFile()).toBe(false);
      expect(folder.attrs.isDirectory()).toBe(false);
      expect(interpretEntry(file)).toBe('file');
      expect(interpretEntry(folder)).toBe('directory');
      // No longname either (some servers send the bare name): the server is asked.
      const bare = (e: (typeof stripped)[number]) => ({ ...e, longname: e.filename });
      expect(interpretEntry(bare(file))).toBe('unknown');
      const rootReal = () => conn.realpath(dir);
      expect(await resolveEntry(conn, dir, rootReal, bare(file))).toMatchObject({ type: 'file', size: 5 });
      expect((await resolveEntry(conn, dir, rootReal, bare(folder))).type).toBe('directory');
    } finally {
      await conn.close();
    }
    expect(typeFromLongname('-rw-r--r--   1 ftp ftp  12 Nov 29 10:00 a.csv')).toBe('file');
    expect(typeFromLongname('drwxr-xr-x   1 ftp ftp   0 Nov 29 10:00 sub')).toBe('directory');
    expect(typeFromLongname('lrwxrwxrwx   1 ftp ftp   9 Nov 29 10:00 l.csv -> a.csv')).toBe('symlink');
    expect(typeFromLongname('11-29-26  10:00AM  12 a.csv')).toBe('unknown'); // IIS-style listing
  });
});

describe('SftpSource: nothing skipped silently', () => {
  it('follows a symlink to a file inside the folder; reports a link outside, a pipe and an unmatched file once each', async () => {
    const dir = await freshDir(sshd, 'links');
    const outside = await tempDir('wharf-outside-');
    await fs.mkdir(path.join(dir, 'store'));
    await fs.writeFile(path.join(dir, 'store', 'target.csv'), 'id,qty\n7,1\n');
    await fs.symlink(path.join(dir, 'store', 'target.csv'), path.join(dir, 'linked.csv'));
    await fs.writeFile(path.join(outside, 'secret.csv'), 'not yours\n');
    await fs.symlink(path.join(outside, 'secret.csv'), path.join(dir, 'escape.csv'));
    await fs.writeFile(path.join(dir, 'notes.txt'), 'no rule matches');
    const notices = new MemoryNoticeBoard();
    const { source } = await makeSource(sshd, { paths: [dir] }, { notices });
    await source.open();
    try {
      const files = await pollUntil(source, 1);
      expect(files.map((f) => f.name)).toEqual(['linked.csv']);
      expect((await readAll(files[0]!)).toString()).toBe('id,qty\n7,1\n');
      const byFile = new Map([...notices.notices.values()].map((n) => [path.basename(n.file), n]));
      expect([...byFile.keys()].sort()).toEqual(['escape.csv', 'notes.txt']);
      expect(byFile.get('escape.csv')).toMatchObject({ kind: 'skipped', message: expect.stringMatching(/symbolic link to .*outside the channel's folder/) });
      expect(byFile.get('notes.txt')!.message).toMatch(/no `files` pattern .*matches notes\.txt/);
      // Reported once: another look adds nothing new.
      expect(await notices.sync(['skipped'], [...notices.notices.values()])).toEqual([]);
      await source.settle(files[0]!, { outcome: 'imported' });
      // The archive holds the bytes that were imported, not the link; the link's target stays.
      const archived = path.join(dir, 'archive', 'linked.csv');
      expect((await fs.lstat(archived)).isFile()).toBe(true);
      expect(await fs.readFile(archived, 'utf8')).toBe('id,qty\n7,1\n');
      expect(await fs.lstat(path.join(dir, 'linked.csv')).catch(() => 'gone')).toBe('gone');
      expect(await fs.readFile(path.join(dir, 'store', 'target.csv'), 'utf8')).toBe('id,qty\n7,1\n');
      expect((await fs.readdir(path.join(dir, 'archive'))).filter((n) => n.startsWith('.'))).toEqual([]);
      // The file is gone: its notice goes too.
      await fs.rm(path.join(dir, 'notes.txt'));
      await source.poll();
      expect([...notices.notices.values()].map((n) => path.basename(n.file))).toEqual(['escape.csv']);
    } finally {
      await source.close();
    }
  });
});

describe('SFTP names that are not valid UTF-8', () => {
  it('are reported (ssh2 hands them out with U+FFFD, a name that opens nothing), never skipped silently', async () => {
    const dir = await freshDir(sshd, 'latin1');
    await fs.writeFile(Buffer.concat([Buffer.from(`${dir}/lat`), Buffer.from([0xe9]), Buffer.from('.csv')]), 'id,qty\n1,1\n');
    await fs.writeFile(path.join(dir, 'good.csv'), 'id,qty\n2,1\n');
    const notices = new MemoryNoticeBoard();
    const { source } = await makeSource(sshd, { paths: [dir] }, { notices });
    await source.open();
    try {
      const files = await pollUntil(source, 1);
      expect(files.map((f) => f.name)).toEqual(['good.csv']);
      const all = [...notices.notices.values()];
      expect(all).toHaveLength(1);
      expect(all[0]!.file).toBe(`${dir}/lat\uFFFD.csv`);
      expect(all[0]!.message).toMatch(/not valid UTF-8 .*rename the file .*on the server/);
    } finally {
      await source.close();
    }
  });
});

describe('SFTP folders and done-files', () => {
  it('reports a folder a pattern names (not recursive) and a done-file without its data file', async () => {
    const dir = await freshDir(sshd, 'odd-entries');
    await fs.mkdir(path.join(dir, 'dir.csv'));
    await fs.mkdir(path.join(dir, 'archive'));
    await fs.writeFile(path.join(dir, 'lonely.csv.done'), '');
    await fs.writeFile(path.join(dir, 'good.csv'), 'id,qty\n2,1\n');
    await fs.writeFile(path.join(dir, 'good.csv.done'), '');
    const notices = new MemoryNoticeBoard();
    const { source } = await makeSource(sshd, { paths: [dir], doneFiles: true }, { notices });
    await source.open();
    try {
      const files = await pollUntil(source, 1);
      expect(files.map((f) => f.name)).toEqual(['good.csv']);
      const byFile = new Map([...notices.notices.values()].map((n) => [path.basename(n.file), n.message]));
      expect([...byFile.keys()].sort()).toEqual(['dir.csv', 'lonely.csv.done']);
      expect(byFile.get('dir.csv')).toMatch(/folder, not a regular file/);
      expect(byFile.get('lonely.csv.done')).toMatch(/done-file without its data file/);
    } finally {
      await source.close();
    }
  });
});

describe('SftpSource: one bad file never holds up the channel', () => {
  it('stages a name near the 255-byte limit (the staging name is never longer than the name)', async () => {
    const dir = await freshDir(sshd, 'longname');
    const long = `${'o'.repeat(246)}.csv`; // 250 bytes: legal on the server
    await fs.writeFile(path.join(dir, long), 'id,qty\n1,1\n');
    await fs.writeFile(path.join(dir, 'good.csv'), 'id,qty\n2,2\n');
    const { source, staging } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      const files = await pollUntil(source, 2);
      expect(files.map((f) => f.name).sort()).toEqual(['good.csv', long]);
      for (const f of files) expect(Buffer.byteLength(path.basename(f.localPath))).toBeLessThanOrEqual(Buffer.byteLength(f.name));
      for (const f of files) await source.settle(f, { outcome: 'imported' });
      expect(await listDir(staging)).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('a file the server refuses to hand out is refused alone; the rest of the channel goes on without back-off', async (ctx) => {
    // Needs a non-root login: root reads everything. Uses the password test account when available.
    const { passwordUser } = await import('../helpers/sshd.js');
    const user = await passwordUser();
    if (!user) return ctx.skip();
    const dir = await freshDir(sshd, 'refused');
    await fs.chmod(dir, 0o777);
    await fs.writeFile(path.join(dir, 'secret.csv'), 'id,qty\n1,1\n', { mode: 0o600 });
    await fs.writeFile(path.join(dir, 'good.csv'), 'id,qty\n2,2\n', { mode: 0o644 });
    const notices = new MemoryNoticeBoard();
    const { source } = await makeSource(sshd, { paths: [dir], username: user.username, password: user.password, privateKey: undefined, afterImport: 'keep' }, { notices });
    await source.open();
    try {
      const files = await pollUntil(source, 1);
      expect(files.map((f) => f.name)).toEqual(['good.csv']);
      await source.settle(files[0]!, { outcome: 'imported' });
      const [n] = [...notices.notices.values()];
      expect(n).toMatchObject({ kind: 'refused', file: path.join(dir, 'secret.csv'), message: expect.stringMatching(/refuses to hand it out: .*permission denied/) });
      // Later looks neither throw (no channel back-off) nor wait for it.
      expect(await source.poll()).toEqual([]);
      expect(source.pending).toBe(0);
      await fs.writeFile(path.join(dir, 'later.csv'), 'id,qty\n3,3\n', { mode: 0o644 });
      expect((await pollUntil(source, 1)).map((f) => f.name)).toEqual(['later.csv']);
    } finally {
      await source.close();
    }
  });

  it("tells a file's own failure (refused alone) from the connection's (the channel backs off)", () => {
    const tooLong = Object.assign(new Error('ENAMETOOLONG: name too long'), { code: 'ENAMETOOLONG' });
    expect(fileOwnFailure(new Error('downloading: failed', { cause: tooLong }))).toMatch(/too long for the local file system/);
    expect(fileOwnFailure(Object.assign(new Error('Permission denied'), { code: 3 }))).toMatch(/refuses to hand it out/);
    expect(fileOwnFailure(new Error('connection lost'))).toBeUndefined();
    expect(fileOwnFailure(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
  });

  it('quarantine names are cut to fit the file system, keeping the extension and telling names apart', () => {
    const a = fitName(`${'x'.repeat(300)}a.csv`);
    const b = fitName(`${'x'.repeat(300)}b.csv`);
    expect(Buffer.byteLength(`${a}.99.errors.json`)).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(a.endsWith('.csv')).toBe(true);
    expect(fitName('orders.csv')).toBe('orders.csv');
    expect(Buffer.byteLength(fitName('é'.repeat(200)))).toBeLessThanOrEqual(235);
  });
});

describe('SftpSource: the connection drops between the ledger commit and the archive step', () => {
  it('the next poll finishes the archive step without offering the file again', async () => {
    const dir = await freshDir(sshd, 'commitdrop');
    await fs.writeFile(path.join(dir, 'a.csv'), 'id,qty\n1,2\n');
    const { source, seen } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      const [file] = await pollUntil(source, 1);
      await sshd.kill();
      // The ledger has committed; the move fails with the connection: settle must not fail the file.
      expect(await source.settle(file!, { outcome: 'imported' })).toEqual({});
      expect([...seen.keys].some((k) => k.startsWith('settled:archive:'))).toBe(true);
      await sshd.restart();
      const deadline = Date.now() + 10_000;
      while (!(await listDir(path.join(dir, 'archive'))).includes('a.csv')) {
        expect(await source.poll().catch(() => [])).toEqual([]); // never offered again as new
        if (Date.now() > deadline) throw new Error('the archive step was not finished');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await listDir(dir)).toEqual(['archive']);
      expect([...seen.keys]).toEqual([]);
    } finally {
      await source.close();
    }
  });
});

describe('SftpSource: a move after the commit that keeps failing', () => {
  it('is listed as a cleanup-failed notice until a later poll moves the file', async () => {
    const dir = await freshDir(sshd, 'stuckmove');
    await fs.writeFile(path.join(dir, 'archive'), 'a file where the archive folder should be');
    await fs.writeFile(path.join(dir, 'b.csv'), 'id,qty\n1,2\n');
    const notices = new MemoryNoticeBoard();
    const { source } = await makeSource(sshd, { paths: [dir], files: [{ pattern: '*.csv', mapping: 'test-orders-csv' }] }, { notices });
    await source.open();
    try {
      const [file] = await pollUntil(source, 1);
      expect(await source.settle(file!, { outcome: 'imported' })).toEqual({});
      const stuck = [...notices.notices.values()].filter((n) => n.kind === 'cleanup-failed');
      expect(stuck).toHaveLength(1);
      expect(stuck[0]!.file).toBe(path.join(dir, 'b.csv'));
      expect(stuck[0]!.message).toMatch(/settled in the ledger, but moving it to archive on the server fails/);
      await fs.rm(path.join(dir, 'archive'));
      const deadline = Date.now() + 10_000;
      while (!(await listDir(path.join(dir, 'archive')).catch(() => [])).includes('b.csv')) {
        expect(await source.poll()).toEqual([]);
        if (Date.now() > deadline) throw new Error('the archive step was not finished');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect([...notices.notices.values()].filter((n) => n.kind === 'cleanup-failed')).toEqual([]);
    } finally {
      await source.close();
    }
  });
});
