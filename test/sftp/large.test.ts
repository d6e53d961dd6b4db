import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { makeSource, pollUntil } from './fixture.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.cleanup();
});

describe('large files', () => {
  it('streams a 200 MB file to staging with flat memory', async () => {
    const dir = path.join(sshd.root, 'large');
    await fs.mkdir(dir, { recursive: true });
    const size = 200 * 1024 * 1024;
    const hash = createHash('sha256');
    const h = await fs.open(path.join(dir, 'big.csv'), 'w');
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < size / block.length; i++) {
      block.fill(`${i},line of block ${i}\n`);
      hash.update(block);
      await h.write(block);
    }
    await h.close();
    const expected = hash.digest('hex');

    const { source } = await makeSource(sshd, { paths: [dir], maxFileSize: 512 * 1024 * 1024 });
    await source.open();
    try {
      await source.poll();
      (globalThis as { gc?: () => void }).gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      let files;
      try {
        files = await pollUntil(source, 1, 60_000);
      } finally {
        clearInterval(sampler);
      }
      const growth = peak - before;
      // Buffering the file would cost 200 MB; streaming costs a few MB of read buffers.
      expect(growth).toBeLessThan(100 * 1024 * 1024);
      const [f] = files;
      expect(f!.size).toBe(size);
      const got = createHash('sha256');
      for await (const c of createReadStream(f!.localPath)) got.update(c as Buffer);
      expect(got.digest('hex')).toBe(expected);
      await source.settle(f!, { outcome: 'imported' });
    } finally {
      await source.close();
    }
  }, 90_000);
});
