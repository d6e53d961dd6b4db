/**
 * The folder source on real files: a file that changes after it was offered is not committed, and
 * files it does not take are reported (once) with the reason.
 */
import { appendFileSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { FolderSource } from '../../src/sources/folder/source.js';
import { MemoryNoticeBoard } from '../../src/sources/notices.js';
import type { ReadyFile } from '../../src/pipeline/ports.js';
import { sha256File } from '../../src/pipeline/hash.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function setup(extra: { create?: boolean } = {}) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-folder-'));
  dirs.push(root);
  const inbox = path.join(root, 'inbox');
  if (!extra.create) await fs.mkdir(inbox);
  const notices = new MemoryNoticeBoard();
  const source = new FolderSource({
    merchant: 'm', channel: 'c', logger: silentLogger(), watch: false, notices,
    config: { type: 'folder', path: inbox, files: [{ pattern: '*.csv', mapping: 'x' }], minAge: 0, create: extra.create },
  });
  return { root, inbox, source, notices };
}

async function pollUntil(source: FolderSource, n: number): Promise<ReadyFile[]> {
  const got: ReadyFile[] = [];
  const deadline = Date.now() + 5000;
  while (got.length < n) {
    got.push(...(await source.poll()));
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${n} files`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return got;
}

describe('FolderSource: a file still being written', () => {
  it('verify() refuses a file that grew, or was replaced, after it was offered; it is offered again once stable', async () => {
    const { inbox, source } = await setup();
    await source.open();
    const file = path.join(inbox, 'a.csv');
    await fs.writeFile(file, 'id\n1\n');
    const [offered] = await pollUntil(source, 1);
    await expect(offered!.verify!()).resolves.toBeUndefined();
    await fs.appendFile(file, '2\n'); // the writer goes on after a stall longer than minAge
    await expect(offered!.verify!()).rejects.toMatchObject({ code: 'FILE_CHANGED', retryable: true });
    await source.release(offered!);
    const [again] = await pollUntil(source, 1);
    expect(again!.size).toBe(7);
    // Replaced by another file (temp name + rename): another inode, so not the file that was offered.
    await fs.writeFile(path.join(inbox, '.a.csv.tmp'), 'id\n9\n9\n');
    await fs.rename(path.join(inbox, '.a.csv.tmp'), file);
    await expect(again!.verify!()).rejects.toMatchObject({ code: 'FILE_CHANGED' });
    await source.close();
  });

  it('an archived file that changes afterwards is reported with both hashes', async () => {
    const { inbox, source, notices } = await setup();
    await source.open();
    const file = path.join(inbox, 'a.csv');
    const writer = await fs.open(file, 'a');
    await writer.write('id\n1\n');
    const [offered] = await pollUntil(source, 1);
    const { movedTo } = await source.settle(offered!, { outcome: 'imported', sha256: await sha256File(file) });
    expect(notices.notices.size).toBe(0);
    await writer.write('2\n'); // into the archived copy, through the writer's open handle
    await writer.close();
    await source.poll();
    const [n] = [...notices.notices.values()];
    expect(n).toMatchObject({ kind: 'changed-after-import', file: movedTo });
    expect(n!.message).toMatch(/sha256 [0-9a-f]{64} \(5 bytes\).*sha256 [0-9a-f]{64} \(7 bytes\)/);
    await source.close();
  });
});

describe('FolderSource: nothing skipped silently', () => {
  it('follows a link to a file inside the inbox; reports a link outside and an unmatched file once', async () => {
    const { root, inbox, source, notices } = await setup();
    await fs.mkdir(path.join(inbox, 'store'));
    await fs.writeFile(path.join(inbox, 'store', 't.csv'), 'id\n1\n');
    await fs.symlink(path.join(inbox, 'store', 't.csv'), path.join(inbox, 'linked.csv'));
    await fs.writeFile(path.join(root, 'outside.csv'), 'id\n2\n');
    await fs.symlink(path.join(root, 'outside.csv'), path.join(inbox, 'escape.csv'));
    await fs.writeFile(path.join(inbox, 'notes.txt'), 'x');
    await source.open();
    const files = await pollUntil(source, 1);
    expect(files.map((f) => f.name)).toEqual(['linked.csv']);
    const byName = Object.fromEntries([...notices.notices.values()].map((n) => [n.file, n]));
    expect(Object.keys(byName).sort()).toEqual(['escape.csv', 'notes.txt']);
    expect(byName['escape.csv']!.message).toMatch(/outside the channel's folder/);
    expect(byName['notes.txt']!.message).toMatch(/no `files` pattern/);
    await source.close();
  });

  it('a missing inbox is an error, never created, unless create: true', async () => {
    const { inbox, source } = await setup({});
    await fs.rm(inbox, { recursive: true });
    await expect(source.open()).rejects.toThrow(/inbox folder .* does not exist/);
    await expect(fs.stat(inbox)).rejects.toThrow();
    await expect(source.poll()).rejects.toThrow(/does not exist/);
    await expect(source.poll()).rejects.toMatchObject({ details: { hint: expect.stringMatching(/set create: true/) as unknown } });
    const created = await setup({ create: true });
    await created.source.open();
    expect((await fs.stat(created.inbox)).isDirectory()).toBe(true);
    // Made at the start only: gone later, it is an error whose hint does not ask for create: true again.
    await fs.rm(created.inbox, { recursive: true });
    const err = await created.source.poll().catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.stringMatching(/does not exist/) as unknown, details: { hint: expect.stringMatching(/only when wharf starts/) as unknown } });
    expect((err as { details: { hint: string } }).details.hint).not.toMatch(/set create: true/);
    await expect(fs.stat(created.inbox)).rejects.toThrow();
    await created.source.close();
  });
});

describe('FolderSource + intake: the writer goes on while the file is read', () => {
  // Files up to IN_MEMORY_MAX are read once into memory; larger ones are streamed (hash, then records).
  for (const size of ['small (read into memory)', 'large (streamed)'] as const) {
    it(`${size}: nothing is committed or archived; the whole file is imported once stable`, async () => {
      const { SqliteStore } = await import('../../src/ledger/sqlite.js');
      const { processBatch } = await import('../../src/pipeline/intake.js');
      const { batchOfFile, IN_MEMORY_MAX } = await import('../../src/sources/batch.js');
      const { singleOrderCsv, MAPPINGS } = await import('../helpers/e2e.js');
      const { root, inbox } = await setup();
      const source = new FolderSource({
        merchant: 'demo', channel: 'dropbox', logger: silentLogger(), watch: false,
        config: { type: 'folder', path: inbox, files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }], minAge: 0 },
      });
      const store = new SqliteStore(path.join(root, 'ledger.sqlite'));
      const deps = { store, mappingsDir: MAPPINGS, logger: silentLogger() };
      const policy = { onInvalid: 'rejectFile' as const, maxFileSize: 1e9 };
      try {
        await source.open();
        const file = path.join(inbox, 'orders.csv');
        const first = singleOrderCsv('GROW-1');
        const line = (id: string) => first.split('\n')[1]!.replace('GROW-1', id);
        let content = first;
        let orders = 1;
        if (size === 'large (streamed)') {
          while (content.length <= IN_MEMORY_MAX) content += `${line(`GROW-X${orders++}`)}\n`;
        }
        await fs.writeFile(file, content);
        const [offered] = await pollUntil(source, 1);
        expect(offered!.size > IN_MEMORY_MAX).toBe(size === 'large (streamed)');
        const grow = () => appendFileSync(file, `${line('GROW-2')}\n`);
        const batch = batchOfFile(offered!, source);
        if (size === 'large (streamed)') {
          // The sender resumes while Wharf reads: the append lands as the first chunk is consumed.
          // Synchronous, so the file has grown before the read goes on (and surely before verify()).
          const open = offered!.open;
          offered!.open = () => open().once('data', grow);
        } else {
          // The one read is done once the hash is known: the sender resumes right after it.
          const hash = batch.sha256;
          batch.sha256 = async () => {
            const h = await hash();
            grow();
            return h;
          };
        }
        await expect(processBatch(batch, policy, deps)).rejects.toMatchObject({ code: 'FILE_CHANGED' });
        expect((await store.summary()).channels.flatMap((c) => Object.values(c.files)).reduce((a, b) => a + b, 0)).toBe(0);
        expect(await fs.readdir(inbox)).toEqual(['orders.csv']);
        const [again] = await pollUntil(source, 1);
        const result = await processBatch(batchOfFile(again!, source), policy, deps);
        expect(result).toMatchObject({ status: 'imported', newRecords: orders + 1 });
      } finally {
        await source.close();
        await store.close();
      }
    });
  }
});

describe('FolderSource: file-system events', () => {
  it('a new file wakes the listener (fs.watch); the inbox removed and made again is watched again', async () => {
    const { waitFor } = await import('../helpers/e2e.js');
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-folder-'));
    dirs.push(root);
    const inbox = path.join(root, 'inbox');
    await fs.mkdir(inbox);
    const source = new FolderSource({
      merchant: 'm', channel: 'c', logger: silentLogger(), watch: true,
      config: { type: 'folder', path: inbox, files: [{ pattern: '*.csv', mapping: 'x' }], minAge: 0, pollInterval: 3600 },
    });
    let wakes = 0;
    source.onChange(() => wakes++);
    try {
      await source.open();
      await fs.writeFile(path.join(inbox, 'a.csv'), 'x');
      await waitFor(() => wakes > 0, { what: 'a wake-up for a.csv', timeoutMs: 10_000 });
      // The inbox disappears (an unmounted volume) and comes back: the next looks notice both, and a
      // file in the new folder wakes the listener again.
      await fs.rm(inbox, { recursive: true });
      await expect(source.poll()).rejects.toThrow(/disappeared|does not exist/);
      await fs.mkdir(inbox);
      await source.poll();
      const before = wakes;
      await fs.writeFile(path.join(inbox, 'b.csv'), 'x');
      await waitFor(() => wakes > before, { what: 'a wake-up for b.csv in the new folder', timeoutMs: 10_000 });
    } finally {
      await source.close();
    }
  });
});
