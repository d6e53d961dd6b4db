import { createReadStream, promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { configDefaults, type FolderChannelConfig } from '../../config/types.js';
import { compileRules, mappingFor, type CompiledRule } from '../pattern.js';
import { waitReason } from '../stability.js';
import { describeRawName, invalidUtf8Message, isIgnoredName, unsafeNameReason, doneSuffixOf } from '../../transports/names.js';
import { writeQuarantine } from '../quarantine.js';
import { archive, archiveCopy } from '../archive.js';
import type { AckResult, BatchOutcome, FileSource, ReadyFile } from '../../pipeline/ports.js';
import { StabilityTracker } from '../stability.js';
import { sha256File } from '../../pipeline/hash.js';
import { TransportError } from '../../errors.js';
import type { NoticeInput } from '../../ledger/store.js';
import { ListingNotices, MemoryNoticeBoard, type NoticeBoard } from '../notices.js';

export interface FolderSourceOptions {
  merchant: string;
  channel: string;
  /** The channel's config with absolute paths (see config/load.ts). */
  config: FolderChannelConfig;
  logger: Logger;
  /** Remembers files imported under `afterImport: keep` (the ledger's seen table), so they are not taken again. */
  seen?: { has(key: string): Promise<boolean>; add(key: string): Promise<void> };
  /** Use file-system events (the daemon); a one-shot pass has no use for them. */
  watch?: boolean;
  /** Where files not taken, and files changed after their import, are reported (default: in memory). */
  notices?: NoticeBoard;
  /**
   * The ledger's file id and record ids (a bounded list, `more` not listed) of the imported file with
   * this content, for the changed-after-import notice: which orders came from a file that was cut off.
   */
  importedFrom?: (sha256: string) => Promise<{ fileId: number; recordIds: string[]; more: number } | undefined>;
}

/** What was known of an archived file when it was taken, to notice a writer that goes on writing into it. */
interface Archived {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
  /** Watched until then (ms since the epoch). */
  until: number;
  /** Next look (ms since the epoch) and the gap after it: doubling from 1 s to 1 min, so a backlog of archived files is not stat-ed at every poll. */
  nextAt: number;
  gapMs: number;
}

/**
 * A watched local folder. A file is offered only once it is complete (StabilityTracker); it stays
 * where it is until `settle`, so a crash before the ledger commit means it is simply read again.
 */
export class FolderSource implements FileSource {
  readonly kind = 'folder';
  readonly merchant: string;
  readonly channel: string;
  private readonly cfg: Required<Pick<FolderChannelConfig, 'path' | 'afterImport' | 'archiveDir' | 'quarantineDir' | 'maxFilesPerPoll'>> & { watch: boolean; create: boolean; minAgeMs: number };
  private readonly rules: CompiledRule[];
  private readonly doneSuffix: string | undefined;
  private readonly log: Logger;
  private readonly tracker: StabilityTracker;
  /** Files handed out and not yet settled or released: never offered twice at once. */
  private readonly inFlight = new Set<string>();
  private watcher: FSWatcher | undefined;
  private listeners: (() => void)[] = [];
  private folderMissing = false;
  private readonly seen: FolderSourceOptions['seen'];
  /** Kept files known to be imported, so the ledger is asked once per file, not at every look. */
  private readonly knownKept = new Set<string>();
  private readonly board: NoticeBoard;
  private readonly listingNotices: ListingNotices;
  /** Files that cannot be opened, as they were when refused: left alone until they change. */
  private readonly refusedFiles = new Map<string, { size: number; mtimeMs: number; ino: number; notice: NoticeInput }>();
  /** Recently archived files, looked at again at the next poll and then at growing gaps for a while (a writer that stalled and resumed). */
  private readonly archivedWatch = new Map<string, Archived>();
  /** Files whose clean-up (archive, delete, quarantine move) failed: shown by status until it succeeds. */
  private readonly stuck = new Map<string, NoticeInput>();
  private readonly importedFrom: FolderSourceOptions['importedFrom'];

  constructor(opts: FolderSourceOptions) {
    const c = opts.config;
    const d = configDefaults.folder;
    this.merchant = opts.merchant;
    this.channel = opts.channel;
    this.cfg = {
      path: c.path,
      afterImport: c.afterImport ?? d.afterImport,
      archiveDir: c.archiveDir ?? path.join(c.path, 'archive'),
      quarantineDir: c.quarantineDir ?? path.join(c.path, 'quarantine'),
      maxFilesPerPoll: c.maxFilesPerPoll ?? d.maxFilesPerPoll,
      watch: (c.watch ?? d.watch) && opts.watch !== false,
      create: c.create === true,
      minAgeMs: (c.minAge ?? d.minAge) * 1000,
    };
    this.seen = opts.seen;
    this.importedFrom = opts.importedFrom;
    if (this.cfg.afterImport === 'keep' && !this.seen) throw new Error('afterImport: keep needs a seen store');
    this.rules = compileRules(c.files);
    this.doneSuffix = doneSuffixOf(c.doneFiles, d.doneFileSuffix);
    this.tracker = new StabilityTracker(((c.minAge ?? d.minAge) * 1000));
    this.log = opts.logger.child({ merchant: opts.merchant, channel: opts.channel, source: 'folder' });
    this.board = opts.notices ?? new MemoryNoticeBoard();
    this.listingNotices = new ListingNotices(this.board, this.log);
  }

  /** Files seen but not yet stable: the caller looks again soon while there are any. */
  get pending(): number {
    return this.tracker.size;
  }

  /** What the pending files wait for (FileSource contract). */
  get pendingReason(): string {
    return waitReason(this.doneSuffix, this.cfg.minAgeMs);
  }

  /**
   * A missing inbox is created only when the config says `create: true`; otherwise it is a channel
   * error (an unmounted volume must not be papered over with an empty folder).
   */
  async open(): Promise<void> {
    if (this.cfg.create) await fs.mkdir(this.cfg.path, { recursive: true });
    else await this.assertInbox();
    this.startWatcher();
  }

  private async assertInbox(): Promise<void> {
    const st = await fs.stat(this.cfg.path).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error || !st.isDirectory()) {
      const why = st instanceof Error ? (st.code === 'ENOENT' ? 'does not exist' : `cannot be read (${st.code ?? st.message})`) : 'is not a folder';
      throw new TransportError(`the inbox folder ${this.cfg.path} ${why}`, {
        where: this.cfg.path,
        // create: true makes the folder only when the channel opens: one that vanishes later is not
        // re-created (an unmounted volume), so the hint must not send the user to a setting already on.
        hint: this.cfg.create
          ? 'mount the volume or create the folder again (create: true makes it only when wharf starts; a folder that disappears later is not re-created)'
          : 'mount the volume or create the folder (or set create: true on the channel to let Wharf create it)',
      });
    }
  }

  /**
   * Events only hasten the next look; the periodic rescan stays the source of truth (NFS, Docker
   * mounts, events lost in an overflow). `fs.watch` (inotify on Linux) with a short coalescing window:
   * a burst of arrivals is one wake-up, and nothing re-reads the folder per event (chokidar did, with
   * an lstat of every entry: 44 % of the daemon's CPU on a busy inbox, docs/benchmarks.md).
   */
  private startWatcher(): void {
    if (!this.cfg.watch || this.watcher) return;
    let timer: NodeJS.Timeout | undefined;
    const fire = () => {
      timer = undefined;
      this.listeners.forEach((l) => l());
    };
    let w: FSWatcher;
    try {
      w = watch(this.cfg.path, (_event, name) => {
        // Our own temporary and dot-files, and the archive/quarantine folders' own changes, wake nobody.
        if (name !== null && isIgnoredName(path.basename(String(name)))) return;
        timer ??= setTimeout(fire, WATCH_COALESCE_MS);
      });
    } catch (err) {
      this.log.warn({ err: String(err) }, 'folder watcher could not start; relying on rescans');
      return;
    }
    w.on('error', (err: unknown) => {
      this.log.warn({ err: String(err) }, 'folder watcher error; relying on rescans');
      if (this.watcher === w) this.watcher = undefined;
      w.close();
    });
    w.on('close', () => clearTimeout(timer));
    this.watcher = w;
  }

  /**
   * While a backlog is being worked off, the daemon looks every second anyway and every archive move
   * would be an event: the watcher rests while the inbox is busy and comes back once it is empty again.
   */
  private adjustWatcher(): void {
    const busy = this.tracker.size + this.inFlight.size > BUSY_INBOX;
    if (busy && this.watcher) {
      this.watcher.close();
      this.watcher = undefined;
      this.log.debug('inbox busy: file-system events paused, looking by rescans');
    } else if (!busy && this.tracker.size + this.inFlight.size === 0) {
      this.startWatcher();
    }
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async poll(): Promise<ReadyFile[]> {
    let entries;
    try {
      entries = await fs.readdir(this.cfg.path, { withFileTypes: true, encoding: 'buffer' });
      if (this.folderMissing) {
        this.log.info({ path: this.cfg.path }, 'inbox folder is back');
        // A watch on the folder that disappeared sees nothing of the new one.
        this.watcher?.close();
        this.watcher = undefined;
      }
      this.folderMissing = false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (!this.folderMissing) this.log.error({ path: this.cfg.path }, 'inbox folder has disappeared; waiting for it to come back (check the mount or the config)');
        this.folderMissing = true;
        this.tracker.clear();
        await this.assertInbox();
      }
      throw err;
    }
    await this.watchArchived();
    const now = Date.now();
    const seenNow = new Set<string>();
    const ready: ReadyFile[] = [];
    const notices: NoticeInput[] = [];
    const refusedNow = new Set<string>();
    const skip = (name: string, message: string) => notices.push({ key: `skipped:${name}`, kind: 'skipped', file: name, message });
    // Names are read as bytes: one that is not valid UTF-8 would otherwise come back with U+FFFD in
    // place of its odd bytes, a name that opens nothing, and the file would wait unseen forever.
    const byName = new Map<string, (typeof entries)[number]>();
    for (const e of entries) {
      const raw = describeRawName(e.name);
      if (raw.valid) byName.set(raw.text, e);
      else skip(raw.text, invalidUtf8Message(raw.text));
    }
    const names = new Set(byName.keys());
    let inboxReal: string | undefined;
    for (const name of [...names].sort()) {
      const entry = byName.get(name)!;
      if (isIgnoredName(name) || this.inFlight.has(name)) continue;
      if (entry.isDirectory()) {
        // archive, quarantine, or the merchant's own folders; one a pattern names was meant as a file
        const own = [this.cfg.archiveDir, this.cfg.quarantineDir].includes(path.join(this.cfg.path, name));
        if (!own && mappingFor(this.rules, name)) skip(name, 'it is a folder, not a regular file; only regular files are read (move the folder away, or put its files into the inbox itself)');
        continue;
      }
      if (this.doneSuffix && name.endsWith(this.doneSuffix)) {
        const data = name.slice(0, -this.doneSuffix.length);
        if (!names.has(data) && !this.inFlight.has(data)) {
          skip(name, `it is a done-file without its data file: ${data} is not in the folder (not arrived yet, or renamed); send ${data}, or remove ${name}`);
        }
        continue;
      }
      const reason = unsafeNameReason(name);
      if (reason) {
        skip(JSON.stringify(name), `the name is not a plain file name (${reason}); rename the file`);
        continue;
      }
      const mapping = mappingFor(this.rules, name);
      const full = path.join(this.cfg.path, name);
      if (!entry.isFile()) {
        // A symbolic link is followed to a regular file inside the inbox; anything else is reported.
        const refusal = entry.isSymbolicLink() ? await this.linkRefusal(full, async () => (inboxReal ??= await fs.realpath(this.cfg.path))) : 'it is not a regular file (a device, socket or pipe); only regular files are read';
        if (refusal === 'folder') {
          if (mapping) skip(name, 'it is a symbolic link to a folder, not to a regular file; links to folders are not followed');
          continue;
        }
        if (refusal) {
          if (mapping) skip(name, refusal);
          continue;
        }
      }
      if (!mapping) {
        skip(name, `no \`files\` pattern of this channel matches ${name} (patterns: ${this.rules.map((r) => r.pattern).join(', ')}); the file is left alone`);
        continue;
      }
      if (this.doneSuffix && !names.has(name + this.doneSuffix)) continue;
      let st;
      try {
        st = await fs.stat(full);
      } catch {
        continue; // vanished between readdir and stat
      }
      if (this.cfg.afterImport === 'keep' && (await this.isKept(keptKey(name, st.size, st.mtimeMs)))) continue;
      const refused = this.refusedFiles.get(name);
      if (refused && refused.size === st.size && refused.mtimeMs === st.mtimeMs && refused.ino === st.ino) {
        notices.push(refused.notice); // left alone until it changes; not pending
        refusedNow.add(name);
        continue;
      }
      seenNow.add(name);
      // The inode too: a file replaced by another of the same size and mtime (rename over it) is new.
      if (!this.tracker.observe(name, st.size, st.mtimeMs, now, st.ino)) continue;
      if (ready.length >= this.cfg.maxFilesPerPoll) continue;
      // A file this process may not read is refused alone (reported once), not failed at every look.
      // A file of our own user with its owner-read bit set is readable: no trial open needed.
      const unreadable = ownReadable(st) ? undefined : await fs.open(full, 'r').then(async (h) => (await h.close(), undefined), (err: NodeJS.ErrnoException) => err);
      if (unreadable) {
        const notice: NoticeInput = { key: `refused:${name}`, kind: 'refused', file: name, message: `it cannot be opened for reading (${unreadable.code ?? unreadable.message}); check its permissions and owner` };
        this.refusedFiles.set(name, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, notice });
        this.tracker.forget(name);
        notices.push(notice);
        continue;
      }
      this.tracker.forget(name);
      this.inFlight.add(name);
      const offered = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
      ready.push({
        merchant: this.merchant,
        channel: this.channel,
        name,
        origin: full,
        size: st.size,
        mtimeMs: st.mtimeMs,
        mapping,
        localPath: full,
        open: () => createReadStream(full, { highWaterMark: 1 << 16 }),
        verify: () => this.verify(name, full, offered),
      });
    }
    this.tracker.retainOnly(seenNow);
    for (const name of [...this.stuck.keys()]) {
      if (names.has(name)) continue;
      // Gone from the inbox (moved or removed by someone): nothing is stuck any more.
      this.stuck.delete(name);
      await this.board.remove(`cleanup-failed:${name}`).catch(() => false);
    }
    for (const name of this.refusedFiles.keys()) if (!refusedNow.has(name) && !seenNow.has(name)) this.refusedFiles.delete(name);
    await this.listingNotices.publish(notices);
    this.adjustWatcher();
    return ready;
  }

  async settle(file: ReadyFile, settlement: BatchOutcome): Promise<AckResult> {
    try {
      const result = await this.settleOnce(file, settlement);
      // Also when an earlier process reported it: a file settled here is stuck no more.
      this.stuck.delete(file.name);
      await this.board.remove(`cleanup-failed:${file.name}`).catch(() => false);
      return result;
    } catch (err) {
      await this.reportStuck(file, settlement, err);
      throw err;
    } finally {
      this.inFlight.delete(file.name);
    }
  }

  /**
   * A clean-up step that failed (after the commit for imported files): the next look retries it, and
   * until it succeeds `wharf status` shows the file as stuck (logged once at warn level).
   */
  private async reportStuck(file: ReadyFile, settlement: BatchOutcome, err: unknown): Promise<void> {
    const step = settlement.outcome === 'quarantined' ? `moving it to the quarantine folder ${this.cfg.quarantineDir}` : this.cfg.afterImport === 'archive' ? `moving it to the archive folder ${this.cfg.archiveDir}` : this.cfg.afterImport === 'delete' ? 'deleting it' : 'remembering it as imported';
    const e = err as NodeJS.ErrnoException;
    const notice: NoticeInput = {
      key: `cleanup-failed:${file.name}`,
      kind: 'cleanup-failed',
      file: file.origin,
      message: `${file.name} was ${settlement.outcome === 'quarantined' ? 'found bad' : 'imported'}, but ${step} fails (${e.code ? `${e.code}: ` : ''}${e.message}); it stays in the inbox and Wharf tries again at every look without importing it again; fix the folder (space, permissions, something in the way) and the file is moved at the next look`,
    };
    if (this.stuck.get(file.name)?.message === notice.message) return;
    this.stuck.set(file.name, notice);
    if (await this.board.add(notice).catch(() => false)) this.log.warn({ file: notice.file, notice: notice.kind }, `clean-up failed: ${notice.message}`);
  }

  private async settleOnce(file: ReadyFile, settlement: BatchOutcome): Promise<AckResult> {
    // A symbolic link (to a file inside the inbox) is not moved: the archive or quarantine gets a
    // copy of the bytes under the link's name, and the link is removed; its target stays where it
    // is (the merchant's file, possibly the target of other links).
    const own = await fs.lstat(file.localPath).catch(() => undefined);
    const isLink = own?.isSymbolicLink() === true;
    if (settlement.outcome === 'quarantined') {
      const q = await writeQuarantine(this.cfg.quarantineDir, file.name, file.localPath, settlement.reportJson, !isLink);
      if (isLink) await fs.rm(file.localPath, { force: true });
      await this.removeDoneFile(file);
      return { movedTo: q.filePath, reportPath: q.reportPath };
    }
    let movedTo: string | undefined;
    if (this.cfg.afterImport === 'archive') {
      // A plain file's lstat is its stat; a missing file throws here as before.
      const before = own && !isLink ? own : await fs.stat(file.localPath);
      movedTo = isLink ? await archiveCopy(this.cfg.archiveDir, file.localPath, file.name) : await archive(this.cfg.archiveDir, file.localPath, file.name);
      const copy = isLink ? await fs.stat(movedTo) : undefined;
      if (settlement.sha256) {
        // Compared with the file as it was offered (and verified before the commit), not as it is now.
        // A link's copy is new bytes read after the commit: hashed once now (mtime -1 forces it), so a
        // target that changed meanwhile is reported; later looks compare its own size, mtime and inode.
        const watched: Archived = { name: file.name, path: movedTo, size: file.size, mtimeMs: copy ? -1 : file.mtimeMs, ino: copy?.ino ?? before.ino, sha256: settlement.sha256, until: Date.now() + Math.max(10 * 60_000, 20 * this.cfg.minAgeMs), nextAt: 0, gapMs: 1000 };
        this.archivedWatch.set(movedTo, watched);
        // A moved file keeps its inode, size and mtime: the next look (watchArchived) compares them.
        if (copy) {
          await this.checkArchived(watched);
          watched.mtimeMs = copy.mtimeMs;
        }
      }
    } else if (this.cfg.afterImport === 'delete') {
      await fs.rm(file.localPath, { force: true }); // a link itself, never its target
    } else {
      const key = keptKey(file.name, file.size, file.mtimeMs);
      await this.seen!.add(key);
      this.knownKept.add(key);
    }
    await this.removeDoneFile(file);
    return movedTo ? { movedTo } : {};
  }

  async release(file: ReadyFile): Promise<void> {
    this.inFlight.delete(file.name);
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Throws FILE_CHANGED when the file is no longer the one offered (size, mtime or inode differ). */
  private async verify(name: string, full: string, offered: { size: number; mtimeMs: number; ino: number }): Promise<void> {
    const now = await fs.stat(full).catch(() => undefined);
    if (now && now.size === offered.size && now.mtimeMs === offered.mtimeMs && now.ino === offered.ino) return;
    this.tracker.forget(name);
    throw new TransportError(
      now ? `${name} changed while it was being read (size ${offered.size} -> ${now.size}); it is taken again once it is stable` : `${name} disappeared while it was being read`,
      { where: full, hint: 'let the sender write under a temporary name (.tmp, .part or a dotfile) and rename it when done, or use done-files' },
      undefined,
      'FILE_CHANGED',
    );
  }

  /** Why a symbolic link is not followed, 'folder' for a link to a folder (not a file), or undefined to take it. */
  private async linkRefusal(full: string, inboxReal: () => Promise<string>): Promise<string | undefined> {
    const target = await fs.stat(full).catch(() => undefined);
    if (!target) return 'it is a symbolic link whose target does not exist';
    if (target.isDirectory()) return 'folder';
    if (!target.isFile()) return 'it is a symbolic link to something that is not a regular file';
    const [real, root] = await Promise.all([fs.realpath(full), inboxReal()]);
    if (!real.startsWith(root + path.sep)) return `it is a symbolic link to ${real}, outside the channel's folder ${root}; only links to files inside the folder are followed`;
    return undefined;
  }

  /** Looks again at recently archived files: a writer that stalled past minAge may have gone on writing. */
  private async watchArchived(): Promise<void> {
    const now = Date.now();
    for (const a of [...this.archivedWatch.values()]) {
      if (now > a.until) this.archivedWatch.delete(a.path);
      else if (now >= a.nextAt) {
        a.nextAt = now + a.gapMs;
        a.gapMs = Math.min(60_000, a.gapMs * 2);
        await this.checkArchived(a);
      }
    }
  }

  /**
   * An archived file that differs from what was imported: the sender was still writing. Reported once
   * (log and `wharf status`) with both hashes; the orders committed are those of the first hash.
   */
  private async checkArchived(a: Archived): Promise<void> {
    const st = await fs.stat(a.path).catch(() => undefined);
    if (!st) {
      this.archivedWatch.delete(a.path);
      return;
    }
    if (st.size === a.size && st.mtimeMs === a.mtimeMs && st.ino === a.ino) return;
    const now = await sha256File(a.path).catch(() => undefined);
    if (!now || now === a.sha256) return;
    this.archivedWatch.delete(a.path);
    const from = await this.importedFrom?.(a.sha256).catch(() => undefined);
    const which = from
      ? ` It was imported as file ${from.fileId}; the records that came from it: ${from.recordIds.length ? `${from.recordIds.join(', ')}${from.more ? ` and ${from.more} more` : ''}` : 'none'}.`
      : '';
    const message = `${a.name} changed after it was imported: the import read sha256 ${a.sha256} (${a.size} bytes), the archived copy ${a.path} now has sha256 ${now} (${st.size} bytes). The sender was still writing, so orders already sent from the cut file may be incomplete or wrong: check them and correct them with the warehouse. Re-sending the file does not fix them (orders already in the ledger are duplicates and are not sent again); it only adds orders that were missing.${which} Let the sender write under a temporary name and rename it, or use done-files`;
    const added = await this.board.add({ key: `changed:${a.path}|${now}`, kind: 'changed-after-import', file: a.path, message });
    if (added) this.log.warn({ file: a.path, importedSha256: a.sha256, nowSha256: now }, `file changed after its import: ${message}`);
  }

  private async removeDoneFile(file: ReadyFile): Promise<void> {
    if (this.doneSuffix) await fs.rm(file.localPath + this.doneSuffix, { force: true });
  }

  private async isKept(key: string): Promise<boolean> {
    if (this.knownKept.has(key)) return true;
    if (!(await this.seen!.has(key))) return false;
    this.knownKept.add(key);
    return true;
  }

}

const ownUid = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** Whether the permission bits alone say this process can read the file (its owner, owner-read set). */
function ownReadable(st: { uid: number; mode: number }): boolean {
  return ownUid !== undefined && st.uid === ownUid && (st.mode & 0o400) !== 0;
}

/** Files waiting above which the watcher rests (see adjustWatcher). */
const BUSY_INBOX = 50;

/** Milliseconds a file-system event waits for others before it wakes the channel loop (one wake-up per burst). */
const WATCH_COALESCE_MS = 25;

/** A kept file is the same file while its name, size and mtime are; a changed one is taken again. */
function keptKey(name: string, size: number, mtimeMs: number): string {
  return `${name}|${size}|${Math.trunc(mtimeMs)}`;
}
