import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { REPO, wharf } from '../helpers/cli.js';
import { tempDir, writeSftpCliConfig } from './fixture.js';

/**
 * How a user starts an SFTP channel: without a `hostKey`. The config loads; `trust-host` and
 * `test-connection` show the key the server offers and how to pin it; test-connection stops at the
 * host key step (no login with an unpinned key); `check` reports the channel; a poll fails closed.
 * Real OpenSSH server, the compiled CLI.
 */
describe('an SFTP channel without hostKey', () => {
  let sshd: Sshd;
  let work: string;
  let config: string;
  let inbox: string;

  beforeAll(async () => {
    sshd = await startSshd();
    work = await tempDir('wharf-sftp-unpinned-');
    inbox = path.join(sshd.root, 'acme', 'out');
    await fs.mkdir(inbox, { recursive: true });
    await fs.writeFile(path.join(work, 'client_key'), sshd.clientKey, { mode: 0o600 });
    config = await writeSftpCliConfig(sshd, { work, inbox }); // no hostKey yet: how a user starts
  });
  afterAll(async () => {
    await sshd?.cleanup();
  });

  it('trust-host prints the offered fingerprint to pin: exit 0', async () => {
    const r = await wharf(['trust-host', 'acme/sftp', '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`hostKey: "${sshd.hostKeyFingerprint}"`);
    expect(r.stdout).not.toContain('does NOT match');
  });

  it('test-connection reports the offered fingerprint and how to pin it, and stops before logging in: exit 1', async () => {
    const r = await wharf(['test-connection', 'acme/sftp', '--config', config]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n');
    const hostKeyLine = lines.find((l) => l.startsWith('FAIL host key:'));
    expect(hostKeyLine, r.stdout).toBeDefined();
    expect(hostKeyLine).toContain(sshd.hostKeyFingerprint);
    expect(hostKeyLine).toContain('wharf trust-host acme/sftp');
    expect(r.stdout).not.toMatch(/authentication/);
    expect(lines.at(-1)).toBe('acme/sftp: connection FAILED');
  });

  it('check loads the config and reports the unpinned channel: exit 1', async () => {
    const r = await wharf(['check', '--config', config]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('config ');
    expect(r.stdout).toMatch(/channel acme\/sftp: ERROR no hostKey pinned.*wharf trust-host acme\/sftp/);
  });

  it('a poll fails closed: nothing is downloaded or moved, exit 1 naming the offered key', async () => {
    await fs.copyFile(path.join(REPO, 'samples/orders-semicolon.csv'), path.join(inbox, 'orders.csv'));
    const r = await wharf(['once', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('channel acme/sftp FAILED');
    expect(r.stdout).toContain(sshd.hostKeyFingerprint);
    expect(await fs.readdir(inbox)).toEqual(['orders.csv']);
    expect(await fs.readdir(path.join(work, 'warehouse')).catch(() => [])).toEqual([]);
  });
});
