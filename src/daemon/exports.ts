import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import type { ExportEntry } from '../config/return-flow.js';
import type { ExportRun, Store } from '../ledger/store.js';
import { catchUp, exportRuns, latestExportRun } from '../schedule/catch-up.js';

/**
 * The export scheduler of `wharf run` and `wharf once` (issue 8, DESIGN rule 9): one timer per
 * `LoadedConfig.exports` entry, in the export's own IANA time zone.
 *
 * Ticks come from croner through src/schedule/catch-up.ts (`exportRuns`), so there is one tick per
 * wall-clock slot across DST (the export file name is made from the wall-clock time):
 * - 25 October (clocks go back): a wildcard/step job (`* * * * *`, `*\/30 * * * *`) does not tick a
 *   second time in the repeated hour; a fixed-time job (`30 2 * * *`) runs at the first 02:30 only.
 * - 29 March (clocks go forward): croner skips wall-clock times that do not exist for wildcard/step
 *   jobs (there is no 02:xx slot to name a file after) and runs a fixed-time job in the gap at the first
 *   valid time after it (`30 2 * * *` → 03:00 CEST), so no day loses its run. We keep croner's choice:
 *   it is the vixie-cron rule and no existing slot is lost.
 *
 * Each tick calls the runner with the tick's scheduled instant. A tick that finds the previous run of
 * the same export still going is skipped and logged (never queued, never run twice at once). A timer
 * that wakes late (process paused, machine asleep) runs once, for the latest tick due, not once per
 * tick missed. At start, a claimed-but-unfinished run (a crash) is resumed first, then `catchUp` gives
 * at most one run for the ticks missed while Wharf was down. A failed run is retried at the next tick.
 */

/** Runs one export for one scheduled instant; rejects when the run failed (runExport's contract). */
export type ExportRunner = (entry: ExportEntry, scheduledAt: Date, onProgress?: (p: { items: number; total?: number }) => void) => Promise<unknown>;

export interface ExportSchedulerDeps {
  store: Pick<Store, 'lastExportRuns'>;
  logger: Logger;
  run: ExportRunner;
  /** The clock (tests pass a fixed one); default `new Date()`. */
  now?: () => Date;
}

/** Why a run is made outside its timer tick. */
export type StartupReason = 'resume' | 'catch-up' | 'first';

/** One run decided at start: the scheduled instant and why. */
export interface StartupRun {
  at: Date;
  reason: StartupReason;
}

/**
 * The planned ticks of `entry` strictly after `from` and at or before `to`, one per wall-clock slot
 * (the instants the scheduler fires on). Throws CONFIG_INVALID for a bad pattern (the config loader
 * has checked it already).
 */
export function plannedRuns(entry: Pick<ExportEntry, 'schedule' | 'timezone'>, from: Date, to: Date): Date[] {
  const out: Date[] = [];
  let after = from;
  for (;;) {
    const batch = exportRuns(entry.schedule, entry.timezone, after, 256);
    for (const t of batch) {
      if (t.getTime() > to.getTime()) return out;
      out.push(t);
    }
    if (batch.length < 256) return out;
    after = batch[batch.length - 1]!;
  }
}

/**
 * The runs due when Wharf starts, in order, from the export's latest run in the ledger (`last`, or
 * undefined when it never ran) and `now`. Pure: reads no clock.
 * - `last` claimed (a crash mid-run): resume it first, at its own scheduled time (same file name, same
 *   content, see Store.claimExportRun).
 * - ticks missed since `last` (done, failed or resumed): ONE run, at the latest missed tick (`catchUp`).
 * - never ran: `run` mode waits for the next tick; `once` mode (no next tick) runs the latest tick at or
 *   before now, so that `wharf once` after the schedule time writes the file, also the first time.
 */
export function startupRuns(entry: Pick<ExportEntry, 'schedule' | 'timezone'>, last: Pick<ExportRun, 'scheduledAt' | 'status'> | undefined, now: Date, mode: 'run' | 'once'): StartupRun[] {
  const out: StartupRun[] = [];
  if (last === undefined) {
    if (mode === 'once') {
      const at = latestExportRun(entry.schedule, entry.timezone, now);
      if (at) out.push({ at, reason: 'first' });
    } else {
      catchUp(entry.schedule, entry.timezone, undefined, now); // checks the pattern
    }
    return out;
  }
  const lastAt = new Date(last.scheduledAt);
  if (last.status === 'claimed') out.push({ at: lastAt, reason: 'resume' });
  const c = catchUp(entry.schedule, entry.timezone, lastAt, now);
  if (c.missed && c.at) out.push({ at: c.at, reason: 'catch-up' });
  return out;
}

/** setTimeout's limit is 2^31-1 ms; a far tick is reached in steps (and the clock re-read on each). */
const MAX_WAIT_MS = 60 * 60_000;

/** One export's timer state. */
export interface Slot {
  entry: ExportEntry;
  busy: boolean;
  /** The run in flight while busy (settles, never rejects). */
  current?: Promise<void>;
  /** The last tick fired (or the start time): the next tick is the first planned one after it. */
  after: Date;
  timer?: NodeJS.Timeout;
}

/**
 * Export timers: `start()` runs the startup runs (see `startupRuns`) and arms one timer per export;
 * `runDue()` is `wharf once`: only the startup runs, awaited; `stop()` clears every timer and waits for
 * the runs in flight (a run cut off by the process exit stays claimed and is resumed at the next start).
 */
export class ExportScheduler {
  private readonly slots: Slot[];
  private readonly running = new Set<Promise<void>>();
  private readonly now: () => Date;
  private stopped = false;

  constructor(entries: ExportEntry[], private readonly deps: ExportSchedulerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.slots = entries.map((entry) => ({ entry, busy: false, after: this.now() }));
  }

