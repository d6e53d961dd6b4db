/**
 * A private OpenSSH server for tests: `/usr/sbin/sshd -D -e -f CONFIG` on 127.0.0.1 and a free port,
 * with its own ed25519 host key and an authorized client key, all in a temp dir. Readiness is the
 * server's SSH banner on the port (polled with a deadline, never a fixed sleep).
 *
 * Users: the tests run as root, so the server admits the current user with the client key
 * (`PermitRootLogin yes`). When running as root it also creates one local account for password tests
 * (`passwordUser()`), with a password known only to this process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  /** `SHA256:...` of the server's host key, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** Path of the server's public host key. */
  hostKeyPubPath: string;
  /** The authorized client private key (OpenSSH format text). */
  clientKey: string;
  /** The current user, admitted with `clientKey`. */
  username: string;
  /** A directory the tests may fill (absolute path on the server, which shares this file system). */
  root: string;
  /** The temp dir holding everything (config, keys, root). */
  dir: string;
  /** Server's stderr so far (for debugging failed tests). */
  log(): string;
  /** SIGTERM and wait for the exit (connections included). */
  stop(): Promise<void>;
  /** SIGKILL the server and every connection process: a hard drop. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same keys. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT the server and its connection processes: a server that stops answering. */
  pause(): void;
  resume(): void;
  /** Stops the server and removes the temp dir. */
  cleanup(): Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  if (!(await fs.stat(SSHD).catch(() => undefined))) throw new Error(`${SSHD} is not installed (Debian package openssh-server)`);
  await fs.mkdir('/run/sshd', { recursive: true }).catch(() => undefined);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-sshd-'));
  const root = path.join(dir, 'root');
  await fs.mkdir(root);
  await fs.chmod(dir, 0o755);
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKeyPath = path.join(dir, 'client_ed25519');
  await Promise.all([
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'wharf-test-host', '-f', hostKey]),
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'wharf-test-client', '-f', clientKeyPath]),
  ]);
  const authorized = path.join(dir, 'authorized_keys');
  await fs.copyFile(`${clientKeyPath}.pub`, authorized);
  await fs.chmod(authorized, 0o644);
  const fp = (await run('ssh-keygen', ['-lf', `${hostKey}.pub`])).stdout.split(/\s+/)[1]!;
  const username = os.userInfo().username;

  let port = 0;
  let child: ChildProcess | undefined;
  let stderr = '';
  const configPath = path.join(dir, 'sshd_config');
  const writeConfig = () =>
    fs.writeFile(
      configPath,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'StrictModes no',
        'UsePAM no',
        'PermitRootLogin yes',
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'UseDNS no',
        'PrintMotd no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'LogLevel ERROR',
        'MaxStartups 100',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );

  const launch = async (): Promise<void> => {
    await writeConfig();
    const proc = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${stderr.trim()}`))));
    exited.catch(() => undefined);
    await Promise.race([waitForBanner(port, 10_000), exited]);
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      // Another process took the port between our probe and sshd's bind: try another one.
      if (attempt >= 4) throw err;
    }
  }

  const signalAll = (signal: NodeJS.Signals) => {
    if (!child?.pid || child.exitCode !== null) return;
    for (const pid of [...descendants(child.pid), child.pid]) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  const waitExit = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => c.once('exit', () => resolve()));
  };

  // A test that crashes before cleanup() must not leave a server running after the worker exits.
  const onExit = () => signalAll('SIGKILL');
  process.once('exit', onExit);

  const sshd: Sshd = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    hostKeyFingerprint: fp,
    hostKeyPubPath: `${hostKey}.pub`,
    clientKey: readFileSync(clientKeyPath, 'utf8'),
    username,
    root,
    dir,
    log: () => stderr,
    async stop() {
      signalAll('SIGTERM');
      await waitExit();
    },
    async kill() {
      signalAll('SIGKILL');
      await waitExit();
    },
    async restart() {
      await sshd.stop();
      await launch();
    },
    pause() {
      signalAll('SIGSTOP');
    },
    resume() {
      signalAll('SIGCONT');
    },
    async cleanup() {
      process.off('exit', onExit);
      await sshd.kill();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return sshd;
}

/**
 * A local account with a password, for password-auth tests (root only; undefined otherwise). The
 * password is fresh per process and the shell is nologin: sshd's internal-sftp needs no shell.
 */
export async function passwordUser(): Promise<{ username: string; password: string } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const username = 'wharf-sftp-test';
  const password = randomBytes(12).toString('hex');
  try {
    await run('id', [username]).catch(() => run('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', username]));
    await new Promise<void>((resolve, reject) => {
      const p = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed: ${err}`))));
      p.stdin!.end(`${username}:${password}\n`);
    });
    return { username, password };
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once the port answers with an SSH banner; rejects after the deadline. */
export async function waitForBanner(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      const done = (v: boolean) => {
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

/** Every process below `pid` (sshd forks a process per connection). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
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
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs: number, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
