/**
 * An SFTP channel under faults, through the real CLI (compiled build, real sshd, real SQLite):
 * the archive step failing after the commit, a connection drop followed by SIGTERM, and files the
 * channel does not take reported in `wharf status`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { Daemon, killAllDaemons, parseLogs, waitFor, wharf, SAMPLES } from '../helpers/e2e.js';
import { tempDir, writeSftpCliConfig } from './fixture.js';

let sshd: Sshd;
let work: string;
beforeAll(async () => {
  sshd = await startSshd();
  work = await tempDir('wharf-sftp-faults-');
  await fs.writeFile(path.join(work, 'client_key'), sshd.clientKey, { mode: 0o600 });
});
afterEach(async () => {
  await killAllDaemons();
});
afterAll(async () => {
  await sshd?.cleanup();
});

/** A workspace with one SFTP channel on the test server; returns its paths. */
async function workspace(name: string, extra = '') {
  const dir = path.join(work, name);
  const inbox = path.join(sshd.root, name, 'out');
  await fs.mkdir(inbox, { recursive: true });
  await fs.mkdir(dir, { recursive: true });
  const config = await writeSftpCliConfig(sshd, {
    work: dir, inbox, hostKey: sshd.hostKeyFingerprint, keyFile: path.join(work, 'client_key'),
    top: 'delivery: { interval: 0.5 }\n', extra: `        pollInterval: 0.3\n${extra}`,
  });
  const status = async () => JSON.parse((await wharf(['status', '--json', '--config', config])).stdout) as {
    channels: { channel: string; files: Record<string, number>; notices: number }[];
    notices: { kind: string; file: string; message: string }[];
  };
  return { dir, inbox, config, status, warehouse: path.join(dir, 'warehouse') };
}

describe('SFTP channel faults through the CLI', () => {
  it('a file whose archive step fails after the commit is finished later, not re-read as a merchant duplicate', async () => {
    const ws = await workspace('archive-late');
    await fs.copyFile(path.join(SAMPLES, 'orders-semicolon.csv'), path.join(ws.inbox, 'orders.csv'));
    // Something in the way of the archive folder: the move after the commit fails.
    await fs.writeFile(path.join(ws.inbox, 'archive'), 'not a folder');
    const first = await wharf(['once', '--config', ws.config]);
    expect(first.code).toBe(0);
    expect(parseLogs(first.stderr).filter((l) => l.level >= 50)).toEqual([]); // nothing at error level
    expect((await fs.readdir(ws.warehouse)).length).toBe(5);
    expect((await fs.readdir(ws.inbox)).sort()).toEqual(['archive', 'orders.csv']);

    await fs.rm(path.join(ws.inbox, 'archive'));
    const second = await wharf(['once', '--config', ws.config]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('finished moving a file settled earlier');
    expect(await fs.readdir(path.join(ws.inbox, 'archive'))).toEqual(['orders.csv']);
    const ch = (await ws.status()).channels.find((c) => c.channel === 'sftp')!;
    expect(ch.files).toMatchObject({ imported: 1, duplicate: 0 });
  });

  it('files the channel does not take are reported once in the log and listed by wharf status', async () => {
    const ws = await workspace('notices');
    await fs.copyFile(path.join(SAMPLES, 'orders-semicolon.csv'), path.join(ws.inbox, 'orders.csv'));
    await fs.writeFile(path.join(ws.inbox, 'orders.txt'), 'no pattern takes this');
    await fs.symlink('/etc/passwd', path.join(ws.inbox, 'escape.csv'));
    const first = await wharf(['once', '--config', ws.config]);
    expect(first.code).toBe(0);
    const warned = parseLogs(first.stderr).filter((l) => /file not taken/.test(l.msg));
    expect(warned.map((l) => path.basename(String(l.file))).sort()).toEqual(['escape.csv', 'orders.txt']);
    const second = await wharf(['once', '--config', ws.config]);
    expect(parseLogs(second.stderr).filter((l) => /file not taken/.test(l.msg))).toEqual([]); // once, not at every pass
    const st = await ws.status();
    expect(st.notices.map((n) => path.basename(n.file)).sort()).toEqual(['escape.csv', 'orders.txt']);
    expect(st.channels.find((c) => c.channel === 'sftp')!.notices).toBe(2);
    const text = (await wharf(['status', '--config', ws.config])).stdout;
    expect(text).toContain('File notices: 2');
    expect(text).toMatch(/SKIPPED .*orders\.txt\n\s+no `files` pattern/);
  });

  it('a remote name too long for a naive staging name is imported with the rest of the channel', async () => {
    const ws = await workspace('longname');
    const long = `${'orders-'.repeat(34)}x.csv`; // 243 bytes: legal on the server
    await fs.copyFile(path.join(SAMPLES, 'orders-semicolon.csv'), path.join(ws.inbox, long));
    const r = await wharf(['once', '--config', ws.config]);
    expect(r.code).toBe(0);
    expect((await fs.readdir(ws.warehouse)).length).toBe(5);
    expect(await fs.readdir(path.join(ws.inbox, 'archive'))).toEqual([long]);
  });

  it('exits promptly after SIGTERM following a connection drop mid-download', async () => {
    const ws = await workspace('sigterm', '        operationTimeout: 60\n');
    // A large file keeps the download busy long enough to cut the connection under it.
    const big = path.join(ws.inbox, 'big.csv');
    const fh = await fs.open(big, 'w');
    await fh.truncate(400 * 1024 * 1024);
    await fh.close();
    const daemon = new Daemon(['run', '--config', ws.config]);
    const staging = path.join(ws.dir, 'var', 'staging', 'acme', 'sftp');
    await waitFor(async () => (await fs.readdir(staging).catch(() => [])).some((n) => n.endsWith('.part')), { what: 'the download to start', daemon, timeoutMs: 30_000 });
    await sshd.kill();
    await waitFor(() => daemon.logs().some((l) => /sftp connection dropped|connection .* lost/.test(l.msg + String(l.err ?? ''))), { what: 'the drop to be noticed', daemon });
    const t0 = Date.now();
    const exit = await daemon.stop('SIGTERM', 30_000);
    const took = Date.now() - t0;
    await sshd.restart();
    expect(exit.code).toBe(0);
    expect(took).toBeLessThan(8000);
  }, 90_000);
});
