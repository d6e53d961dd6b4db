import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../../log.js';
import { configDefaults, type FolderChannelConfig } from '../../config/types.js';
import { compileRules, mappingFor, type CompiledRule } from '../pattern.js';
import { isIgnoredName, unsafeNameReason } from '../names.js';
import { writeQuarantine } from '../quarantine.js';
import type { FileSource, ReadyFile, SettleResult, Settlement } from '../types.js';
import { StabilityTracker } from '../stability.js';

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
}

/**
 * A watched local folder. A file is offered only once it is complete (StabilityTracker); it stays
 * where it is until `settle`, so a crash before the ledger commit means it is simply read again.
 */
export class FolderSource implements FileSource {
  readonly kind = 'folder';
  readonly merchant: string;
  readonly channel: string;
  private readonly cfg: Required<Pick<FolderChannelConfig, 'path' | 'afterImport' | 'archiveDir' | 'quarantineDir' | 'maxFilesPerPoll'>> & { watch: boolean };
  private readonly rules: CompiledRule[];
  private readonly doneSuffix: string | undefined;
  private readonly log: Logger;
  private readonly tracker: StabilityTracker;
  /** Files handed out and not yet settled or released: never offered twice at once. */
  private readonly inFlight = new Set<string>();
  /** Names refused or unmatched, remembered so each is logged once, not at every look. */
  private readonly warned = new Set<string>();
  private watcher: FSWatcher | undefined;
  private listeners: (() => void)[] = [];
  private folderMissing = false;
  private readonly seen: FolderSourceOptions['seen'];
  /** Kept files known to be imported, so the ledger is asked once per file, not at every look. */
  private readonly knownKept = new Set<string>();

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
    };
    this.seen = opts.seen;
    if (this.cfg.afterImport === 'keep' && !this.seen) throw new Error('afterImport: keep needs a seen store');
    this.rules = compileRules(c.files);
    this.doneSuffix = c.doneFiles === true ? d.doneFileSuffix : c.doneFiles ? (c.doneFiles.suffix ?? d.doneFileSuffix) : undefined;
    this.tracker = new StabilityTracker(((c.minAge ?? d.minAge) * 1000));
    this.log = opts.logger.child({ merchant: opts.merchant, channel: opts.channel, source: 'folder' });
  }

  /** Files seen but not yet stable: the caller looks again soon while there are any. */
  get pending(): number {
    return this.tracker.size;
  }

  async open(): Promise<void> {
    await fs.mkdir(this.cfg.path, { recursive: true });
    this.startWatcher();
  }

  /** Events only hasten the next look; the periodic rescan stays the source of truth (NFS, Docker mounts). */
  private startWatcher(): void {
    if (!this.cfg.watch || this.watcher) return;
    this.watcher = watch(this.cfg.path, { depth: 0, ignoreInitial: true, ignored: (p: string) => p !== this.cfg.path && isIgnoredName(path.basename(p)) });
    const fire = () => this.listeners.forEach((l) => l());
    this.watcher.on('add', fire).on('change', fire).on('error', (err: unknown) => this.log.warn({ err: String(err) }, 'folder watcher error; relying on rescans'));
  }

  /**
   * chokidar re-reads the whole folder on every change, which costs more than it brings while a
   * backlog is being worked off (the daemon then looks every second anyway): the watcher rests while
   * the inbox is busy and comes back once it is empty again.
   */
  private async adjustWatcher(): Promise<void> {
    const busy = this.tracker.size + this.inFlight.size > BUSY_INBOX;
    if (busy && this.watcher) {
      await this.watcher.close();
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
      entries = await fs.readdir(this.cfg.path, { withFileTypes: true });
      if (this.folderMissing) this.log.info({ path: this.cfg.path }, 'inbox folder is back');
      this.folderMissing = false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (!this.folderMissing) this.log.error({ path: this.cfg.path }, 'inbox folder has disappeared; waiting for it to come back (check the mount or the config)');
        this.folderMissing = true;
        this.tracker.clear();
        return [];
      }
      throw err;
    }
    const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const now = Date.now();
    const seenNow = new Set<string>();
    const ready: ReadyFile[] = [];
    for (const name of [...names].sort()) {
      if (isIgnoredName(name) || this.inFlight.has(name)) continue;
      if (this.doneSuffix && name.endsWith(this.doneSuffix)) continue;
      const reason = unsafeNameReason(name);
      if (reason) {
        this.warnOnce(`unsafe:${name}`, { name: JSON.stringify(name), reason }, 'refusing a file with an unsafe name; rename it');
        continue;
      }
      const mapping = mappingFor(this.rules, name);
      if (!mapping) {
        this.warnOnce(`nomatch:${name}`, { name }, 'no `files` pattern of this channel matches the file; leaving it alone');
        continue;
      }
      if (this.doneSuffix && !names.has(name + this.doneSuffix)) continue;
      const full = path.join(this.cfg.path, name);
      let st;
      try {
        st = await fs.stat(full);
      } catch {
        continue; // vanished between readdir and stat
      }
      if (this.cfg.afterImport === 'keep' && (await this.isKept(keptKey(name, st.size, st.mtimeMs)))) continue;
      seenNow.add(name);
      if (!this.tracker.observe(name, st.size, st.mtimeMs, now)) continue;
      if (ready.length >= this.cfg.maxFilesPerPoll) continue;
      this.tracker.forget(name);
      this.inFlight.add(name);
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
      });
    }
    this.tracker.retainOnly(seenNow);
    await this.adjustWatcher();
    return ready;
  }

  async settle(file: ReadyFile, settlement: Settlement): Promise<SettleResult> {
    try {
      if (settlement.outcome === 'quarantined') {
        const q = await writeQuarantine(this.cfg.quarantineDir, file.name, file.localPath, settlement.reportJson, true);
        await this.removeDoneFile(file);
        return { movedTo: q.filePath, reportPath: q.reportPath };
      }
      let movedTo: string | undefined;
      if (this.cfg.afterImport === 'archive') {
        movedTo = await archive(this.cfg.archiveDir, file.localPath, file.name);
      } else if (this.cfg.afterImport === 'delete') {
        await fs.rm(file.localPath, { force: true });
      } else {
        const key = keptKey(file.name, file.size, file.mtimeMs);
        await this.seen!.add(key);
        this.knownKept.add(key);
      }
      await this.removeDoneFile(file);
      return movedTo ? { movedTo } : {};
    } finally {
      this.inFlight.delete(file.name);
    }
  }

  async release(file: ReadyFile): Promise<void> {
    this.inFlight.delete(file.name);
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
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

  private warnOnce(key: string, fields: Record<string, unknown>, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(fields, msg);
  }
}

/** Files waiting above which the watcher rests (see adjustWatcher). */
const BUSY_INBOX = 50;

/** A kept file is the same file while its name, size and mtime are; a changed one is taken again. */
function keptKey(name: string, size: number, mtimeMs: number): string {
  return `${name}|${size}|${Math.trunc(mtimeMs)}`;
}

/** Moves a file into the archive under a day folder; a name already taken there gets a number. */
export async function archive(dir: string, from: string, name: string): Promise<string> {
  const day = path.join(dir, new Date().toISOString().slice(0, 10));
  await fs.mkdir(day, { recursive: true });
  let target = path.join(day, name);
  for (let n = 1; await fs.lstat(target).then(() => true, () => false); n++) target = path.join(day, `${name}.${n}`);
  await fs.rename(from, target);
  return target;
}
