import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { listDir, makeSource, pollUntil, readAll } from './fixture.js';

let sshd: Sshd;
let other: Sshd;
beforeAll(async () => {
  [sshd, other] = await Promise.all([startSshd(), startSshd()]);
});
afterAll(async () => {
  await Promise.all([sshd?.cleanup(), other?.cleanup()]);
});

describe('merchant isolation', () => {
  it("two merchants' channels never see each other's files", async () => {
    const dirA = path.join(sshd.root, 'merchant-a', 'out');
    const dirB = path.join(sshd.root, 'merchant-b', 'out');
    for (const d of [dirA, dirB]) await fs.mkdir(d, { recursive: true });
    // The same name on both sides, with different content, plus one file each.
    await fs.writeFile(path.join(dirA, 'orders.csv'), 'merchant A\n');
    await fs.writeFile(path.join(dirB, 'orders.csv'), 'merchant B\n');
    await fs.writeFile(path.join(dirA, 'only-a.csv'), 'A only\n');
    await fs.writeFile(path.join(dirB, 'only-b.csv'), 'B only\n');
    const a = await makeSource(sshd, { paths: [dirA] }, { merchant: 'alpha', channel: 'alpha-sftp' });
    const b = await makeSource(sshd, { paths: [dirB] }, { merchant: 'beta', channel: 'beta-sftp' });
    await Promise.all([a.source.open(), b.source.open()]);
    try {
      const [filesA, filesB] = await Promise.all([pollUntil(a.source, 2), pollUntil(b.source, 2)]);
      const view = async (files: typeof filesA) =>
        Object.fromEntries(await Promise.all(files.map(async (f) => [f.name, { merchant: f.merchant, channel: f.channel, content: (await readAll(f)).toString(), origin: f.origin }])));
      expect(await view(filesA)).toEqual({
        'orders.csv': { merchant: 'alpha', channel: 'alpha-sftp', content: 'merchant A\n', origin: path.join(dirA, 'orders.csv') },
        'only-a.csv': { merchant: 'alpha', channel: 'alpha-sftp', content: 'A only\n', origin: path.join(dirA, 'only-a.csv') },
      });
      expect(await view(filesB)).toEqual({
        'orders.csv': { merchant: 'beta', channel: 'beta-sftp', content: 'merchant B\n', origin: path.join(dirB, 'orders.csv') },
        'only-b.csv': { merchant: 'beta', channel: 'beta-sftp', content: 'B only\n', origin: path.join(dirB, 'only-b.csv') },
      });
      // Staged copies live in each channel's own staging dir.
      for (const f of filesA) expect(f.localPath.startsWith(a.staging + path.sep)).toBe(true);
      for (const f of filesB) expect(f.localPath.startsWith(b.staging + path.sep)).toBe(true);
      // A settle of one channel cannot touch the other's files.
      await expect(a.source.settle(filesB[0]!, { outcome: 'imported' })).rejects.toMatchObject({ code: 'USAGE' });
      await Promise.all([...filesA.map((f) => a.source.settle(f, { outcome: 'imported' })), ...filesB.map((f) => b.source.settle(f, { outcome: 'imported' }))]);
      expect(await listDir(path.join(dirA, 'archive'))).toEqual(['only-a.csv', 'orders.csv']);
      expect(await listDir(path.join(dirB, 'archive'))).toEqual(['only-b.csv', 'orders.csv']);
      expect(await fs.readFile(path.join(dirA, 'archive', 'orders.csv'), 'utf8')).toBe('merchant A\n');
    } finally {
      await Promise.all([a.source.close(), b.source.close()]);
    }
  });

  it('a server that stops answering does not hold up another channel', async () => {
    const dirSlow = path.join(other.root, 'slow');
    const dirFast = path.join(sshd.root, 'fast');
    for (const d of [dirSlow, dirFast]) await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(dirSlow, 's.csv'), 's\n');
    await fs.writeFile(path.join(dirFast, 'f.csv'), 'f\n');
    const slow = await makeSource(other, { paths: [dirSlow], operationTimeout: 3, keepaliveInterval: 0 }, { merchant: 'slow', channel: 'slow-sftp' });
    const fast = await makeSource(sshd, { paths: [dirFast] }, { merchant: 'fast', channel: 'fast-sftp' });
    await Promise.all([slow.source.open(), fast.source.open()]);
    try {
      other.pause();
      const started = Date.now();
      const slowPoll = slow.source.poll().then(() => 'answered', (e: { retryable?: boolean }) => (e.retryable ? 'retryable error' : 'other error'));
      const files = await pollUntil(fast.source, 1);
      expect(files.map((f) => f.name)).toEqual(['f.csv']);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await slowPoll).toBe('retryable error');
    } finally {
      other.resume();
      await Promise.all([slow.source.close(), fast.source.close()]);
    }
  }, 20_000);
});
