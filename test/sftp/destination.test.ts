import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SftpDestination } from '../../src/destinations/sftp/destination.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { channelConfig, listDir } from './fixture.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.cleanup();
});

function destination(directory: string): SftpDestination {
  return new SftpDestination({ config: channelConfig(sshd), directory, logger: silentLogger(), channel: 'acme-sftp' });
}

describe('SftpDestination', () => {
  it('creates missing directories and writes the file', async () => {
    const dir = path.join(sshd.root, 'dest-new', 'stock', 'daily');
    const dest = destination(dir);
    await dest.open();
    try {
      expect(dest.describe).toBe(`sftp://${sshd.username}@127.0.0.1:${sshd.port}${dir}`);
      expect(await dest.write('stock.csv', Buffer.from('sku,qty\nA,1\n'))).toBe('written');
      expect(await fs.readFile(path.join(dir, 'stock.csv'), 'utf8')).toBe('sku,qty\nA,1\n');
      expect(await listDir(dir)).toEqual(['stock.csv']);
    } finally {
      await dest.close();
    }
  });

  it('is idempotent for identical bytes and refuses different bytes without touching the file', async () => {
    const dir = path.join(sshd.root, 'dest-conflict');
    const dest = destination(dir);
    await dest.open();
    try {
      expect(await dest.write('s.csv', Buffer.from('v1\n'))).toBe('written');
      expect(await dest.write('s.csv', Buffer.from('v1\n'))).toBe('unchanged');
      await expect(dest.write('s.csv', Buffer.from('v2\n'))).rejects.toMatchObject({ code: 'DELIVERY_CONFLICT', retryable: false });
      await expect(dest.write('s.csv', Buffer.from('v9\n'))).rejects.toMatchObject({ code: 'DELIVERY_CONFLICT' }); // same size, other bytes
      expect(await fs.readFile(path.join(dir, 's.csv'), 'utf8')).toBe('v1\n');
      expect(await listDir(dir)).toEqual(['s.csv']); // no temporary files left behind
    } finally {
      await dest.close();
    }
  });

  it('refuses unsafe names', async () => {
    const dest = destination(path.join(sshd.root, 'dest-names'));
    await expect(dest.write('../escape.csv', Buffer.from('x'))).rejects.toMatchObject({ code: 'UNSAFE_NAME' });
    await dest.close();
  });

  it('a reader polling the directory never sees a partial file', async () => {
    const dir = path.join(sshd.root, 'dest-atomic');
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    const dest = destination(dir);
    await dest.open();
    const files = Array.from({ length: 12 }, (_, i) => ({ name: `ship-${i}.csv`, data: Buffer.alloc(3 * 1024 * 1024 + i, String.fromCharCode(97 + i)) }));
    const expected = new Map(files.map((f) => [f.name, createHash('sha256').update(f.data).digest('hex')]));
    let stop = false;
    const seen = new Set<string>();
    const partial: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        for (const name of await fs.readdir(dir)) {
          if (name.startsWith('.')) continue; // temporary uploads are dot-files, ignored by every reader
          const data = await fs.readFile(path.join(dir, name)).catch(() => undefined);
          if (!data) continue;
          reads++;
          seen.add(name);
          if (createHash('sha256').update(data).digest('hex') !== expected.get(name)) partial.push(`${name} (${data.length} bytes)`);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (const f of files) expect(await dest.write(f.name, f.data)).toBe('written');
    } finally {
      stop = true;
      await reader;
      await dest.close();
    }
    expect(partial).toEqual([]);
    expect(reads).toBeGreaterThan(files.length);
    expect(seen.size).toBeGreaterThan(0);
    expect(await listDir(dir)).toEqual(files.map((f) => f.name).sort());
  }, 30_000);
});

describe('createSftpChannel', () => {
  it('shares one connection between the source and its destinations; delivered files are picked up whole', async () => {
    const { createSftpChannel } = await import('../../src/daemon/sftp-channel.js');
    const { MemorySeen, tempDir } = await import('./fixture.js');
    const inbox = path.join(sshd.root, 'roundtrip');
    await fs.rm(inbox, { recursive: true, force: true });
    const local = await tempDir('wharf-sftp-channel-');
    const channel = createSftpChannel({
      config: channelConfig(sshd, { paths: [inbox], files: [{ pattern: '*.csv', mapping: 'm' }] }),
      merchant: 'acme',
      channel: 'acme-sftp',
      stagingDir: path.join(local, 'staging'),
      quarantineDir: path.join(local, 'quarantine'),
      logger: silentLogger(),
      seen: new MemorySeen(),
    });
    const dest = channel.destination(inbox);
    expect(dest.connection).toBe(channel.source.connection);
    try {
      await dest.open();
      await channel.source.open();
      expect(await dest.write('x.csv', Buffer.from('round trip\n'))).toBe('written');
      expect(await channel.source.poll()).toEqual([]);
      const [f] = await channel.source.poll();
      expect(f!.name).toBe('x.csv');
      await channel.source.settle(f!, { outcome: 'imported' });
      expect(await listDir(path.join(inbox, 'archive'))).toEqual(['x.csv']);
    } finally {
      await dest.close(); // does not own the connection
      expect(channel.connection.connected).toBe(true);
      await channel.close();
      expect(channel.connection.connected).toBe(false);
    }
  });
});
