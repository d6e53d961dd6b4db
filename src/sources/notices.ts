import type { Logger } from '../log.js';
import type { NoticeInput, NoticeKind, Store } from '../ledger/store.js';

/**
 * Where a source reports the files it does not take (and files that changed after their import), so
 * that none is skipped silently: each notice is logged once and shown by `wharf status` while it holds.
 * The daemon binds it to the ledger; tests and one-off checks may use the in-memory board.
 */
export interface NoticeBoard {
  /** Replaces the current notices of `kinds`; resolves to the ones that are new. */
  sync(kinds: NoticeKind[], current: NoticeInput[]): Promise<NoticeInput[]>;
  /** Adds one event notice; false when it was reported before. */
  add(notice: NoticeInput): Promise<boolean>;
  /** Removes one notice by key; false when there was none. */
  remove(key: string): Promise<boolean>;
}

export function ledgerNoticeBoard(store: Store, merchant: string, channel: string): NoticeBoard {
  return {
    sync: (kinds, current) => store.syncNotices(merchant, channel, kinds, current),
    add: (notice) => store.addNotice(merchant, channel, notice),
    remove: (key) => store.removeNotice(merchant, channel, key),
  };
}

export class MemoryNoticeBoard implements NoticeBoard {
  readonly notices = new Map<string, NoticeInput>();

  async sync(kinds: NoticeKind[], current: NoticeInput[]): Promise<NoticeInput[]> {
    const keys = new Set(current.map((n) => n.key));
    for (const [key, n] of this.notices) if (kinds.includes(n.kind) && !keys.has(key)) this.notices.delete(key);
    const added = current.filter((n) => !this.notices.has(n.key));
    for (const n of added) this.notices.set(n.key, n);
    return added;
  }

  async remove(key: string): Promise<boolean> {
    return this.notices.delete(key);
  }

  async add(notice: NoticeInput): Promise<boolean> {
    if (this.notices.has(notice.key)) return false;
    this.notices.set(notice.key, notice);
    return true;
  }
}

/** The kinds a listing owns: recomputed at every look, gone when the file is gone. */
const LISTING_KINDS: NoticeKind[] = ['skipped', 'refused'];

/**
 * Keeps a source's per-listing notices in step with the board: syncs only when the set changed (a
 * steady inbox costs no ledger call), and logs each new notice once at warn level.
 */
export class ListingNotices {
  private last: string | undefined;

  constructor(private readonly board: NoticeBoard, private readonly log: Logger) {}

  async publish(current: NoticeInput[]): Promise<void> {
    const sig = current.map((n) => `${n.key}\u0000${n.message}`).sort().join('\u0001');
    if (sig === this.last) return;
    const added = await this.board.sync(LISTING_KINDS, current);
    this.last = sig;
    for (const n of added) this.log.warn({ file: n.file, notice: n.kind }, `${n.kind === 'skipped' ? 'file not taken' : 'file refused'}: ${n.message}`);
  }
}
