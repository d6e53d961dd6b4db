import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { fetchHostKeyFingerprint, testSftpConnection } from '../../src/sources/sftp/operator.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { channelConfig, listDir } from './fixture.js';

let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.cleanup();
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('fetchHostKeyFingerprint (wharf trust-host)', () => {
  it('prints what ssh-keygen -lf prints for the server key', async () => {
    const keygen = (await promisify(execFile)('ssh-keygen', ['-lf', sshd.hostKeyPubPath])).stdout.split(/\s+/)[1];
    const got = await fetchHostKeyFingerprint('127.0.0.1', sshd.port, 5000);
    expect(got).toEqual({ fingerprint: keygen, keyType: 'ssh-ed25519' });
  });

  it('says so when nothing listens', async () => {
    await expect(fetchHostKeyFingerprint('127.0.0.1', await closedPort(), 5000)).rejects.toThrow(/connection refused/);
  });
});

describe('testSftpConnection (wharf test-connection)', () => {
  it('passes every step for a good channel, probing write access and creating nothing', async () => {
    const dir = path.join(sshd.root, 'tc-ok');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'waiting.csv'), 'x');
    const res = await testSftpConnection(channelConfig(sshd, { paths: [dir] }), silentLogger(), { channel: 'acme-sftp' });
    expect(res.steps.map((s) => s.step)).toEqual(['dns', 'tcp', 'host key', 'authentication', `list ${dir}`, `write ${dir}`]);
    expect(res.steps.filter((s) => !s.ok)).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.steps[4]!.detail).toContain('1 file(s) waiting');
    expect(res.steps[5]!.detail).toContain('where the archive folder archive/ will be created');
    expect(await listDir(dir)).toEqual(['waiting.csv']); // no archive folder, no probe left
    // With the archive folder in place, its write access is what is checked.
    await fs.mkdir(path.join(dir, 'archive'));
    const again = await testSftpConnection(channelConfig(sshd, { paths: [dir] }), silentLogger(), { channel: 'acme-sftp' });
    expect(again.steps.at(-1)).toMatchObject({ step: `write ${dir}/archive`, ok: true });
    expect(await listDir(path.join(dir, 'archive'))).toEqual([]);
  });

  it('counts waiting files as the source sees them: folders are not files, skipped files are named', async () => {
    const dir = path.join(sshd.root, 'tc-count');
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(path.join(dir, 'folder.csv'), { recursive: true });
    await fs.writeFile(path.join(dir, 'a.csv'), 'x');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'x');
    await fs.writeFile(path.join(dir, '.upload.csv'), 'x');
    await fs.symlink('/etc/hostname', path.join(dir, 'escape.csv'));
    const res = await testSftpConnection(channelConfig(sshd, { paths: [dir], afterImport: 'keep' }), silentLogger());
    const detail = res.steps.find((s) => s.step === `list ${dir}`)!.detail;
    expect(detail).toContain('1 file(s) waiting that a pattern takes');
    expect(detail).toContain('1 file(s) no pattern matches, left alone: notes.txt');
    expect(detail).toMatch(/2 not taken: .*escape\.csv \(it is a symbolic link to \/etc\/hostname, outside/);
    expect(detail).toContain('folder.csv (a folder, not a file)');
  });

  it('counts as the source does: data files waiting for their done-file, lone done-files, names not valid UTF-8', async () => {
    const dir = path.join(sshd.root, 'tc-done');
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'early.csv'), 'x');
    await fs.writeFile(path.join(dir, 'ready.csv'), 'x');
    await fs.writeFile(path.join(dir, 'ready.csv.done'), '');
    await fs.writeFile(path.join(dir, 'lonely.csv.done'), '');
    await fs.writeFile(Buffer.concat([Buffer.from(`${dir}/lat`), Buffer.from([0xe9]), Buffer.from('.csv')]), 'x');
    const res = await testSftpConnection(channelConfig(sshd, { paths: [dir], afterImport: 'keep', doneFiles: true }), silentLogger());
    const detail = res.steps.find((s) => s.step === `list ${dir}`)!.detail;
    expect(detail).toContain('1 file(s) waiting that a pattern takes');
    expect(detail).toContain('1 file(s) waiting for their done-file (.done): early.csv');
    expect(detail).toContain('lonely.csv.done (done-file without its data file)');
    expect(detail).toContain('lat\uFFFD.csv (name not valid UTF-8; rename it on the server)');
  });

  it('explains a refused port', async () => {
    const res = await testSftpConnection(channelConfig(sshd, { port: await closedPort() }), silentLogger());
    expect(res.ok).toBe(false);
    const last = res.steps.at(-1)!;
    expect(last.step).toBe('tcp');
    expect(last.detail).toMatch(/connection refused: nothing listens on port \d+/);
  });

  it('explains a host key that does not match the pin', async () => {
    const res = await testSftpConnection(channelConfig(sshd, { hostKey: 'SHA256:' + 'B'.repeat(43) }), silentLogger(), { channel: 'acme-sftp' });
    const last = res.steps.at(-1)!;
    expect(last).toMatchObject({ step: 'host key', ok: false });
    expect(last.detail).toContain(`the server offers ${sshd.hostKeyFingerprint}`);
    expect(last.detail).toContain('wharf trust-host acme-sftp');
  });

  it('explains a client key the server refuses', async () => {
    const wrongKey = await fs.readFile(path.join(sshd.dir, 'host_ed25519'), 'utf8');
    const res = await testSftpConnection(channelConfig(sshd, { privateKey: wrongKey }), silentLogger());
    const last = res.steps.at(-1)!;
    expect(last).toMatchObject({ step: 'authentication', ok: false });
    expect(last.detail).toContain(`refused the login of user "${sshd.username}"`);
  });

  it('explains a missing directory and keeps checking the others', async () => {
    const good = path.join(sshd.root, 'tc-good');
    await fs.mkdir(good, { recursive: true });
    const missing = path.join(sshd.root, 'tc-missing');
    const res = await testSftpConnection(channelConfig(sshd, { paths: [missing, good], afterImport: 'keep' }), silentLogger());
    expect(res.ok).toBe(false);
    const byStep = Object.fromEntries(res.steps.map((s) => [s.step, s]));
    expect(byStep[`list ${missing}`]).toMatchObject({ ok: false });
    expect(byStep[`list ${missing}`]!.detail).toContain('does not exist on the server');
    expect(byStep[`list ${good}`]).toMatchObject({ ok: true });
    expect(byStep[`write ${good}`]!.detail).toContain('keep');
  });

  it('explains a directory the user may not write to (archive mode)', async (ctx) => {
    // Needs a non-root login: root ignores permissions. Uses the password test account when available.
    const { passwordUser } = await import('../helpers/sshd.js');
    const user = await passwordUser();
    if (!user) return ctx.skip();
    const dir = path.join(sshd.root, 'tc-readonly');
    await fs.mkdir(dir, { recursive: true });
    await fs.chmod(dir, 0o755);
    const res = await testSftpConnection(channelConfig(sshd, { paths: [dir], username: user.username, password: user.password, privateKey: undefined }), silentLogger());
    const last = res.steps.at(-1)!;
    expect(last).toMatchObject({ step: `write ${dir}`, ok: false });
    expect(last.detail).toContain(`may not write to ${dir}`);
  });
});