  /** The daemon: startup runs in the background, then every export on its schedule until `stop()`. */
  async start(): Promise<void> {
    const plans = await this.plans('run');
    for (const [slot, runs] of plans) {
      slot.after = this.now();
      if (runs.length > 0) this.launch(slot, runs);
      this.arm(slot);
      const next = exportRuns(slot.entry.schedule, slot.entry.timezone, slot.after, 1)[0];
      this.log(slot).info({ schedule: slot.entry.schedule, timezone: slot.entry.timezone, next: next?.toISOString() }, `export ${slot.entry.key} scheduled`);
    }
  }

  /** `wharf once`: the runs due by catch-up (resume, missed tick, or a first run), awaited. Errors are logged. */
  async runDue(): Promise<number> {
    let n = 0;
    for (const [slot, runs] of await this.plans('once')) {
      if (runs.length === 0) continue;
      n += runs.length;
      this.launch(slot, runs);
    }
    await Promise.allSettled([...this.running]);
    return n;
  }

  /** Clears every timer (none outlives this call) and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.slots) clearTimeout(s.timer);
    await Promise.allSettled([...this.running]);
  }

  /**
   * A timer tick of `slot` for the scheduled instant `at`: runs it unless the previous run of the same
   * export is still going (then the tick is skipped and logged). Returns whether a run started.
   */
  fire(slot: Slot, at: Date): boolean {
    if (slot.busy) {
      this.log(slot).warn({ scheduledAt: at.toISOString() }, `export ${slot.entry.key}: the previous run is still going; the run for ${at.toISOString()} is skipped`);
      return false;
    }
    this.launch(slot, [{ at, reason: 'first' }], true);
    return true;
  }

  /**
   * "Sync now" (the console, issue 11): runs export `key` for `at` with progress, unless a run of it
   * is going (then `joined` is that run, which settles when it ends: never two runs of one export at
   * once). Undefined when no export has that key. `started` rejects when the run failed.
   */
  runNow(key: string, at: Date, onProgress?: (p: { items: number; total?: number }) => void): { started: Promise<unknown> } | { joined: Promise<void> } | undefined {
    const slot = this.slots.find((s) => s.entry.key === key);
    if (!slot) return undefined;
    if (slot.busy) return { joined: slot.current ?? Promise.resolve() };
    slot.busy = true;
    this.log(slot).info({ scheduledAt: at.toISOString() }, `export ${key}: run now (sync now)`);
    const started = this.deps.run(slot.entry, at, onProgress);
    const settled: Promise<void> = started.then(() => undefined, () => undefined).finally(() => {
      slot.busy = false;
      slot.current = undefined;
      this.running.delete(settled);
    });
    slot.current = settled;
    this.running.add(settled);
    return { started };
  }

  /** The slots, for tests and `fire`. */
  get exports(): readonly Slot[] {
    return this.slots;
  }

  private async plans(mode: 'run' | 'once'): Promise<[Slot, StartupRun[]][]> {
    if (this.slots.length === 0) return [];
    let last: ExportRun[];
    try {
      last = await this.deps.store.lastExportRuns(this.slots.map((s) => s.entry.key));
    } catch (err) {
      // Without the ledger there is no catch-up to decide; the timers still run (each run claims in the ledger).
      this.deps.logger.error(`cannot read the last export runs; no catch-up now, the exports run at their next times: ${describeError(err)}`);
      return this.slots.map((s) => [s, []]);
    }
    const now = this.now();
    return this.slots.map((s) => [s, startupRuns(s.entry, last.find((r) => r.export === s.entry.key), now, mode)]);
  }

  /** Runs `runs` of one export one after another, holding its overlap guard. */
  private launch(slot: Slot, runs: StartupRun[], tick = false): void {
    slot.busy = true;
    const log = this.log(slot);
    const job = (async () => {
      for (const r of runs) {
        if (this.stopped && !tick) break;
        if (!tick) log.info({ scheduledAt: r.at.toISOString(), reason: r.reason }, `export ${slot.entry.key}: ${r.reason === 'resume' ? 'resuming the unfinished run' : r.reason === 'catch-up' ? 'catching up the run missed while Wharf was down' : 'running the due run'} of ${r.at.toISOString()}`);
        try {
          await this.deps.run(slot.entry, r.at);
        } catch (err) {
          log.error({ scheduledAt: r.at.toISOString() }, `export ${slot.entry.key} failed; it is tried again at its next scheduled time: ${describeError(err)}`);
        }
      }
    })().finally(() => {
      slot.busy = false;
      slot.current = undefined;
      this.running.delete(job);
    });
    slot.current = job;
    this.running.add(job);
  }

  /** Sleeps until the slot's next tick, fires it (the latest one due, if the timer woke late), re-arms. */
  private arm(slot: Slot): void {
    if (this.stopped) return;
    const now = this.now();
    const next = exportRuns(slot.entry.schedule, slot.entry.timezone, slot.after, 1)[0];
    if (next === undefined) return;
    const wait = next.getTime() - now.getTime();
    if (wait > 0) {
      slot.timer = setTimeout(() => this.arm(slot), Math.min(wait, MAX_WAIT_MS));
      return;
    }
    const latest = latestExportRun(slot.entry.schedule, slot.entry.timezone, now) ?? next;
    const at = latest.getTime() > next.getTime() ? latest : next;
    if (at !== next) this.log(slot).warn({ from: next.toISOString(), to: at.toISOString() }, `export ${slot.entry.key}: the timer woke late; one run for the latest tick due`);
    slot.after = at;
    this.fire(slot, at);
    this.arm(slot);
  }

  private log(slot: Slot): Logger {
    return this.deps.logger.child({ merchant: slot.entry.merchant, export: slot.entry.key });
  }
}
