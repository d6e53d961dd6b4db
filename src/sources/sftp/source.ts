import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FileEntryWithStats } from 'ssh2';
import { ContentError, TransportError, WharfError, describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { writeFileAtomic } from '../../destinations/folder/atomic.js';
import { isIgnoredName, unsafeNameReason } from '../names.js';
import { writeQuarantine } from '../quarantine.js';
import type { FileSource, ReadyFile, SettleResult, Settlement } from '../types.js';
import { resolveSftpSource, type ResolvedSftpSource, type SftpChannelConfig } from './config.js';
import { SftpConnection, isNoSuchFile, sftpStatusOf } from './connection.js';
import { compileRules, mappingFor, type CompiledRule } from '../pattern.js';

/**
 * Remembers remote files that stay on the server after Wharf took them (afterImport `keep`, or a too
 * large file in `delete` mode), so they are not downloaded again. Keys are `<remote path>|<size>|<mtime
 * in seconds>`, unique within one channel: the store must be scoped to the channel.
 */
export interface SeenStore {
  has(key: string): Promise<boolean>;
  add(key: string): Promise<void>;
}

export interface SftpSourceOptions {
  /** The channel's config as validated against schemas/channel-sftp.schema.json. */
  config: SftpChannelConfig;
  merchant: string;
  channel: string;
  /** Local folder for downloads, used by this source alone (emptied on open). */
  stagingDir: string;
  /** Local folder for quarantined files and their error reports. */
  quarantineDir: string;
  logger: Logger;
  seen: SeenStore;
  /** Share the channel's connection with its destination; a passed connection is not closed by `close()`. */
  connection?: SftpConnection;
  /** Back-off between failed connection attempts (only for a connection the source creates). */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** What a listing says about one remote file. */
interface Listed {
  root: string;
  /** Directory of the file relative to its root ('' at the root). */
  relDir: string;
  name: string;
  remotePath: string;
  size: number;
  /** Seconds, as SFTP reports it. */
  mtime: number;
  mapping: string;
}

interface Claim {
  file: Listed;
  /** The staged download; undefined for a file over maxFileSize, which is never downloaded. */
  stagedPath?: string;
  seenKey: string;
}

interface Tracked {
  size: number;
  mtime: number;
  /** When this size+mtime was first seen (ms). */
  since: number;
}

export class SftpSource implements FileSource {
  readonly kind = 'sftp';
  readonly merchant: string;
  readonly channel: string;
  readonly settings: ResolvedSftpSource;
  readonly connection: SftpConnection;
  private readonly ownsConnection: boolean;
  private readonly stagingDir: string;
  private readonly quarantineDir: string;
  private readonly logger: Logger;
  private readonly seen: SeenStore;
  private readonly rules: CompiledRule[];
  private readonly tracked = new Map<string, Tracked>();
  private readonly claimed = new Map<string, Claim>();
  /** Seen keys known to be in the store, so a kept file costs no store lookup per poll. */
  private readonly knownSeen = new Set<string>();
  private readonly warned = new Set<string>();
  private polling: Promise<unknown> = Promise.resolve();

  constructor(options: SftpSourceOptions) {
    const where = `${options.merchant}/${options.channel}`;
    this.settings = resolveSftpSource(options.config, where);
    this.merchant = options.merchant;
    this.channel = options.channel;
    this.stagingDir = path.resolve(options.stagingDir);
    this.quarantineDir = path.resolve(options.quarantineDir);
    this.seen = options.seen;
    this.rules = compileRules(this.settings.files);
    this.logger = options.logger.child({ merchant: options.merchant, channel: options.channel, source: 'sftp' });
    this.ownsConnection = !options.connection;
    this.connection =
      options.connection ??
      new SftpConnection({ settings: this.settings, logger: options.logger, channel: options.channel, merchant: options.merchant, backoff: options.backoff });
  }

  /** Files seen but not yet taken (FileSource contract); kept files already imported do not count. */
  get pending(): number {
    let n = 0;
    for (const [remotePath, t] of this.tracked) if (!this.knownSeen.has(seenKey({ remotePath, size: t.size, mtime: t.mtime }))) n++;
    return n;
  }

  /** Largest file taken, in bytes: a ReadyFile with a larger `size` was not downloaded (see `open()`). */

  get maxFileSize(): number {
    return this.settings.maxFileSize;
  }

  get pollIntervalMs(): number {
    return this.settings.pollIntervalMs;
  }

  async open(): Promise<void> {
    // Staged copies left by a crash are worthless: the remote files are still there. Only our own
    // names are removed, in case the folder is shared after all.
    await fs.mkdir(this.stagingDir, { recursive: true });
    for (const name of await fs.readdir(this.stagingDir)) {
      if (STAGED_NAME.test(name)) await fs.rm(path.join(this.stagingDir, name), { force: true });
    }
    await this.connection.connect();
  }

  async close(): Promise<void> {
    await this.polling.catch(() => undefined);
    for (const claim of this.claimed.values()) if (claim.stagedPath) await fs.rm(claim.stagedPath, { force: true });
    this.claimed.clear();
    if (this.ownsConnection) await this.connection.close();
  }

  /** Polls never overlap: a second call waits for the first. */
  poll(): Promise<ReadyFile[]> {
    const run = this.polling.catch(() => undefined).then(() => this.pollOnce());
    this.polling = run;
    return run;
  }

  private async pollOnce(): Promise<ReadyFile[]> {
    const s = this.settings;
    const listed = await this.listAll();
    const now = Date.now();
    const present = new Set<string>();
    const ready: Listed[] = [];
    for (const { file, doneExists } of listed) {
      present.add(file.remotePath);
      if (this.claimed.has(file.remotePath)) continue;
      const t = this.tracked.get(file.remotePath);
      if (!t || t.size !== file.size || t.mtime !== file.mtime) {
        // First look, or it changed since the last one: it has to stay like this for another look.
        this.tracked.set(file.remotePath, { size: file.size, mtime: file.mtime, since: now });
        if (!(s.doneSuffix && doneExists)) continue;
      } else if (!s.doneSuffix && now - t.since < s.minAgeMs) {
        continue;
      }
      // The done-file is the writer's own word that the file is complete.
      if (s.doneSuffix && !doneExists) continue;
      ready.push(file);
    }
    for (const key of this.tracked.keys()) if (!present.has(key)) this.tracked.delete(key);
    for (const key of this.knownSeen) if (!present.has(key.replace(/\|\d+\|\d+$/, ''))) this.knownSeen.delete(key);

    // Oldest first, so a backlog drains in arrival order across polls.
    ready.sort((a, b) => a.mtime - b.mtime || (a.remotePath < b.remotePath ? -1 : 1));
    const batch: Listed[] = [];
    for (const file of ready) {
      if (batch.length >= s.maxFilesPerPoll) break;
      const key = seenKey(file);
      if (this.knownSeen.has(key)) continue;
      if (await this.seen.has(key)) {
        this.knownSeen.add(key);
        continue;
      }
      batch.push(file);
    }
    if (batch.length === 0) return [];

    await fs.mkdir(this.stagingDir, { recursive: true });
    const results: ReadyFile[] = [];
    let failure: unknown;
    await eachLimit(batch, s.concurrency, async (file) => {
      // After a lost connection the rest of this batch waits for the next poll.
      if (failure && sftpStatusOf(failure) === undefined) return;
      try {
        const readyFile = await this.take(file);
        if (readyFile) results.push(readyFile);
      } catch (err) {
        failure ??= err;
        this.logger.warn({ file: file.remotePath, err: describeError(err) }, 'sftp download failed; the file stays for the next poll');
      }
    });
    if (results.length === 0 && failure) throw failure;
    if (results.length > 0) this.logger.info({ files: results.length }, 'sftp files staged');
    return results;
  }

  /** Downloads one stable file into staging and checks it did not change meanwhile. */
  private async take(file: Listed): Promise<ReadyFile | undefined> {
    const claim: Claim = { file, seenKey: seenKey(file) };
    this.claimed.set(file.remotePath, claim);
    if (file.size > this.settings.maxFileSize) {
      this.logger.warn({ file: file.remotePath, size: file.size, maxFileSize: this.settings.maxFileSize }, 'sftp file over maxFileSize is not downloaded');
      return this.readyFile(claim);
    }
    const id = createHash('sha256').update(file.remotePath).digest('hex').slice(0, 16);
    const part = path.join(this.stagingDir, `.${id}.part`);
    const staged = path.join(this.stagingDir, `${id}-${file.name}`);
    try {
      await this.connection.download(file.remotePath, part, file.size);
      const now = await this.connection.statIfExists(file.remotePath);
      const local = await fs.stat(part);
      if (!now || now.size !== file.size || now.mtime !== file.mtime || local.size !== file.size) {
        this.logger.info({ file: file.remotePath }, now ? 'sftp file changed while downloading; taking it later' : 'sftp file vanished while downloading');
        if (now) this.tracked.set(file.remotePath, { size: now.size, mtime: now.mtime, since: Date.now() });
        await fs.rm(part, { force: true });
        this.claimed.delete(file.remotePath);
        return undefined;
      }
      await fs.rename(part, staged);
      claim.stagedPath = staged;
      return this.readyFile(claim);
    } catch (err) {
      await fs.rm(part, { force: true });
      this.claimed.delete(file.remotePath);
      if (isNoSuchFile(err)) {
        this.logger.info({ file: file.remotePath }, 'sftp file vanished before download');
        return undefined;
      }
      throw err;
    }
  }

  private readyFile(claim: Claim): ReadyFile {
    const { file } = claim;
    const max = this.settings.maxFileSize;
    const staged = claim.stagedPath;
    return {
      merchant: this.merchant,
      channel: this.channel,
      name: file.name,
      origin: file.remotePath,
      size: file.size,
      mtimeMs: file.mtime * 1000,
      mapping: file.mapping,
      localPath: staged ?? path.join(this.stagingDir, `(not downloaded) ${file.name}`),
      open: () => {
        if (staged) return createReadStream(staged);
        const err = new ContentError('FILE_TOO_LARGE', `${file.name} is ${file.size} bytes, more than this channel's maxFileSize of ${max} bytes; it was not downloaded`, {
          where: file.remotePath,
          hint: 'ask the sender to split the file, or raise maxFileSize for this channel',
        });
        return new Readable({ read() { this.destroy(err); } });
      },
    };
  }

  async settle(file: ReadyFile, settlement: Settlement): Promise<SettleResult> {
    const claim = this.claimFor(file);
    try {
      if (settlement.outcome === 'quarantined') {
        const local = claim.stagedPath
          ? await writeQuarantine(this.quarantineDir, file.name, claim.stagedPath, settlement.reportJson, true)
          : { filePath: undefined, reportPath: await writeReportOnly(this.quarantineDir, file.name, settlement.reportJson) };
        const remote = await this.disposeRemote(claim, this.settings.errorFolder);
        this.logger.warn({ file: file.origin, quarantine: local.filePath ?? local.reportPath, remote }, 'sftp file quarantined');
        return { movedTo: local.filePath ?? remote, reportPath: local.reportPath };
      }
      const remote = await this.disposeRemote(claim, this.settings.archiveFolder);
      this.logger.info({ file: file.origin, outcome: settlement.outcome, movedTo: remote }, 'sftp file settled');
      return remote ? { movedTo: remote } : {};
    } finally {
      // Even when the remote step failed: the file is still there, so the next poll offers it again
      // and the ledger's content hash turns it into a duplicate.
      if (claim.stagedPath) await fs.rm(claim.stagedPath, { force: true });
      this.claimed.delete(claim.file.remotePath);
    }
  }

  async release(file: ReadyFile): Promise<void> {
    const claim = this.claimed.get(file.origin);
    if (!claim) return;
    this.claimed.delete(file.origin);
    if (claim.stagedPath) await fs.rm(claim.stagedPath, { force: true });
  }

  private claimFor(file: ReadyFile): Claim {
    const claim = this.claimed.get(file.origin);
    if (!claim) {
      throw new WharfError('USAGE', `settle() of a file this source did not hand out (or settled already): ${file.origin}`, { where: file.origin });
    }
    return claim;
  }

  /**
   * Applies afterImport to the remote file: archive into `<root>/<folder>/<subdir>/` under a free name,
   * delete, or keep (remembered in the seen store). A too large file is never deleted: we hold no copy.
   * Returns the remote path it was moved to, if it moved.
   */
  private async disposeRemote(claim: Claim, folder: string): Promise<string | undefined> {
    const { file } = claim;
    const mode = this.settings.afterImport;
    if (mode === 'keep' || (mode === 'delete' && !claim.stagedPath)) {
      await this.seen.add(claim.seenKey);
      this.knownSeen.add(claim.seenKey);
      return undefined;
    }
    let movedTo: string | undefined;
    if (mode === 'delete') {
      await this.connection.unlinkIfExists(file.remotePath);
    } else {
      const dir = path.posix.join(file.root, folder, file.relDir);
      await this.connection.mkdirp(dir);
      movedTo = await this.renameToFreeName(file.remotePath, dir, file.name);
    }
    if (this.settings.doneSuffix) await this.connection.unlinkIfExists(file.remotePath + this.settings.doneSuffix);
    return movedTo;
  }

  /** Renames into `dir` without ever replacing a file there: `name`, then `name.1`, `name.2`, ... */
  private async renameToFreeName(from: string, dir: string, name: string): Promise<string | undefined> {
    for (let n = 0; n < 1000; n++) {
      const target = path.posix.join(dir, n === 0 ? name : `${name}.${n}`);
      if (await this.connection.statIfExists(target)) continue;
      try {
        await this.connection.rename(from, target);
        return target;
      } catch (err) {
        if (!(await this.connection.statIfExists(from))) return undefined; // someone else moved it
        if (await this.connection.statIfExists(target)) continue; // taken meanwhile
        throw err;
      }
    }
    throw new TransportError(`archiving ${from}: no free name in ${dir}`, { where: dir });
  }

  // ---------------------------------------------------------------- listing

  private async listAll(): Promise<{ file: Listed; doneExists: boolean }[]> {
    await this.connection.connect();
    const out: { file: Listed; doneExists: boolean }[] = [];
    const errors: unknown[] = [];
    await Promise.all(
      this.settings.paths.map(async (root) => {
        try {
          await this.listDir(root, '', out);
        } catch (err) {
          if (sftpStatusOf(err) === undefined) throw err; // the connection, not the directory
          errors.push(err);
          this.logger.error({ path: root, err: describeError(err) }, 'sftp directory cannot be listed');
        }
      }),
    );
    if (errors.length === this.settings.paths.length) throw errors[0];
    return out;
  }

  private async listDir(root: string, relDir: string, out: { file: Listed; doneExists: boolean }[]): Promise<void> {
    const dir = relDir ? path.posix.join(root, relDir) : root;
    const entries: FileEntryWithStats[] = await this.connection.readdir(dir);
    const names = new Set(entries.map((e) => e.filename));
    const subdirs: string[] = [];
    const suffix = this.settings.doneSuffix;
    for (const entry of entries) {
      const name = entry.filename;
      if (name === '.' || name === '..' || isIgnoredName(name)) continue;
      const remotePath = path.posix.join(dir, name);
      const reason = unsafeNameReason(name);
      if (reason) {
        this.warnOnce(remotePath, { file: remotePath, reason }, 'sftp file name refused: it is not a plain file name; the file is left alone');
        continue;
      }
      if (entry.attrs.isDirectory()) {
        if (!this.settings.recursive) continue;
        if (!relDir && (name === this.settings.archiveFolder || name === this.settings.errorFolder)) continue;
        subdirs.push(relDir ? `${relDir}/${name}` : name);
        continue;
      }
      // Only regular files: symlinks and devices are not followed.
      if (!entry.attrs.isFile()) continue;
      if (suffix && name.endsWith(suffix)) continue;
      const mapping = mappingFor(this.rules, name);
      if (!mapping) continue;
      out.push({
        file: { root, relDir, name, remotePath, size: entry.attrs.size, mtime: entry.attrs.mtime, mapping },
        doneExists: suffix ? names.has(name + suffix) : false,
      });
    }
    for (const sub of subdirs) await this.listDir(root, sub, out);
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(fields, message);
  }
}

/** `<16 hex>-<name>` (staged) and `.<16 hex>.part` (downloading). */
const STAGED_NAME = /^(?:[0-9a-f]{16}-.+|\.[0-9a-f]{16}\.part)$/;

export function seenKey(file: { remotePath: string; size: number; mtime: number }): string {
  return `${file.remotePath}|${file.size}|${file.mtime}`;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The report of a file we hold no copy of (too large to download), under a name not yet taken. */
async function writeReportOnly(dir: string, name: string, reportJson: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (let n = 0; ; n++) {
    const base = path.join(dir, n === 0 ? name : `${name}.${n}`);
    const report = `${base}.errors.json`;
    const taken = await Promise.all([base, report].map((p) => fs.lstat(p).then(() => true, () => false)));
    if (taken.some(Boolean)) continue;
    await writeFileAtomic(report, Buffer.from(reportJson));
    return report;
  }
}
