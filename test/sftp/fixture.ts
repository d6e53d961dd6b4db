import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { isRetryable } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { SftpChannelConfig } from '../../src/transports/sftp/config.js';
import { SftpSource, type SeenStore } from '../../src/sources/sftp/source.js';
import type { ReadyFile } from '../../src/pipeline/ports.js';
import type { NoticeBoard } from '../../src/sources/notices.js';
import type { Sshd } from '../helpers/sshd.js';
import { REPO } from '../helpers/cli.js';

/** A channel config reaching the test server with the client key; short times so tests are quick. */
export function channelConfig(sshd: Sshd, overrides: Partial<SftpChannelConfig> = {}): SftpChannelConfig {
  return {
    type: 'sftp',
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.clientKey,
    hostKey: sshd.hostKeyFingerprint,
    paths: [path.join(sshd.root, 'in')],
    files: [{ pattern: '*.csv', mapping: 'test-orders-csv' }],
    minAge: 0,
    connectTimeout: 5,
    operationTimeout: 10,
    keepaliveInterval: 2,
    ...overrides,
  };
}

export class MemorySeen implements SeenStore {
  readonly keys = new Set<string>();
  async has(key: string) {
    return this.keys.has(key);
  }
  async add(key: string) {
    this.keys.add(key);
  }
  async remove(key: string) {
    this.keys.delete(key);
  }
}

const tempDirs: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

// Registered in the root suite of every test file that imports this module.
afterAll(async () => {
  await Promise.all(tempDirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
});

export async function makeSource(sshd: Sshd, overrides: Partial<SftpChannelConfig> = {}, extra: { seen?: SeenStore; channel?: string; merchant?: string; notices?: NoticeBoard } = {}) {
  const local = await tempDir('wharf-sftp-local-');
  const seen = extra.seen ?? new MemorySeen();
  const source = new SftpSource({
    config: channelConfig(sshd, overrides),
    merchant: extra.merchant ?? 'acme',
    channel: extra.channel ?? 'acme-sftp',
    stagingDir: path.join(local, 'staging'),
    quarantineDir: path.join(local, 'quarantine'),
    logger: silentLogger(),
    seen,
    notices: extra.notices,
    backoff: { initialMs: 50, maxMs: 200 },
  });
  return { source, seen, local, staging: path.join(local, 'staging'), quarantine: path.join(local, 'quarantine') };
}

export async function readAll(file: ReadyFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of file.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Polls until at least `count` files were returned in total (polls are driven explicitly). */
export async function pollUntil(source: SftpSource, count: number, timeoutMs = 10_000): Promise<ReadyFile[]> {
  const got: ReadyFile[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count) {
    try {
      got.push(...(await source.poll()));
    } catch (err) {
      // Like the daemon: a retryable failure (server restarting, back-off) means "try the next poll".
      if (!isRetryable(err) || Date.now() > deadline) throw err;
    }
    if (got.length >= count) break;
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${count} files after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return got;
}

export async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

/** An empty folder `name` in the sshd's root (removed first if a test left it behind). */
export async function freshDir(sshd: Sshd, name: string): Promise<string> {
  const dir = path.join(sshd.root, name);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Writes `<work>/wharf<suffix>.yaml`: one SFTP channel (`<merchant>/sftp`, default `acme`) on the
 * test server reading `inbox`, with its ledger, `var` and `warehouse` under `work` (the suffix keeps
 * several configs apart). No `hostKey` writes the placeholder comment a new user starts from. `extra`
 * adds channel lines (indented 8 spaces), `top` top-level lines. Returns the config's path.
 */
export async function writeSftpCliConfig(sshd: Sshd, o: {
  work: string; inbox: string; hostKey?: string; suffix?: string; merchant?: string; files?: string;
  keyFile?: string; extra?: string; top?: string;
}): Promise<string> {
  const sfx = o.suffix ?? '';
  const file = path.join(o.work, `wharf${sfx}.yaml`);
  const hostKey = o.hostKey ? `hostKey: "${o.hostKey}"` : `# hostKey: run \`wharf trust-host ${o.merchant ?? 'acme'}/sftp\` and paste the fingerprint here`;
  await fs.writeFile(
    file,
    `ledger: { path: ${o.work}/wharf${sfx}.sqlite }
mappings: ${path.join(REPO, 'mappings')}
dataDir: ${o.work}/var${sfx}
${o.top ?? ''}warehouse:
  orders: { path: ${o.work}/warehouse${sfx} }
merchants:
  ${o.merchant ?? 'acme'}:
    channels:
      sftp:
        type: sftp
        host: 127.0.0.1
        port: ${sshd.port}
        username: ${sshd.username}
        privateKey: file:${o.keyFile ?? path.join(o.work, 'client_key')}
        ${hostKey}
        paths: [${o.inbox}]
        files: [${o.files ?? '{ pattern: "*.csv", mapping: demo-orders-csv }'}]
        minAge: 0
        connectTimeout: 5
${o.extra ?? ''}`,
  );
  return file;
}
