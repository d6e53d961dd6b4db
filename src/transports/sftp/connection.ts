import path from 'node:path';
import type { Client, ConnectConfig, FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import { TransportError, WharfError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ResolvedSftpConnection } from './config.js';
import { fingerprintOf, hostKeyMismatch, keyTypeOf, normalisePin } from './hostkey.js';

/**
 * The connection supervisor of one SFTP channel, shared by its source and destination.
 *
 * - One SSH connection, reused across polls, with keepalives. Up to `maxSessions` SFTP sessions are
 *   opened on it lazily; SFTP pipelines requests, so many transfers share them.
 * - Every remote call goes through `run`, which arms a no-progress timer: nothing ever hangs. A timeout
 *   is taken as a dead link: the whole connection is dropped and re-opened by the next call.
 * - A drop (server gone, keepalive timeout, operation timeout) fails every in-flight call with a
 *   retryable TransportError. The next call reconnects at once; further failed attempts wait with
 *   exponential back-off and jitter, during which calls fail fast with "not connected".
 * - Host keys are checked against the pinned SHA256 fingerprint; a mismatch or a missing pin fails
 *   closed with HOST_KEY_MISMATCH (not retryable), a refused login with AUTH_FAILED.
 */
export interface SftpConnectionOptions {
  settings: ResolvedSftpConnection;
  logger: Logger;
  /** Channel name, for log lines and the `wharf trust-host CHANNEL` hint. */
  channel?: string;
  merchant?: string;
  /** Back-off between failed connection attempts (defaults: 1 s doubling to 60 s, with jitter). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** SFTP sessions to open on the SSH connection (default: min(concurrency, 4)). */
  maxSessions?: number;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that callers act on. */
export const SFTP_STATUS = { EOF: 1, NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4, OP_UNSUPPORTED: 8 } as const;

/** The SFTP status code behind an error from this module, if the server sent one. */
export function sftpStatusOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export const isNoSuchFile = (err: unknown): boolean => sftpStatusOf(err) === SFTP_STATUS.NO_SUCH_FILE;
export const isPermissionDenied = (err: unknown): boolean => sftpStatusOf(err) === SFTP_STATUS.PERMISSION_DENIED;

interface Session {
  sftp: SFTPWrapper;
  load: number;
}

interface Generation {
  client: Client;
  sessions: Session[];
  opening: number;
  maxSessions: number;
  pending: Set<(err: WharfError) => void>;
  dead: boolean;
}

type Done<T> = (err: Error | null | undefined, value?: T) => void;

export class SftpConnection {
  readonly settings: ResolvedSftpConnection;
  /** `user@host:port`, for messages (never contains secrets). */
  readonly target: string;
  private readonly logger: Logger;
  private readonly channel?: string;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxSessions: number;
  private gen?: Generation;
  private connecting?: Promise<Generation>;
  private failures = 0;
  private nextAttemptAt = 0;
  private lastError?: WharfError;

  constructor(options: SftpConnectionOptions) {
    this.settings = options.settings;
    const s = options.settings;
    this.target = `${s.username}@${s.host}:${s.port}`;
    this.channel = options.channel;
    this.logger = options.logger.child({ sftp: { host: s.host, port: s.port, username: s.username }, channel: options.channel, merchant: options.merchant });
    this.backoffInitialMs = options.backoff?.initialMs ?? 1000;
    this.backoffMaxMs = options.backoff?.maxMs ?? 60_000;
    this.maxSessions = Math.max(1, options.maxSessions ?? Math.min(s.concurrency, 4));
  }

  get connected(): boolean {
    return Boolean(this.gen && !this.gen.dead);
  }

  /** Connects if needed (or fails fast during back-off). */
  async connect(): Promise<void> {
    await this.ensure();
  }

  /** Ends the connection; in-flight calls fail with a TransportError. A later call reconnects. */
  async close(): Promise<void> {
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const gen = this.gen;
    if (!gen) return;
    this.gen = undefined;
    const closed = new Promise<void>((resolve) => {
      if (gen.dead) return resolve();
      gen.client.once('close', () => resolve());
      setTimeout(resolve, 2000).unref();
    });
    this.kill(gen, new TransportError(`connection to ${this.target} was closed`), false);
    await closed;
  }

  // ---------------------------------------------------------------- operations

  readdir(dir: string): Promise<FileEntryWithStats[]> {
    return this.run('listing directory', dir, (sftp, done) => sftp.readdir(dir, done));
  }

  stat(p: string): Promise<Stats> {
    return this.run('reading file attributes', p, (sftp, done) => sftp.stat(p, done));
  }

  /** The canonical absolute path of `p` (symbolic links resolved), as the server sees it. */
  realpath(p: string): Promise<string> {
    return this.run<string>('resolving path', p, (sftp, done) => sftp.realpath(p, (err, abs) => done(err, abs)));
  }

  /** `stat`, but `undefined` for a path that does not exist. */
  async statIfExists(p: string): Promise<Stats | undefined> {
    try {
      return await this.stat(p);
    } catch (err) {
      if (isNoSuchFile(err)) return undefined;
      throw err;
    }
  }

  /** Creates a directory and its missing parents; fine when it exists already. */
  async mkdirp(dir: string): Promise<void> {
    const existing = await this.statIfExists(dir);
    if (existing) {
      if (await this.isDirectory(dir, existing)) return;
      throw new TransportError(`creating directory: ${dir} exists and is not a directory`, { where: dir });
    }
    const parent = path.posix.dirname(dir);
    if (parent !== dir && parent !== '.' && parent !== '/') await this.mkdirp(parent);
    try {
      await this.run<void>('creating directory', dir, (sftp, done) => sftp.mkdir(dir, (err) => done(err)));
    } catch (err) {
      // Someone else may have created it meanwhile (two channels archiving at once).
      const again = await this.statIfExists(dir);
      if (!again || !(await this.isDirectory(dir, again))) throw err;
    }
  }

  /**
   * Whether `p` (with its `stat`) is a directory. Servers that send no file-type bits (some Windows
   * and appliance servers) are asked by opening it as a directory.
   */
  async isDirectory(p: string, st: Stats): Promise<boolean> {
    if ((st.mode & 0o170000) !== 0) return st.isDirectory();
    return this.readdir(p).then(() => true, () => false);
  }

  /**
   * Plain SFTP rename. OpenSSH implements it with link()+unlink(), so it fails when the target exists
   * instead of overwriting it: just what archiving needs.
   */
  rename(from: string, to: string): Promise<void> {
    return this.run<void>('renaming', `${from} -> ${to}`, (sftp, done) => sftp.rename(from, to, (err) => done(err)));
  }

  /**
   * `posix-rename@openssh.com`: atomic, replaces the target. Resolves `false` (nothing done) when the
   * server lacks the extension.
   */
  posixRename(from: string, to: string): Promise<boolean> {
    return this.run<boolean>('renaming', `${from} -> ${to}`, (sftp, done) => {
      const ext = (sftp as unknown as { _extensions?: Record<string, string> })._extensions;
      if (ext?.['posix-rename@openssh.com'] !== '1') return done(null, false);
      sftp.ext_openssh_rename(from, to, (err) => done(err, true));
    });
  }

  unlink(p: string): Promise<void> {
    return this.run<void>('removing file', p, (sftp, done) => sftp.unlink(p, (err) => done(err)));
  }

  /** Removes a file; fine when it is already gone. */
  async unlinkIfExists(p: string): Promise<void> {
    try {
      await this.unlink(p);
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
    }
  }

  /**
   * Streams a remote file into a local file with parallel reads (bounded buffer: 64 x 32 KiB), so
   * memory does not grow with the file. Reads exactly `size` bytes when given (the listed size: a
   * file that grew meanwhile is caught by the caller's re-stat). The timer counts from the last chunk.
   */
  download(remote: string, local: string, size?: number): Promise<void> {
    return this.run<void>('downloading', remote, (sftp, done, touch) => {
      sftp.fastGet(remote, local, { fileSize: size && size > 0 ? size : undefined, step: () => touch() }, (err) => done(err));
    });
  }

  /**
   * Streams a local file to `remote` with parallel writes (ssh2 fastPut; memory does not grow with the
   * file). `remote` is created or truncated: callers pass a fresh temporary name. The timer counts
   * from the last chunk.
   */
  upload(local: string, remote: string): Promise<void> {
    return this.run<void>('uploading', remote, (sftp, done, touch) => {
      sftp.fastPut(local, remote, { step: () => touch() }, (err) => done(err));
    });
  }

  /** Reads a whole remote file into memory (for comparing small delivered files). */
  readFile(p: string): Promise<Buffer> {
    return this.run<Buffer>('reading file', p, (sftp, done) => sftp.readFile(p, (err, data) => done(err, data)));
  }

  /**
   * Creates `p` exclusively (fails if it exists), writes `data`, fsyncs where the server supports
   * `fsync@openssh.com`, and closes it. One operation for the timer: each step counts as progress.
   */
  writeNewFile(p: string, data: Buffer): Promise<void> {
    return this.run<void>('uploading', p, (sftp, done, touch) => {
      sftp.open(p, 'wx', 0o644, (err, handle) => {
        if (err) return done(err);
        const finish = (failure?: Error | null) => {
          sftp.close(handle, (closeErr) => done(failure ?? closeErr));
        };
        const CHUNK = 256 * 1024;
        const writeFrom = (offset: number) => {
          if (offset >= data.length) {
            const ext = (sftp as unknown as { _extensions?: Record<string, string> })._extensions;
            if (ext?.['fsync@openssh.com'] !== '1') return finish();
            return sftp.ext_openssh_fsync(handle, (syncErr) => finish(syncErr));
          }
          const len = Math.min(CHUNK, data.length - offset);
          sftp.write(handle, data, offset, len, offset, (writeErr) => {
            if (writeErr) return finish(writeErr);
            touch();
            writeFrom(offset + len);
          });
        };
        writeFrom(0);
      });
    });
  }

  // ---------------------------------------------------------------- machinery

  /**
   * Runs one SFTP call on a session of the current connection. `touch` re-arms the no-progress timer.
   * Errors come back as TransportError (`<verb phrase>: <reason>`) with the original as `cause`, so
   * `sftpStatusOf` still sees the SFTP status code.
   */
  async run<T>(what: string, where: string, start: (sftp: SFTPWrapper, done: Done<T>, touch: () => void) => void): Promise<T> {
    const gen = await this.ensure();
    const session = await this.session(gen);
    session.load++;
    const timeoutMs = this.settings.operationTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: unknown, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.load--;
        gen.pending.delete(onDrop);
        if (err) reject(this.wrap(what, where, err));
        else resolve(value as T);
      };
      const onDrop = (err: WharfError) => finish(err);
      gen.pending.add(onDrop);
      const touch = () => {
        // A late progress callback (fastGet's local write finishing after a drop) must not re-arm the
        // timer of an operation that has ended: that timer would keep a stopping process alive.
        if (settled) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          const err = new TransportError(`${what}: no progress for ${Math.round(timeoutMs / 1000)} s; dropping the connection to ${this.target}`, { where });
          finish(err);
          this.kill(gen, err);
        }, timeoutMs);
      };
      touch();
      try {
        start(session.sftp, (err, value) => finish(err ?? undefined, value), touch);
      } catch (err) {
        finish(err);
      }
    });
  }

  private wrap(what: string, where: string, err: unknown): WharfError {
    if (err instanceof WharfError) return err;
    const reason = describeSftpError(err);
    return new TransportError(`${what}: ${reason}`, { where }, err);
  }

  private async ensure(): Promise<Generation> {
    if (this.gen && !this.gen.dead) return this.gen;
    if (this.connecting) return this.connecting;
    const now = Date.now();
    if (now < this.nextAttemptAt && this.lastError) {
      if (!this.lastError.retryable) throw this.lastError;
      const wait = ((this.nextAttemptAt - now) / 1000).toFixed(1);
      throw new TransportError(`not connected to ${this.target} (${this.lastError.message}); next attempt in ${wait} s`, { where: this.target }, this.lastError);
    }
    this.connecting = this.open().then(
      (gen) => {
        this.failures = 0;
        this.nextAttemptAt = 0;
        this.lastError = undefined;
        this.gen = gen;
        return gen;
      },
      (err: WharfError) => {
        this.failures++;
        const base = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** (this.failures - 1));
        // Full jitter on the upper half: spreads many channels hitting one server after an outage.
        this.nextAttemptAt = Date.now() + base / 2 + Math.random() * (base / 2);
        this.lastError = err;
        this.logger.warn({ err: err.message, code: err.code, failures: this.failures }, 'sftp connect failed');
        throw err;
      },
    );
    try {
      return await this.connecting;
    } finally {
      this.connecting = undefined;
    }
  }

  private async open(): Promise<Generation> {
    const s = this.settings;
    const pinned = normalisePin(s.hostKey);
    // Loaded on first use: a process without SFTP (a folder-only flow) does not pay for ssh2's start-up.
    const { Client } = await import('ssh2');
    return new Promise<Generation>((resolve, reject) => {
      const client = new Client();
      let offered: { fingerprint: string; keyType: string } | undefined;
      let keyRejected = false;
      let settled = false;
      let gen: Generation | undefined;
      const overall = setTimeout(() => fail(new TransportError(`connecting to ${this.target}: no SSH login within ${Math.round(s.connectTimeoutMs / 1000)} s`, { where: this.target })), s.connectTimeoutMs + 1000);
      const fail = (err: WharfError) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        client.removeAllListeners('ready');
        client.destroy();
        reject(err);
      };
      client.on('ready', () => {
        const g: Generation = { client, sessions: [], opening: 0, maxSessions: this.maxSessions, pending: new Set(), dead: false };
        // Open the first SFTP session now: a server without the sftp subsystem fails here, not later.
        this.openSession(g).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(overall);
            gen = g;
            this.logger.info('sftp connected');
            resolve(g);
          },
          (err: unknown) => fail(this.wrap('opening SFTP session', this.target, err)),
        );
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (!settled) return fail(this.mapConnectError(err, offered, keyRejected, pinned));
        if (gen) this.kill(gen, new TransportError(`connection to ${this.target} lost: ${err.message}`, { where: this.target }, err));
      });
      client.on('close', () => {
        if (!settled) return fail(new TransportError(`connecting to ${this.target}: the server closed the connection during the handshake`, { where: this.target }));
        if (gen) this.kill(gen, new TransportError(`connection to ${this.target} lost`, { where: this.target }));
      });
      // Servers that check passwords through PAM often offer only keyboard-interactive: answer its
      // password prompt(s) with the configured password.
      if (s.password) {
        const password = s.password;
        client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)));
      }
      const config: ConnectConfig = {
        host: s.host,
        port: s.port,
        username: s.username,
        password: s.password,
        privateKey: s.privateKey,
        passphrase: s.passphrase,
        tryKeyboard: Boolean(s.password),
        readyTimeout: s.connectTimeoutMs,
        keepaliveInterval: s.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          offered = { fingerprint: fingerprintOf(key), keyType: keyTypeOf(key) };
          keyRejected = offered.fingerprint !== pinned;
          return !keyRejected;
        },
      };
      try {
        client.connect(config);
      } catch (err) {
        // ssh2 parses the private key synchronously; its message names the problem, never the key.
        fail(new WharfError('CONFIG_INVALID', `the privateKey for ${this.target} could not be used: ${(err as Error).message}`, {
          where: this.target,
          field: 'privateKey',
          hint: 'give an OpenSSH or PEM private key (not the .pub file), and the right passphrase if it is encrypted',
        }, { retryable: false, cause: err }));
      }
    });
  }

  private mapConnectError(err: Error & { level?: string; code?: string }, offered: { fingerprint: string; keyType: string } | undefined, keyRejected: boolean, pinned: string | undefined): WharfError {
    if (keyRejected && offered) return hostKeyMismatch(this.target, this.channel, offered, pinned);
    const hostPort = `${this.settings.host}:${this.settings.port}`;
    if (err.level === 'client-authentication') {
      const methods = [this.settings.privateKey ? 'public key' : '', this.settings.password ? 'password' : ''].filter(Boolean).join(' and ');
      return new WharfError('AUTH_FAILED', `the server at ${hostPort} refused the login of user "${this.settings.username}" (tried ${methods})`, {
        where: this.target,
        hint: this.settings.privateKey
          ? 'check the username, and ask the server operator to install the public half of privateKey for this user'
          : 'check the username and the password (and that the account is not locked)',
      }, { retryable: false, cause: err });
    }
    if (err.code === 'ECONNREFUSED') {
      return new TransportError(`connecting to ${hostPort}: connection refused (nothing listens on port ${this.settings.port}; is the SSH server running and the port right?)`, { where: this.target }, err);
    }
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
      return new TransportError(`connecting to ${hostPort}: the host name ${this.settings.host} could not be resolved (${err.code})`, { where: this.target, hint: 'check the spelling of host and the DNS of this machine' }, err);
    }
    if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
      return new TransportError(`connecting to ${hostPort}: no SSH login within ${Math.round(this.settings.connectTimeoutMs / 1000)} s (host down, firewall dropping traffic, or server overloaded)`, { where: this.target }, err);
    }
    return new TransportError(`connecting to ${hostPort}: ${err.message}`, { where: this.target }, err);
  }

  private async session(gen: Generation): Promise<Session> {
    let best = leastLoaded(gen.sessions);
    if ((!best || best.load > 0) && gen.sessions.length + gen.opening < gen.maxSessions) {
      try {
        best = await this.openSession(gen);
      } catch (err) {
        // The server allows fewer sessions per connection (MaxSessions): make do with those we have.
        if (gen.sessions.length === 0) throw this.wrap('opening SFTP session', this.target, err);
        gen.maxSessions = gen.sessions.length;
        this.logger.debug({ sessions: gen.maxSessions }, 'sftp server refused another session');
        best = leastLoaded(gen.sessions);
      }
    }
    if (!best) {
      // Sessions are being opened by concurrent callers; wait for one.
      if (gen.dead) throw new TransportError(`connection to ${this.target} lost`, { where: this.target });
      await new Promise((r) => setTimeout(r, 5));
      return this.session(gen);
    }
    return best;
  }

  private openSession(gen: Generation): Promise<Session> {
    gen.opening++;
    return new Promise<Session>((resolve, reject) => {
      let settled = false;
      const done = (err: unknown, sftp?: SFTPWrapper) => {
        if (settled) return;
        settled = true;
        gen.opening--;
        clearTimeout(timer);
        gen.pending.delete(onDrop);
        if (err || !sftp) return reject(err ?? new Error('no SFTP session'));
        const session: Session = { sftp, load: 0 };
        gen.sessions.push(session);
        const remove = () => {
          const i = gen.sessions.indexOf(session);
          if (i >= 0) gen.sessions.splice(i, 1);
        };
        sftp.on('close', remove);
        sftp.on('error', remove);
        resolve(session);
      };
      const onDrop = (err: WharfError) => done(err);
      gen.pending.add(onDrop);
      const timer = setTimeout(() => done(new TransportError(`opening SFTP session on ${this.target}: no answer within ${Math.round(this.settings.operationTimeoutMs / 1000)} s`)), this.settings.operationTimeoutMs);
      try {
        gen.client.sftp((err, sftp) => done(err, sftp));
      } catch (err) {
        done(err);
      }
    });
  }

  /** Marks a connection dead: fails in-flight calls, tears the socket down; the next call reconnects. */
  private kill(gen: Generation, err: WharfError, log = true): void {
    if (gen.dead) return;
    gen.dead = true;
    if (this.gen === gen) this.gen = undefined;
    const pending = [...gen.pending];
    gen.pending.clear();
    for (const reject of pending) reject(err);
    if (log) this.logger.warn({ err: err.message, inflight: pending.length }, 'sftp connection dropped');
    setImmediate(() => gen.client.destroy());
  }
}

function leastLoaded(sessions: Session[]): Session | undefined {
  let best: Session | undefined;
  for (const s of sessions) if (!best || s.load < best.load) best = s;
  return best;
}

/** Plain words for SFTP status errors; anything else keeps its own message. */
export function describeSftpError(err: unknown): string {
  const status = sftpStatusOf(err);
  const msg = err instanceof Error ? err.message : String(err);
  switch (status) {
    case SFTP_STATUS.NO_SUCH_FILE:
      return 'no such file or directory';
    case SFTP_STATUS.PERMISSION_DENIED:
      return 'permission denied';
    case SFTP_STATUS.OP_UNSUPPORTED:
      return 'the server does not support this operation';
    default:
      return msg === 'No response from server' ? 'the connection was lost before the server answered' : msg;
  }
}
