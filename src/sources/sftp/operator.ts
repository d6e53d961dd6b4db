import { promises as dns } from 'node:dns';
import { isIP, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TransportError, WharfError, describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { normaliseRemoteDir, resolveSftpConnection, sftpConfigDefaults, type SftpChannelConfig } from '../../transports/sftp/config.js';
import { SftpConnection, isNoSuchFile, isPermissionDenied } from '../../transports/sftp/connection.js';
import { fingerprintOf, keyTypeOf, normalisePin } from '../../transports/sftp/hostkey.js';
import { resolveEntry } from './listing.js';
import { compileRules, mappingFor } from '../pattern.js';
import { isIgnoredName, undecodableRemoteName, unsafeNameReason, doneSuffixOf } from '../../transports/names.js';
import { describeWaiting as waitingLine } from '../waiting.js';

/**
 * `wharf trust-host CHANNEL`: connects, captures the host key the server offers during key exchange,
 * and aborts before authentication. Nothing is sent but the SSH handshake.
 */
export async function fetchHostKeyFingerprint(host: string, port: number, timeoutMs: number): Promise<{ fingerprint: string; keyType: string }> {
  const { Client } = await import('ssh2'); // loaded on first use, like src/transports/sftp/connection.ts
  return new Promise((resolve, reject) => {
    const client = new Client();
    let done = false;
    const finish = (err: Error | undefined, value?: { fingerprint: string; keyType: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.removeAllListeners('error');
      client.on('error', () => undefined); // the abort below surfaces as an error; nobody cares
      client.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new TransportError(`no SSH handshake from ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`, { where: `${host}:${port}` })), timeoutMs);
    client.on('error', (err: Error & { code?: string }) => finish(connectError(host, port, err)));
    client.on('close', () => finish(new TransportError(`${host}:${port} closed the connection before offering a host key`, { where: `${host}:${port}` })));
    client.connect({
      host,
      port,
      username: 'wharf-trust-host',
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        finish(undefined, { fingerprint: fingerprintOf(key), keyType: keyTypeOf(key) });
        return false;
      },
    });
  });
}

function connectError(host: string, port: number, err: Error & { code?: string }): WharfError {
  const where = `${host}:${port}`;
  if (err.code === 'ECONNREFUSED') return new TransportError(`connection refused by ${where}: nothing listens on port ${port}`, { where }, err);
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new TransportError(`the host name ${host} could not be resolved`, { where }, err);
  return new TransportError(`connecting to ${where}: ${err.message}`, { where }, err);
}

export interface ConnectionStep {
  step: string;
  ok: boolean;
  detail: string;
}

/**
 * `wharf test-connection CHANNEL` for SFTP: walks the way from the name to the directories, one step
 * at a time, and explains the first thing that fails in plain words. Connection steps stop at the
 * first failure; directory steps are checked one by one.
 */
