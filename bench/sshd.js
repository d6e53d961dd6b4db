// A private OpenSSH server for the SFTP benchmark, started like test/helpers/sshd.ts does:
// `/usr/sbin/sshd -D -e -f CONFIG` on 127.0.0.1 and a free port, own ed25519 host key, one authorized
// client key for the current user (root), `internal-sftp`. Ready when the port answers with a banner.
import { execFile, spawn } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export async function startSshd(dir) {
  if (!(await fs.stat(SSHD).catch(() => undefined))) throw new Error(`${SSHD} is not installed (Debian package openssh-server)`);
  await fs.mkdir('/run/sshd', { recursive: true }).catch(() => undefined);
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o755);
  const root = path.join(dir, 'root');
  await fs.mkdir(root, { recursive: true });
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKeyPath = path.join(dir, 'client_ed25519');
  await Promise.all([
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'wharf-bench-host', '-f', hostKey]),
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'wharf-bench-client', '-f', clientKeyPath]),
  ]);
  const authorized = path.join(dir, 'authorized_keys');
  await fs.copyFile(`${clientKeyPath}.pub`, authorized);
  await fs.chmod(authorized, 0o644);
  const fingerprint = (await run('ssh-keygen', ['-lf', `${hostKey}.pub`])).stdout.split(/\s+/)[1];
  const port = await freePort();
  const configPath = path.join(dir, 'sshd_config');
  await fs.writeFile(configPath, [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorized}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UseDNS no',
    'PrintMotd no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'LogLevel ERROR',
    'MaxStartups 100',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n'));
  let stderr = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${stderr.trim()}`))));
  exited.catch(() => undefined);
  await Promise.race([waitForBanner(port, 10_000), exited]);
  const killAll = () => {
    for (const pid of [...descendants(child.pid), child.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  process.once('exit', killAll);
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHosts = path.join(dir, 'known_hosts');
  await fs.writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
  return {
    host: '127.0.0.1',
    port,
    fingerprint,
    clientKeyPath,
    knownHosts,
    username: os.userInfo().username,
    root,
    /** sshd plus one process per open connection. */
    pids: () => [child.pid, ...descendants(child.pid)],
    async stop() {
      process.off('exit', killAll);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      killAll();
      await done;
    },
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForBanner(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      const done = (v) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(1000, () => done(false));
      s.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
      s.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not answer on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}
