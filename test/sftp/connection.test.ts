import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { resolveSftpConnection } from '../../src/transports/sftp/config.js';
import { SftpConnection } from '../../src/transports/sftp/connection.js';
import { passwordUser, startSshd, waitFor, type Sshd } from '../helpers/sshd.js';
import { channelConfig, freshDir, listDir, makeSource, pollUntil } from './fixture.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.cleanup();
});

async function fileSha(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of (await import('node:fs')).createReadStream(p)) h.update(c as Buffer);
  return h.digest('hex');
}

async function connectError(overrides: Parameters<typeof channelConfig>[1]): Promise<WharfError> {
  const conn = new SftpConnection({ settings: resolveSftpConnection(channelConfig(sshd, overrides)), logger: silentLogger(), channel: 'acme-sftp' });
  try {
    await conn.connect();
  } catch (err) {
    return err as WharfError;
  } finally {
    await conn.close();
  }
  throw new Error('connect() succeeded but should have failed');
}

describe('host keys', () => {
  it('refuses a server whose key does not match the pin, and transfers nothing', async () => {
    const dir = await freshDir(sshd, 'hostkey');
    await fs.writeFile(path.join(dir, 'a.csv'), 'x\n');
    const wrongPin = 'SHA256:' + 'A'.repeat(43);
    const { source, staging } = await makeSource(sshd, { paths: [dir], hostKey: wrongPin });
    const err = (await source.open().catch((e: unknown) => e)) as WharfError;
    expect(err).toBeInstanceOf(WharfError);
    expect(err.code).toBe('HOST_KEY_MISMATCH');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(sshd.hostKeyFingerprint);
    expect(err.message).toContain(wrongPin);
    expect(err.details.hint).toContain('wharf trust-host acme-sftp');
    const again = (await source.poll().catch((e: unknown) => e)) as WharfError;
    expect(again.code).toBe('HOST_KEY_MISMATCH');
    expect(await listDir(staging)).toEqual([]);
    expect(await listDir(dir)).toEqual(['a.csv']);
    await source.close();
  });

  it('fails closed when no key is pinned', async () => {
    const err = await connectError({ hostKey: '' });
    expect(err.code).toBe('HOST_KEY_MISMATCH');
    expect(err.message).toContain('no host key is pinned');
    expect(err.message).toContain(sshd.hostKeyFingerprint);
  });
});

describe('authentication', () => {
  it('explains a refused client key', async () => {
    const other = await fs.readFile(path.join(sshd.dir, 'host_ed25519'), 'utf8'); // a valid key, just not authorized
    const err = await connectError({ privateKey: other });
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/refused the login of user "\w+" \(tried public key\)/);
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('explains a refused password without showing it', async () => {
    const err = await connectError({ privateKey: undefined, password: 'not-the-password-123' });
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('tried password');
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('not-the-password-123');
  });

  it('says plainly when the private key text is not a key', async () => {
    const err = await connectError({ privateKey: 'this is not a key' });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('privateKey');
  });

  it('logs in with a password', async (ctx) => {
    const user = await passwordUser();
    if (!user) return ctx.skip();
    const dir = await freshDir(sshd, 'password');
    await fs.chmod(dir, 0o777);
    await fs.writeFile(path.join(dir, 'p.csv'), 'pw\n');
    await fs.chmod(path.join(dir, 'p.csv'), 0o666);
    const { source } = await makeSource(sshd, { paths: [dir], username: user.username, password: user.password, privateKey: undefined });
    await source.open();
    try {
      const [f] = await pollUntil(source, 1);
      await source.settle(f!, { outcome: 'imported' });
      expect(await listDir(path.join(dir, 'archive'))).toEqual(['p.csv']);
    } finally {
      await source.close();
    }
  });
});

describe('connection drops', () => {
  it('recovers from sshd killed mid-download: nothing lost, nothing twice', async () => {
    const dir = await freshDir(sshd, 'drop');
    const big = path.join(dir, 'big.csv');
    const chunk = Buffer.alloc(1024 * 1024, 'abcdefghij,0123456789\n');
    const h = await fs.open(big, 'w');
    for (let i = 0; i < 120; i++) await h.write(chunk);
    await h.close();
    await fs.writeFile(path.join(dir, 'small.csv'), 'small\n');
    const expected = await fileSha(big);
    const { source, staging } = await makeSource(sshd, { paths: [dir], concurrency: 1, maxFileSize: 1024 ** 3 });
    await source.open();
    try {
      expect(await source.poll()).toEqual([]); // first look
      const polling = source.poll().then((files) => ({ files }), (err: unknown) => ({ err }));
      // Kill the server once the big download is under way.
      await waitFor(async () => {
        for (const n of await listDir(staging)) {
          if (n.endsWith('.part') && (await fs.stat(path.join(staging, n)).catch(() => undefined))?.size! > 1024 * 1024) return true;
        }
        return false;
      }, 20_000, 'the download to start');
      await sshd.kill();
      const first = await polling;
      // The oldest (big) file was in flight: it must not come back half-read.
      const firstFiles = 'files' in first ? first.files : [];
      expect(firstFiles.map((f) => f.name)).not.toContain('big.csv');
      if ('err' in first) expect((first.err as WharfError).retryable).toBe(true);
      expect((await listDir(staging)).filter((n) => n.endsWith('.part'))).toEqual([]);
      // While the server is down polls fail cleanly and retryably.
      const down = (await source.poll().catch((e: unknown) => e)) as WharfError;
      expect(down.retryable).toBe(true);
      await sshd.restart();
      const files = [...firstFiles, ...(await pollUntil(source, 2 - firstFiles.length, 20_000))];
      expect(files.map((f) => f.name).sort()).toEqual(['big.csv', 'small.csv']);
      const bigFile = files.find((f) => f.name === 'big.csv')!;
      expect(await fileSha(bigFile.localPath)).toBe(expected);
      for (const f of files) await source.settle(f, { outcome: 'imported' });
      expect(await listDir(path.join(dir, 'archive'))).toEqual(['big.csv', 'small.csv']);
      expect(await listDir(dir)).toEqual(['archive']);
      expect(await source.poll()).toEqual([]);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('gives up an operation that makes no progress instead of hanging', async () => {
    const dir = await freshDir(sshd, 'hang');
    await fs.writeFile(path.join(dir, 'a.csv'), 'a\n');
    const { source } = await makeSource(sshd, { paths: [dir], operationTimeout: 1, keepaliveInterval: 0, connectTimeout: 1 });
    await source.open();
    try {
      sshd.pause();
      const started = Date.now();
      const err = (await source.poll().catch((e: unknown) => e)) as WharfError;
      expect(err).toBeInstanceOf(WharfError);
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/no progress/);
      expect(Date.now() - started).toBeLessThan(5000);
      // A new connection to a server that does not answer is bounded by connectTimeout.
      const err2 = (await source.poll().catch((e: unknown) => e)) as WharfError;
      expect(err2.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      sshd.resume();
      await source.close();
    }
    // And it works again once the server answers.
    const again = await makeSource(sshd, { paths: [dir] });
    await again.source.open();
    try {
      expect((await pollUntil(again.source, 1)).map((f) => f.name)).toEqual(['a.csv']);
    } finally {
      await again.source.close();
    }
  }, 30_000);
});
