import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ContentError, TransportError, WharfError, describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { isIgnoredName, nameWithSuffix, tempNameFor, undecodableRemoteName, unsafeNameReason } from '../../transports/names.js';
import { writeQuarantine } from '../quarantine.js';
import { STAGED_NAME, fileOwnFailure, removeStaged, writeReportOnly } from './staging.js';
import type { AckResult, BatchOutcome, FileSource, ReadyFile } from '../../pipeline/ports.js';
import { resolveSftpSource, type ResolvedSftpSource, type SftpChannelConfig } from '../../transports/sftp/config.js';
import { SftpConnection, isNoSuchFile, sftpStatusOf } from '../../transports/sftp/connection.js';
import { compileRules, mappingFor, type CompiledRule } from '../pattern.js';
import { waitReason } from '../stability.js';
import { ListingNotices, MemoryNoticeBoard, type NoticeBoard } from '../notices.js';
import type { NoticeInput } from '../../ledger/store.js';
import { resolveEntry } from './listing.js';

/**
 * Remembers remote files that stay on the server after Wharf took them (afterImport `keep`, or a too
 * large file in `delete` mode), so they are not downloaded again. Keys are `<remote path>|<size>|<mtime
 * in seconds>`, unique within one channel: the store must be scoped to the channel.
 */
