import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, waitFor, type Sshd } from '../helpers/sshd.js';
import { freshDir, listDir, makeSource, pollUntil, readAll } from './fixture.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.cleanup();
});

describe('SftpSource', () => {
  it('archives into a folder removed on the server since the last move (the folder is made again)', async () => {
    const dir = await freshDir(sshd, 'archive-gone');
    await fs.writeFile(path.join(dir, 'one.csv'), 'id,qty\n1,2\n');
    const { source } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      const [first] = await pollUntil(source, 1);
      expect(await source.settle(first!, { outcome: 'imported' })).toEqual({ movedTo: path.join(dir, 'archive', 'one.csv') });
      // Someone clears the archive on the server; the source remembered that the folder exists.
      await fs.rm(path.join(dir, 'archive'), { recursive: true });
      await fs.writeFile(path.join(dir, 'two.csv'), 'id,qty\n3,4\n');
      const [second] = await pollUntil(source, 1);
      expect(await source.settle(second!, { outcome: 'imported' })).toEqual({ movedTo: path.join(dir, 'archive', 'two.csv') });
      expect(await listDir(dir)).toEqual(['archive']);
      expect(await listDir(path.join(dir, 'archive'))).toEqual(['two.csv']);
    } finally {
      await source.close();
    }
  });

  it('takes complete files, hands out their content, and archives them after settle', async () => {
    const dir = await freshDir(sshd, 'happy');
    await fs.writeFile(path.join(dir, 'a.csv'), 'id,qty\n1,2\n');
    await fs.writeFile(path.join(dir, 'b.csv'), 'id,qty\n3,4\n');
    await fs.writeFile(path.join(dir, 'skip.txt'), 'no rule matches');
    await fs.writeFile(path.join(dir, '.hidden.csv'), 'dot file');
    await fs.writeFile(path.join(dir, 'upload.csv.part'), 'partial');
    const { source } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      // Never on the first look.
      expect(await source.poll()).toEqual([]);
      const files = await pollUntil(source, 2);
      expect(files.map((f) => f.name).sort()).toEqual(['a.csv', 'b.csv']);
      const a = files.find((f) => f.name === 'a.csv')!;
      expect((await readAll(a)).toString()).toBe('id,qty\n1,2\n');
      expect(a.mapping).toBe('test-orders-csv');
      expect(a.origin).toBe(path.join(dir, 'a.csv'));
      expect(a.size).toBe(11);
      // Handed-out files are not offered again before settle.
      expect(await source.poll()).toEqual([]);
      for (const f of files) expect(await source.settle(f, { outcome: 'imported' })).toEqual({ movedTo: path.join(dir, 'archive', f.name) });
      expect(await listDir(dir)).toEqual(['.hidden.csv', 'archive', 'skip.txt', 'upload.csv.part']);
      expect(await listDir(path.join(dir, 'archive'))).toEqual(['a.csv', 'b.csv']);
      await expect(fs.access(a.localPath)).rejects.toThrow();
      expect(await source.poll()).toEqual([]);
    } finally {
      await source.close();
    }
  });
});