export async function testSftpConnection(
  config: SftpChannelConfig,
  logger: Logger,
  options: { channel?: string } = {},
): Promise<{ ok: boolean; steps: ConnectionStep[] }> {
  const steps: ConnectionStep[] = [];
  const add = (step: string, ok: boolean, detail: string) => {
    steps.push({ step, ok, detail });
    return ok;
  };
  const result = () => ({ ok: steps.every((s) => s.ok), steps });
  const host = config.host;
  const port = config.port ?? sftpConfigDefaults.port;
  const timeoutMs = (config.connectTimeout ?? sftpConfigDefaults.connectTimeout) * 1000;
  const trustHint = `run \`wharf trust-host ${options.channel ?? 'CHANNEL'}\`, confirm the fingerprint with the server's operator, and set it as hostKey`;

  // 1. DNS
  if (isIP(host)) {
    add('dns', true, `${host} is an IP address; no lookup needed`);
  } else {
    try {
      const addrs = await dns.lookup(host, { all: true });
      add('dns', true, `${host} resolves to ${addrs.map((a) => a.address).join(', ')}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      add('dns', false, code === 'ENOTFOUND'
        ? `the host name ${host} does not exist in DNS: check the spelling of host`
        : `the host name ${host} could not be looked up (${code ?? describeError(err)}): check this machine's DNS settings`);
      return result();
    }
  }

  // 2. TCP
  const tcp = await tcpProbe(host, port, timeoutMs);
  if (tcp === 'ok') add('tcp', true, `port ${port} on ${host} accepts connections`);
  else {
    add('tcp', false, tcp === 'refused'
      ? `connection refused: nothing listens on port ${port} at ${host}. Is the SSH server running, and is the port right?`
      : tcp === 'timeout'
        ? `no answer from ${host}:${port} within ${timeoutMs / 1000} s: the host is down, or a firewall drops the traffic (ask for this machine's IP address to be allowed)`
        : `cannot reach ${host}:${port}: ${tcp}`);
    return result();
  }

  // 3. Host key
  const pinned = normalisePin(config.hostKey);
  try {
    const offered = await fetchHostKeyFingerprint(host, port, timeoutMs);
    if (!pinned) add('host key', false, `no hostKey is pinned; the server offers ${offered.fingerprint} (${offered.keyType}). To trust it, ${trustHint}`);
    else if (offered.fingerprint === pinned) add('host key', true, `the server's ${offered.keyType} key ${offered.fingerprint} matches the pinned fingerprint`);
    else add('host key', false, `the server offers ${offered.fingerprint} (${offered.keyType}) but hostKey pins ${pinned}. If the server's key was changed on purpose, ${trustHint}; otherwise the connection may be intercepted`);
  } catch (err) {
    add('host key', false, `the server did not complete the SSH handshake: ${describeError(err)}. Is this really an SSH server?`);
  }
  if (!steps[steps.length - 1]!.ok) return result();

  // 4. Authentication (and the SFTP subsystem)
  let settings;
  try {
    settings = resolveSftpConnection(config, options.channel);
  } catch (err) {
    add('authentication', false, describeError(err));
    return result();
  }
  const conn = new SftpConnection({ settings, logger, channel: options.channel });
  try {
    try {
      await conn.connect();
      add('authentication', true, `logged in as ${config.username} with ${config.privateKey ? 'the private key' : 'the password'}; SFTP is available`);
    } catch (err) {
      const w = err as WharfError;
      add('authentication', false, w.code === 'AUTH_FAILED'
        ? `the server refused the login of user "${config.username}". ${w.details.hint ?? ''}`.trim()
        : describeError(err));
      return result();
    }

    // 5. Each directory, then 6. write access where afterImport needs it.
    const mode = config.afterImport ?? sftpConfigDefaults.afterImport;
    const archiveFolder = config.archiveFolder ?? sftpConfigDefaults.archiveFolder;
    for (const dir of (config.paths ?? []).map(normaliseRemoteDir)) {
      let listed = false;
      try {
        const entries = await conn.readdir(dir);
        listed = add(`list ${dir}`, true, `readable; ${await describeWaiting(conn, dir, entries, config)}`);
      } catch (err) {
        add(`list ${dir}`, false, isNoSuchFile(err)
          ? `the directory ${dir} does not exist on the server (paths are ${dir.startsWith('/') ? 'absolute' : 'relative to the login directory'}); check paths, or ask for it to be created`
          : isPermissionDenied(err)
            ? `user ${config.username} may not read ${dir}: ask the server's operator for read permission`
            : describeError(err));
      }
      if (!listed) continue;
      if (mode === 'keep') {
        add(`write ${dir}`, true, 'afterImport is keep: Wharf never writes here, so read access is enough');
        continue;
      }
      // Nothing is created here: when the archive folder does not exist yet, write access is checked
      // where the daemon will create it.
      const archiveDir = path.posix.join(dir, archiveFolder);
      const archiveStat = mode === 'archive' ? await conn.statIfExists(archiveDir).catch(() => undefined) : undefined;
      const archiveExists = archiveStat !== undefined && (await conn.isDirectory(archiveDir, archiveStat));
      const probeDir = archiveExists ? archiveDir : dir;
      const probe = path.posix.join(probeDir, `.wharf-probe-${randomBytes(4).toString('hex')}`);
      const stepName = `write ${probeDir}`;
      try {
        await conn.writeNewFile(probe, Buffer.from('wharf test-connection probe\n'));
        await conn.unlink(probe);
        add(stepName, true, mode === 'archive'
          ? archiveExists ? `can create files in the archive folder ${probeDir}` : `can create files in ${dir}, where the archive folder ${archiveFolder}/ will be created at the first import`
          : `can create and remove files in ${dir} (needed to delete imported files)`);
      } catch (err) {
        await conn.unlinkIfExists(probe).catch(() => undefined);
        add(stepName, false, isPermissionDenied(err)
          ? `user ${config.username} may not write to ${probeDir}: afterImport ${mode} needs write access there. Ask for write permission, or set afterImport: keep for a read-only account`
          : describeError(err));
      }
    }
  } finally {
    await conn.close();
  }
  return result();
}

/**
 * What waits in a directory, counted as the source would see it: files a pattern takes, files it
 * leaves alone and why (no pattern, a link outside the folder, not a regular file). Folders are not
 * files; ignored names (dotfiles, *.tmp, *.part) are not counted.
 */
async function describeWaiting(conn: SftpConnection, dir: string, entries: { filename: string; longname: string; attrs: { mode: number; size: number; mtime: number } }[], config: SftpChannelConfig): Promise<string> {
  const rules = compileRules(config.files ?? []);
  let real: Promise<string> | undefined;
  const rootReal = () => (real ??= conn.realpath(dir));
  const d = sftpConfigDefaults;
  const doneSuffix = doneSuffixOf(config.doneFiles, d.doneFileSuffix);
  const own = new Set([config.archiveFolder ?? d.archiveFolder, config.errorFolder ?? d.errorFolder]);
  const names = new Set(entries.map((e) => e.filename));
  let taken = 0;
  const awaitingDone: string[] = [];
  const unmatched: string[] = [];
  const refused: string[] = [];
  for (const e of entries) {
    if (e.filename === '.' || e.filename === '..' || isIgnoredName(e.filename)) continue;
    if (undecodableRemoteName(e.filename)) {
      refused.push(`${e.filename} (name not valid UTF-8; rename it on the server)`);
      continue;
    }
    const unsafe = unsafeNameReason(e.filename);
    if (unsafe) {
      refused.push(`${JSON.stringify(e.filename)} (${unsafe})`);
      continue;
    }
    const r = await resolveEntry(conn, dir, rootReal, e);
    if (r.type === 'directory') {
      if (!(config.recursive ?? d.recursive) && !own.has(e.filename) && mappingFor(rules, e.filename)) refused.push(`${e.filename} (a folder, not a file)`);
      continue;
    }
    if (doneSuffix && e.filename.endsWith(doneSuffix)) {
      if (!names.has(e.filename.slice(0, -doneSuffix.length))) refused.push(`${e.filename} (done-file without its data file)`);
      continue;
    }
    if (r.type !== 'file') refused.push(`${e.filename} (${r.refusal ?? 'not a regular file'})`);
    else if (!mappingFor(rules, e.filename)) unmatched.push(e.filename);
    else if (doneSuffix && !names.has(e.filename + doneSuffix)) awaitingDone.push(e.filename);
    else taken++;
  }
  return waitingLine({ taken, awaitingDone, unmatched, refused }, doneSuffix);
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<'ok' | 'refused' | 'timeout' | string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (r: string) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done('timeout'));
    socket.once('connect', () => done('ok'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ETIMEDOUT' ? 'timeout' : err.message));
    socket.connect(port, host);
  });
}