export interface SeenStore {
  has(key: string): Promise<boolean>;
  add(key: string): Promise<void>;
  remove(key: string): Promise<void>;
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
  /** Where files not taken are reported (default: in memory, logged once). */
  notices?: NoticeBoard;
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
  /** Listed through a symbolic link (to a file inside the root): archived as a copy of its bytes. */
  viaLink?: boolean;
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
  /** Seen keys of files settled earlier whose remote move still fails: not pending, nothing to read. */
  private readonly awaitingMove = new Set<string>();
  private polling: Promise<unknown> = Promise.resolve();
  private readonly listingNotices: ListingNotices;
  private readonly board: NoticeBoard;
  /** Archive and error folders known to exist on the server, so a move costs no `stat` of its folder. */
  private readonly knownDirs = new Set<string>();
  /** Files this source cannot stage or read for a reason of their own, by remote path: left alone until they change. */
  private readonly refused = new Map<string, { size: number; mtime: number; reason: string }>();

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
    this.board = options.notices ?? new MemoryNoticeBoard();
    this.listingNotices = new ListingNotices(this.board, this.logger);
    this.ownsConnection = !options.connection;
    this.connection =
      options.connection ??
      new SftpConnection({ settings: this.settings, logger: options.logger, channel: options.channel, merchant: options.merchant, backoff: options.backoff });
  }

  /** Files seen but not yet taken (FileSource contract); kept files already imported do not count. */
  get pending(): number {
    let n = 0;
    for (const [remotePath, t] of this.tracked) {
      const key = seenKey({ remotePath, size: t.size, mtime: t.mtime });
      if (!this.knownSeen.has(key) && !this.awaitingMove.has(key)) n++;
    }
    return n;
  }

  /** What the pending files wait for (FileSource contract). */
  get pendingReason(): string {
    return waitReason(this.settings.doneSuffix, this.settings.minAgeMs);
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
      if (STAGED_NAME.test(name)) await fs.rm(path.join(this.stagingDir, name), { force: true, recursive: true });
    }
    await this.connection.connect();
  }

  async close(): Promise<void> {
    await this.polling.catch(() => undefined);
    for (const claim of this.claimed.values()) if (claim.stagedPath) await removeStaged(claim.stagedPath);
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
    const notices: NoticeInput[] = [];
    const listed = await this.listAll(notices);
    const now = Date.now();
    const present = new Set<string>();
    const ready: Listed[] = [];
    for (const { file, doneExists } of listed) {
      present.add(file.remotePath);
      if (this.claimed.has(file.remotePath)) continue;
      const refusal = this.refused.get(file.remotePath);
      if (refusal && refusal.size === file.size && refusal.mtime === file.mtime) {
        // Left alone until it changes; not pending (a pass does not wait for it).
        notices.push({ key: `refused:${file.remotePath}`, kind: 'refused', file: file.remotePath, message: refusal.reason });
        this.tracked.delete(file.remotePath);
        continue;
      }
      this.refused.delete(file.remotePath);
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
    for (const key of this.refused.keys()) if (!present.has(key)) this.refused.delete(key);
    await this.listingNotices.publish(notices);
    for (const key of this.knownSeen) if (!present.has(key.replace(/\|\d+\|\d+$/, ''))) this.knownSeen.delete(key);
    for (const key of this.awaitingMove) if (!present.has(key.replace(/\|\d+\|\d+$/, ''))) this.awaitingMove.delete(key);

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
      if (await this.finishEarlierSettlement(file)) continue;
      batch.push(file);
    }
    if (batch.length === 0) return [];
    // Refusals below join this poll's notices.

    await fs.mkdir(this.stagingDir, { recursive: true });
    // In the batch's (arrival) order, whichever download finishes first: intake commits in this order.
    const results: (ReadyFile | undefined)[] = new Array<ReadyFile | undefined>(batch.length);
    let failure: unknown;
    await eachLimit(batch, s.concurrency, async (file, i) => {
      // After a lost connection the rest of this batch waits for the next poll.
      if (failure && sftpStatusOf(failure) === undefined) return;
      try {
        const readyFile = await this.take(file);
        results[i] = readyFile;
      } catch (err) {
        const reason = fileOwnFailure(err);
        if (reason) {
          // This file's own problem: it is refused alone and the rest of the channel goes on.
          this.refused.set(file.remotePath, { size: file.size, mtime: file.mtime, reason });
          this.tracked.delete(file.remotePath);
          const n: NoticeInput = { key: `refused:${file.remotePath}`, kind: 'refused', file: file.remotePath, message: reason };
          notices.push(n);
          return;
        }
        failure ??= err;
        this.logger.warn({ file: file.remotePath, err: describeError(err) }, 'sftp download failed; the file stays for the next poll');
      }
    });
    await this.listingNotices.publish(notices);
    const staged = results.filter((f): f is ReadyFile => f !== undefined);
    if (staged.length === 0 && failure) throw failure;
    if (staged.length > 0) this.logger.info({ files: staged.length }, 'sftp files staged');
    return staged;
  }

  /** Downloads one stable file into staging and checks it did not change meanwhile. */
  private async take(file: Listed): Promise<ReadyFile | undefined> {
    const claim: Claim = { file, seenKey: seenKey(file) };
    this.claimed.set(file.remotePath, claim);
    if (file.size > this.settings.maxFileSize) {
      this.logger.warn({ file: file.remotePath, size: file.size, maxFileSize: this.settings.maxFileSize }, 'sftp file over maxFileSize is not downloaded');
      return this.readyFile(claim);
    }
    // Each file is staged under its own name in a folder of its own: a staging name is never longer
    // than the name it stages (a remote name near the 255-byte limit stays within it locally too).
    const id = createHash('sha256').update(file.remotePath).digest('hex').slice(0, 16);
    const part = path.join(this.stagingDir, `.${id}.part`);
    const stagedDir = path.join(this.stagingDir, id);
    const staged = path.join(stagedDir, file.name);
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
      await fs.mkdir(stagedDir, { recursive: true });
      await fs.rename(part, staged);
      claim.stagedPath = staged;
      return this.readyFile(claim);
    } catch (err) {
      await fs.rm(part, { force: true });
      await fs.rm(stagedDir, { force: true, recursive: true });
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

  async settle(file: ReadyFile, settlement: BatchOutcome): Promise<AckResult> {
    const claim = this.claimFor(file);
    try {
      const quarantined = settlement.outcome === 'quarantined';
      const local = settlement.outcome === 'quarantined'
        ? claim.stagedPath
          ? await writeQuarantine(this.quarantineDir, file.name, claim.stagedPath, settlement.reportJson, true)
          : { filePath: undefined, reportPath: await writeReportOnly(this.quarantineDir, file.name, settlement.reportJson) }
        : undefined;
      const folder = quarantined ? this.settings.errorFolder : this.settings.archiveFolder;
      const remote = await this.disposeAfterCommit(claim, folder);
      if (local) {
        this.logger.warn({ file: file.origin, quarantine: local.filePath ?? local.reportPath, remote }, 'sftp file quarantined');
        return { movedTo: local.filePath ?? remote, reportPath: local.reportPath };
      }
      this.logger.debug({ file: file.origin, outcome: settlement.outcome, movedTo: remote }, 'sftp file settled');
      return remote ? { movedTo: remote } : {};
    } finally {
      if (claim.stagedPath) await removeStaged(claim.stagedPath);
      this.claimed.delete(claim.file.remotePath);
    }
  }

  /**
   * The remote step after the ledger commit. The ledger first learns that this version of the file is
   * settled (a `settled` seen key naming the folder), so when the connection drops before the move, the
   * next poll — of this process or of the next one — finishes the move without reading the file again:
   * the gateway's own retry never shows up as a duplicate file from the merchant.
   */
  private async disposeAfterCommit(claim: Claim, folder: string): Promise<string | undefined> {
    const marker = settledKey(claim.seenKey, folder);
    const marks = this.settings.afterImport !== 'keep';
    if (marks) await this.seen.add(marker);
    try {
      const remote = await this.disposeRemote(claim, folder);
      if (marks) await this.seen.remove(marker);
      await this.board.remove(stuckKey(claim.file.remotePath)).catch(() => false);
      return remote;
    } catch (err) {
      if (marks) this.awaitingMove.add(claim.seenKey);
      this.logger.warn({ file: claim.file.remotePath, err: describeError(err) }, `sftp file is settled in the ledger but could not be moved to ${folder} on the server; the next poll finishes that step`);
      await this.reportStuck(claim.file.remotePath, folder, err);
      return undefined;
    }
  }

  /** A file whose move after the commit keeps failing: listed by `wharf status` until the move succeeds. */
  private async reportStuck(remotePath: string, folder: string, err: unknown): Promise<void> {
    await this.board.add({
      key: stuckKey(remotePath),
      kind: 'cleanup-failed',
      file: remotePath,
      message: `${remotePath} is settled in the ledger, but moving it to ${folder} on the server fails (${describeError(err)}); it is not imported again, and Wharf tries the move at every poll; fix the folder on the server (permissions, space, a file in the way)`,
    }).catch(() => false);
  }

  /** A file settled earlier whose remote step did not happen: do it now. True when it was such a file. */
  private async finishEarlierSettlement(file: Listed): Promise<boolean> {
    if (this.settings.afterImport === 'keep') return false;
    const key = seenKey(file);
    for (const folder of [this.settings.archiveFolder, this.settings.errorFolder]) {
      const marker = settledKey(key, folder);
      if (!(await this.seen.has(marker))) continue;
      try {
        const remote = await this.disposeRemote({ file, seenKey: key, stagedPath: 'settled earlier' }, folder);
        await this.seen.remove(marker);
        this.awaitingMove.delete(key);
        await this.board.remove(stuckKey(file.remotePath)).catch(() => false);
        this.logger.info({ file: file.remotePath, movedTo: remote }, `finished moving a file settled earlier to ${folder} (it was not read again)`);
      } catch (err) {
        if (sftpStatusOf(err) === undefined && !(err instanceof TransportError && /exists and is not a directory|no free name/.test(err.message))) throw err;
        this.awaitingMove.add(key);
        await this.reportStuck(file.remotePath, folder, err);
        this.warnOnce(marker, { file: file.remotePath, err: describeError(err) }, `a file settled earlier still cannot be moved to ${folder} on the server`);
      }
      return true;
    }
    return false;
  }

  async release(file: ReadyFile): Promise<void> {
    const claim = this.claimed.get(file.origin);
    if (!claim) return;
    this.claimed.delete(file.origin);
    if (claim.stagedPath) await removeStaged(claim.stagedPath);
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
      const move = () => (file.viaLink ? this.copyLinkedIntoFolder(claim, dir) : this.renameToFreeName(file.remotePath, dir, file.name));
      if (!this.knownDirs.has(dir)) {
        await this.connection.mkdirp(dir);
        movedTo = await move();
      } else {
        try {
          movedTo = await move();
        } catch (err) {
          // The folder may have been removed on the server since: make it again and try once more.
          if (sftpStatusOf(err) === undefined) throw err;
          this.knownDirs.delete(dir);
          await this.connection.mkdirp(dir);
          movedTo = await move();
        }
      }
      this.knownDirs.add(dir);
    }
    if (this.settings.doneSuffix) await this.connection.unlinkIfExists(file.remotePath + this.settings.doneSuffix);
    return movedTo;
  }

  /**
   * A file listed through a symbolic link is not moved (the link would dangle in the archive, and its
   * target is the merchant's file): its bytes — the staged copy that was imported, or, when the move is
   * finished by a later poll, a fresh download — are uploaded under a temporary dot-name in `dir`,
   * renamed to a free name there, and then the link is removed.
   */
  private async copyLinkedIntoFolder(claim: Claim, dir: string): Promise<string | undefined> {
    const { file } = claim;
    // (A quarantined file's staged copy has moved into the local quarantine already.)
    let local = claim.stagedPath && (await fs.access(claim.stagedPath).then(() => true, () => false)) ? claim.stagedPath : undefined;
    let fresh: string | undefined;
    if (!local) {
      const id = createHash('sha256').update(`archive-copy ${file.remotePath}`).digest('hex').slice(0, 16);
      fresh = local = path.join(this.stagingDir, `.${id}.part`);
      await this.connection.download(file.remotePath, fresh);
    }
    try {
      const tmp = path.posix.join(dir, tempNameFor(file.name, randomBytes(4).toString('hex')));
      await this.connection.upload(local, tmp);
      const placed = await this.renameToFreeName(tmp, dir, file.name);
      await this.connection.unlinkIfExists(file.remotePath);
      return placed;
    } finally {
      if (fresh) await fs.rm(fresh, { force: true });
    }
  }

  /** Renames into `dir` without ever replacing a file there: `name`, then `name.1`, `name.2`, ... */
  private async renameToFreeName(from: string, dir: string, name: string): Promise<string | undefined> {
    for (let n = 0; n < 1000; n++) {
      const target = path.posix.join(dir, n === 0 ? name : nameWithSuffix(name, `.${n}`));
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

  private async listAll(notices: NoticeInput[]): Promise<{ file: Listed; doneExists: boolean }[]> {
    await this.connection.connect();
    const out: { file: Listed; doneExists: boolean }[] = [];
    const errors: unknown[] = [];
    await Promise.all(
      this.settings.paths.map(async (root) => {
        let real: Promise<string> | undefined;
        const rootReal = () => (real ??= this.connection.realpath(root));
        try {
          await this.listDir(root, '', out, notices, rootReal);
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

  private async listDir(root: string, relDir: string, out: { file: Listed; doneExists: boolean }[], notices: NoticeInput[], rootReal: () => Promise<string>): Promise<void> {
    const dir = relDir ? path.posix.join(root, relDir) : root;
    const entries = await this.connection.readdir(dir);
    const names = new Set(entries.map((e) => e.filename));
    const subdirs: string[] = [];
    const suffix = this.settings.doneSuffix;
    const skip = (remotePath: string, message: string) => notices.push({ key: `skipped:${remotePath}`, kind: 'skipped', file: remotePath, message });
    for (const entry of entries) {
      const name = entry.filename;
      if (name === '.' || name === '..' || isIgnoredName(name)) continue;
      const remotePath = path.posix.join(dir, name);
      const undecodable = undecodableRemoteName(name);
      if (undecodable) {
        skip(remotePath, `${undecodable} on the server`);
        continue;
      }
      const reason = unsafeNameReason(name);
      if (reason) {
        // Quoted: a name with control characters must not reach a terminal or a log raw.
        skip(JSON.stringify(remotePath), `the name is not a plain file name (${reason}); rename the file on the server`);
        continue;
      }
      const resolved = await resolveEntry(this.connection, dir, rootReal, entry).catch((err: unknown) => {
        if (sftpStatusOf(err) === undefined) throw err;
        return { type: 'other' as const, refusal: `its type cannot be read (${describeError(err)})`, size: 0, mtime: 0 };
      });
      if (resolved.type === 'directory') {
        const own = !relDir && (name === this.settings.archiveFolder || name === this.settings.errorFolder);
        if (own) continue;
        if (this.settings.recursive) subdirs.push(relDir ? `${relDir}/${name}` : name);
        // A folder a pattern names was meant as a file: said once, not passed over in silence.
        else if (mappingFor(this.rules, name)) skip(remotePath, 'it is a folder, not a regular file; only regular files are read (move the folder away, or set recursive: true to read the files inside it)');
        continue;
      }
      if (suffix && name.endsWith(suffix)) {
        const data = name.slice(0, -suffix.length);
        if (!names.has(data) && !this.claimed.has(path.posix.join(dir, data))) {
          skip(remotePath, `it is a done-file without its data file: ${data} is not in the folder (not arrived yet, or renamed); send ${data}, or remove ${name}`);
        }
        continue;
      }
      const mapping = mappingFor(this.rules, name);
      if (resolved.type !== 'file') {
        // Folders are expected in an inbox; anything else that is not a file is reported when it would be taken.
        if (mapping) skip(remotePath, resolved.refusal ?? 'it is not a regular file (a device, socket or pipe); only regular files are read');
        continue;
      }
      if (!mapping) {
        skip(remotePath, `no \`files\` pattern of this channel matches ${name} (patterns: ${this.rules.map((r) => r.pattern).join(', ')}); the file is left alone`);
        continue;
      }
      out.push({
        file: { root, relDir, name, remotePath, size: resolved.size, mtime: resolved.mtime, mapping, ...('viaLink' in resolved && resolved.viaLink ? { viaLink: true } : {}) },
        doneExists: suffix ? names.has(name + suffix) : false,
      });
    }
    for (const sub of subdirs) await this.listDir(root, sub, out, notices, rootReal);
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(fields, message);
  }
}

export function seenKey(file: { remotePath: string; size: number; mtime: number }): string {
  return `${file.remotePath}|${file.size}|${file.mtime}`;
}

/** The seen key saying "this version of the file is committed; it still has to move to `folder`". */
function settledKey(key: string, folder: string): string {
  return `settled:${folder}:${key}`;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The notice key of a file whose move after the commit failed. */
function stuckKey(remotePath: string): string {
  return `cleanup-failed:${remotePath}`;
}