describe('SftpSource: never a file still being written', () => {
  it('does not take a file uploaded in slow chunks before it is complete', async () => {
    const dir = await freshDir(sshd, 'slow');
    const target = path.join(dir, 'slow.csv');
    const { source } = await makeSource(sshd, { paths: [dir], minAge: 0.6 });
    await source.open();
    try {
      const chunks = 12;
      let written = 0;
      let writerDone = false;
      const writer = (async () => {
        const h = await fs.open(target, 'w');
        for (let i = 0; i < chunks; i++) {
          await h.write(`line ${i},${'x'.repeat(50)}\n`);
          written++;
          await new Promise((r) => setTimeout(r, 120));
        }
        await h.close();
        writerDone = true;
      })();
      const taken: { at: number; content: string }[] = [];
      while (!writerDone) {
        for (const f of await source.poll()) {
          taken.push({ at: written, content: (await readAll(f)).toString() });
          await source.release(f);
        }
        await new Promise((r) => setTimeout(r, 40));
      }
      await writer;
      expect(taken).toEqual([]);
      const [f] = await pollUntil(source, 1);
      expect((await readAll(f!)).toString().split('\n').filter(Boolean)).toHaveLength(chunks);
      await source.settle(f!, { outcome: 'imported' });
    } finally {
      await source.close();
    }
  });

  it('honours done-files and removes them with the file', async () => {
    const dir = await freshDir(sshd, 'done');
    await fs.writeFile(path.join(dir, 'a.csv'), 'a\n');
    await fs.writeFile(path.join(dir, 'b.csv'), 'b\n');
    await fs.writeFile(path.join(dir, 'b.csv.ok'), '');
    const { source } = await makeSource(sshd, { paths: [dir], minAge: 30, doneFiles: { suffix: '.ok' } });
    await source.open();
    try {
      // The done-file is the writer's word: no minAge wait, but a.csv without one is never taken.
      const files = await source.poll();
      expect(files.map((f) => f.name)).toEqual(['b.csv']);
      expect(await source.poll()).toEqual([]);
      await source.settle(files[0]!, { outcome: 'imported' });
      expect(await listDir(dir)).toEqual(['a.csv', 'archive']);
      await fs.writeFile(path.join(dir, 'a.csv.ok'), '');
      expect((await source.poll()).map((f) => f.name)).toEqual(['a.csv']);
    } finally {
      await source.close();
    }
  });

  it('skips a file that changed between listing and download, and takes it whole later', async () => {
    const dir = await freshDir(sshd, 'changed');
    const big = path.join(dir, 'grow.csv');
    await fs.writeFile(big, Buffer.alloc(80 * 1024 * 1024, 'growing,file\n'));
    const { source, staging } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      expect(await source.poll()).toEqual([]);
      const polling = source.poll();
      await waitFor(async () => (await listDir(staging)).some((n) => n.endsWith('.part')), 10_000, 'the download to start');
      await fs.appendFile(big, 'one more line\n');
      expect(await polling).toEqual([]);
      expect(await listDir(staging)).toEqual([]);
      const [f] = await pollUntil(source, 1);
      expect(f!.size).toBe(80 * 1024 * 1024 + 14);
      expect((await fs.stat(f!.localPath)).size).toBe(80 * 1024 * 1024 + 14);
      await source.release(f!);
    } finally {
      await source.close();
    }
  }, 30_000);
});

