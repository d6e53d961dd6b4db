import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import type { LedgerGroup, Store } from '../ledger/store.js';
import type { Batch, BatchOutcome } from './ports.js';

/** At most this many files share one ledger transaction. */
export const GROUP_MAX_FILES = 64;
/**
 * A group is committed once it has been open this long (ms), however few files it holds: while it is
 * open every other ledger call (the delivery loop, the console) waits, and nothing of it is durable.
 */
export const GROUP_MAX_MS = 200;

/**
 * What is left to do for a file once its group is committed: its `ack` (archive, delete; never run
 * before the commit, DESIGN rule 3) and then forgetting its unsettled key.
 */
export interface Settlement {
  batch: Batch;
  outcome: BatchOutcome;
  /** The seen key that marks the committed-but-not-yet-acked file (see unsettledKey in intake.ts). */
  forget?: { scope: string; key: string };
  log: Logger;
}

/**
 * Group commits for file intake (issue 10): the files of one poll go through `processBatch` one after
 * the other, but up to GROUP_MAX_FILES of them (or GROUP_MAX_MS worth) share one ledger transaction,
 * each in a savepoint of its own (a file that fails is rolled back alone). A file's ack waits for its
 * group's commit: `defer` queues it, `commit` commits and then runs the queued acks outside the
 * transaction, so a crash at any point leaves each file either committed with all its records and
 * its unsettled key (the next look finishes its clean-up) or not at all (it is read again). The keys
 * of settled files are forgotten in the next group's transaction (or one of their own at the end).
 *
 * Not reentrant: one file at a time, from one loop.
 */
export class IntakeGroup {
  private settlements: Settlement[] = [];
  private forgets: { scope: string; key: string }[] = [];
  private files = 0;
  private openedAt = 0;
  private readonly onCommitted: { batch: Batch; done: () => void; failed?: (() => void) | undefined }[] = [];

  constructor(private readonly ledger: LedgerGroup) {}

  /** The store to hand to intake: inside the group's transaction while it is open. */
  get store(): Store {
    return this.ledger.store;
  }

  /**
   * Opens the group for the next file: commits the current one first when it is full or old
   * (GROUP_MAX_FILES, GROUP_MAX_MS), then begins a new one when none is open. Throws what the commit
   * or `begin` throws (LEDGER_FAILED).
   */
  async next(): Promise<void> {
    if (this.ledger.open && (this.files >= GROUP_MAX_FILES || performance.now() - this.openedAt >= GROUP_MAX_MS)) await this.commit();
    if (!this.ledger.open) await this.begin();
    this.files++;
  }

  /** Queues a committed file's ack (and the removal of its unsettled key) until the group's commit. */
  defer(settlement: Settlement): void {
    this.settlements.push(settlement);
  }

  /**
   * Runs `done` once `batch` is done: after the group's commit and its ack (if deferred) succeeded; or
   * `failed` when the commit or its ack failed (then the file is given back, as when intake throws).
   */
  whenDone(batch: Batch, done: () => void, failed?: () => void): void {
    this.onCommitted.push({ batch, done, failed });
  }

  /**
   * Commits the group (when open), then runs `fn` outside any transaction, then opens the group again:
   * for steps that need the file's ledger writes durable first and the store free (moving a file to
   * quarantine, whose source may write the ledger itself). Rare: only bad files take this way.
   */
  async outside<T>(fn: () => Promise<T>): Promise<T> {
    const wasOpen = this.ledger.open;
    await this.commit();
    try {
      return await fn();
    } finally {
      if (wasOpen) await this.begin();
    }
  }

  /**
   * Commits the open group, then acks its files (each after the commit, outside the transaction; an
   * ack that fails is logged and the file given back to its source: it stays committed, and the next
   * look finishes its clean-up). When the commit fails, nothing of the group is kept: every deferred
   * file is given back untouched (nack) to be read again, and the error is thrown.
   */
  async commit(): Promise<void> {
    const settlements = this.settlements;
    const committed = this.onCommitted.splice(0);
    this.settlements = [];
    this.files = 0;
    if (this.ledger.open) {
      try {
        await this.ledger.commit();
      } catch (err) {
        for (const s of settlements) await s.batch.nack().catch(() => undefined);
        for (const c of committed) c.failed?.();
        throw err;
      }
    }
    const failed = new Set<Batch>();
    for (const s of settlements) {
      try {
        await s.batch.ack(s.outcome);
        if (s.forget) this.forgets.push(s.forget);
      } catch (err) {
        failed.add(s.batch);
        await s.batch.nack().catch(() => undefined);
        s.log.error(`could not process the file; it stays in place and is tried again: ${describeError(err)}`);
      }
    }
    for (const c of committed) {
      if (failed.has(c.batch)) c.failed?.();
      else c.done();
    }
  }

  /** Commits what is open and forgets the keys of the files settled since (one last small transaction). */
  async end(): Promise<void> {
    await this.commit();
    if (this.forgets.length === 0) return;
    await this.begin();
    await this.commit();
  }

  /** Gives up the open group (a ledger failure): nothing of it is kept, its deferred files are given back. */
  async abandon(): Promise<void> {
    const settlements = this.settlements;
    const committed = this.onCommitted.splice(0);
    this.settlements = [];
    this.files = 0;
    await this.ledger.rollback().catch(() => undefined);
    for (const s of settlements) await s.batch.nack().catch(() => undefined);
    for (const c of committed) c.failed?.();
  }

  private async begin(): Promise<void> {
    await this.ledger.begin();
    this.openedAt = performance.now();
    const forgets = this.forgets;
    this.forgets = [];
    try {
      for (const f of forgets) await this.ledger.store.removeSeen(f.scope, f.key);
    } catch (err) {
      this.forgets.push(...forgets);
      await this.ledger.rollback().catch(() => undefined);
      throw err;
    }
  }
}