describe('SftpSource: after import', () => {
  it('keep: never re-offers an imported file, even after a restart, but offers a changed one', async () => {
    const dir = await freshDir(sshd, 'keep');
    await fs.writeFile(path.join(dir, 'k.csv'), 'keep me\n');
    const first = await makeSource(sshd, { paths: [dir], afterImport: 'keep' });
    await first.source.open();
    const [f] = await pollUntil(first.source, 1);
    expect(await first.source.settle(f!, { outcome: 'imported' })).toEqual({});
    expect(await listDir(dir)).toEqual(['k.csv']);
    expect([...first.seen.keys]).toHaveLength(1);
    for (let i = 0; i < 3; i++) expect(await first.source.poll()).toEqual([]);
    await first.source.close();

    // A new process with the same (ledger-backed) seen store.
    const second = await makeSource(sshd, { paths: [dir], afterImport: 'keep' }, { seen: first.seen });
    await second.source.open();
    try {
      for (let i = 0; i < 3; i++) expect(await second.source.poll()).toEqual([]);
      await fs.writeFile(path.join(dir, 'k.csv'), 'keep me, version 2\n');
      const [g] = await pollUntil(second.source, 1);
      expect((await readAll(g!)).toString()).toBe('keep me, version 2\n');
      await second.source.settle(g!, { outcome: 'duplicate' });
      expect(await second.source.poll()).toEqual([]);
    } finally {
      await second.source.close();
    }
  });

  it('delete: removes the remote file', async () => {
    const dir = await freshDir(sshd, 'delete');
    await fs.writeFile(path.join(dir, 'd.csv'), 'x\n');
    const { source } = await makeSource(sshd, { paths: [dir], afterImport: 'delete' });
    await source.open();
    try {
      const [f] = await pollUntil(source, 1);
      await source.settle(f!, { outcome: 'imported' });
      expect(await listDir(dir)).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('archive: never overwrites an archived file of the same name', async () => {
    const dir = await freshDir(sshd, 'archive-unique');
    await fs.mkdir(path.join(dir, 'done'));
    await fs.writeFile(path.join(dir, 'done', 'same.csv'), 'old\n');
    await fs.writeFile(path.join(dir, 'same.csv'), 'new\n');
    const { source } = await makeSource(sshd, { paths: [dir], archiveFolder: 'done' });
    await source.open();
    try {
      const [f] = await pollUntil(source, 1);
      expect(await source.settle(f!, { outcome: 'imported' })).toEqual({ movedTo: path.join(dir, 'done', 'same.csv.1') });
      expect(await fs.readFile(path.join(dir, 'done', 'same.csv'), 'utf8')).toBe('old\n');
      expect(await fs.readFile(path.join(dir, 'done', 'same.csv.1'), 'utf8')).toBe('new\n');
    } finally {
      await source.close();
    }
  });

  it('quarantined: file and report go to the local quarantine, the remote file to error/', async () => {
    const dir = await freshDir(sshd, 'quarantine');
    await fs.writeFile(path.join(dir, 'bad.csv'), 'not,valid\n');
    const { source, quarantine } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      const [f] = await pollUntil(source, 1);
      const report = JSON.stringify({ file: 'bad.csv', errors: [{ line: 1, message: 'nope' }] });
      const res = await source.settle(f!, { outcome: 'quarantined', reportJson: report });
      expect(res).toEqual({ movedTo: path.join(quarantine, 'bad.csv'), reportPath: path.join(quarantine, 'bad.csv.errors.json') });
      expect(await fs.readFile(path.join(quarantine, 'bad.csv'), 'utf8')).toBe('not,valid\n');
      expect(await fs.readFile(res.reportPath!, 'utf8')).toBe(report);
      expect(await listDir(path.join(dir, 'error'))).toEqual(['bad.csv']);
      expect(await listDir(dir)).toEqual(['error']);
    } finally {
      await source.close();
    }
  });

  it('release: gives the file back and the next poll offers it again', async () => {
    const dir = await freshDir(sshd, 'release');
    await fs.writeFile(path.join(dir, 'r.csv'), 'r\n');
    const { source, staging } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      const [f] = await pollUntil(source, 1);
      await source.release(f!);
      expect(await listDir(staging)).toEqual([]);
      const [g] = await source.poll();
      expect(g!.origin).toBe(f!.origin);
      await source.settle(g!, { outcome: 'imported' });
      await expect(source.settle(g!, { outcome: 'imported' })).rejects.toMatchObject({ code: 'USAGE' });
    } finally {
      await source.close();
    }
  });
});

describe('SftpSource: limits and names', () => {
  it('does not download a file over maxFileSize; open() fails with FILE_TOO_LARGE; quarantine keeps the report', async () => {
    const dir = await freshDir(sshd, 'too-large');
    await fs.writeFile(path.join(dir, 'huge.csv'), 'x'.repeat(2000));
    const { source, staging, quarantine } = await makeSource(sshd, { paths: [dir], maxFileSize: 1000 });
    await source.open();
    try {
      const [f] = await pollUntil(source, 1);
      expect(f!.size).toBe(2000);
      expect(source.maxFileSize).toBe(1000);
      expect(await listDir(staging)).toEqual([]);
      await expect(readAll(f!)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE', retryable: false });
      const res = await source.settle(f!, { outcome: 'quarantined', reportJson: '{"error":"FILE_TOO_LARGE"}' });
      expect(res.reportPath).toBe(path.join(quarantine, 'huge.csv.errors.json'));
      expect(res.movedTo).toBe(path.join(dir, 'error', 'huge.csv'));
      expect(await listDir(path.join(dir, 'error'))).toEqual(['huge.csv']);
    } finally {
      await source.close();
    }
  });

  it('takes at most maxFilesPerPoll files per poll, oldest first', async () => {
    const dir = await freshDir(sshd, 'batch');
    for (let i = 0; i < 7; i++) {
      const p = path.join(dir, `f${i}.csv`);
      await fs.writeFile(p, `${i}\n`);
      await fs.utimes(p, 1_700_000_000 + (7 - i), 1_700_000_000 + (7 - i));
    }
    const { source } = await makeSource(sshd, { paths: [dir], maxFilesPerPoll: 3, concurrency: 2 });
    await source.open();
    try {
      await source.poll();
      const first = await source.poll();
      expect(first.map((f) => f.name).sort()).toEqual(['f4.csv', 'f5.csv', 'f6.csv']);
      const second = await source.poll();
      expect(second.map((f) => f.name).sort()).toEqual(['f1.csv', 'f2.csv', 'f3.csv']);
      expect((await source.poll()).map((f) => f.name)).toEqual(['f0.csv']);
    } finally {
      await source.close();
    }
  });

  it('refuses names that are not plain file names and still takes the rest', async () => {
    const dir = await freshDir(sshd, 'names');
    await fs.writeFile(path.join(dir, 'evil\\..\\x.csv'), 'evil\n');
    await fs.writeFile(path.join(dir, 'ctl\u0007.csv'), 'bell\n');
    await fs.writeFile(path.join(dir, 'good.csv'), 'good\n');
    const { source } = await makeSource(sshd, { paths: [dir] });
    await source.open();
    try {
      const files = await pollUntil(source, 1);
      expect(files.map((f) => f.name)).toEqual(['good.csv']);
      expect(await source.poll()).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('reads sub-directories when recursive, archiving within the tree but never re-reading archive/', async () => {
    const dir = await freshDir(sshd, 'recursive');
    await fs.mkdir(path.join(dir, 'eu', 'nl'), { recursive: true });
    await fs.writeFile(path.join(dir, 'top.csv'), 'top\n');
    await fs.writeFile(path.join(dir, 'eu', 'nl', 'deep.csv'), 'deep\n');
    const { source } = await makeSource(sshd, { paths: [dir], recursive: true });
    await source.open();
    try {
      const files = await pollUntil(source, 2);
      expect(files.map((f) => f.origin).sort()).toEqual([path.join(dir, 'eu', 'nl', 'deep.csv'), path.join(dir, 'top.csv')]);
      for (const f of files) await source.settle(f, { outcome: 'imported' });
      expect(await listDir(path.join(dir, 'archive', 'eu', 'nl'))).toEqual(['deep.csv']);
      for (let i = 0; i < 2; i++) expect(await source.poll()).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it('keeps reading the other paths when one is missing', async () => {
    const dir = await freshDir(sshd, 'multi');
    await fs.writeFile(path.join(dir, 'm.csv'), 'm\n');
    const { source } = await makeSource(sshd, { paths: [path.join(sshd.root, 'does-not-exist'), dir] });
    await source.open();
    try {
      expect((await pollUntil(source, 1)).map((f) => f.name)).toEqual(['m.csv']);
    } finally {
      await source.close();
    }
    const only = await makeSource(sshd, { paths: [path.join(sshd.root, 'does-not-exist')] });
    await only.source.open();
    await expect(only.source.poll()).rejects.toThrow(/listing directory: no such file or directory/);
    await only.source.close();
  });
});
