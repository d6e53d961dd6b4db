import { Cron } from 'croner';
import { DateTime } from 'luxon';
import { WharfError } from '../errors.js';

/**
 * Export schedules tick once per wall-clock slot. Croner (with Wharf's options, see cron.ts) already
 * runs fixed-time jobs (`30 2 * * *`) once across DST; a wildcard/step job (`*\/30 * * * *`) would run
 * on both occurrences of the hour the clocks go back, which for an export means two files for one
 * slot (and, with names like `stock-{yyyyMMdd-HHmm}.csv`, the same name twice). So export ticks whose
 * local time repeats an earlier tick's local time are dropped: in Europe/Amsterdam on 25 October 2026
 * `*\/30` ticks at 02:00 and 02:30 CEST, then next at 03:00 CET. In the spring gap croner runs a
 * fixed-time job at the first valid time after it (02:30 → 03:00) and a wildcard job skips the
 * missing times, so no slot that exists is lost.
 */
const CRON_OPTIONS = { mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard' } as const;

const WALL = "yyyy-MM-dd'T'HH:mm:ss";

function compile(pattern: string, timezone: string): Cron {
  try {
    return new Cron(pattern, { ...CRON_OPTIONS, timezone });
  } catch (err) {
    throw new WharfError('CONFIG_INVALID', `${JSON.stringify(pattern)} is not a valid cron expression in ${timezone}: ${(err as Error).message}`, {
      hint: 'five fields (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *"',
    });
  }
}

/**
 * True when the local wall-clock time of `at` in `timezone` already happened earlier (the second
 * pass through the hour the clocks go back): 02:30 CET on 25 October 2026 in Europe/Amsterdam is a
 * repeat of 02:30 CEST. The export runner skips a scheduled run at such an instant.
 */
export function isRepeatedWallClock(at: Date, timezone: string): boolean {
  const dt = DateTime.fromJSDate(at, { zone: timezone });
  // Offset changes are at most a few hours apart from their effect; 3 hours back is before any of them.
  const back = dt.offset === dt.minus({ hours: 3 }).offset ? 0 : dt.minus({ hours: 3 }).offset - dt.offset;
  if (back <= 0) return false;
  return dt.minus({ minutes: back }).toFormat(WALL) === dt.toFormat(WALL);
}

/**
 * The next `count` export run instants of `pattern` in `timezone` strictly after `after`, one per
 * wall-clock slot (see isRepeatedWallClock). Throws CONFIG_INVALID for a bad pattern.
 */
export function exportRuns(pattern: string, timezone: string, after: Date, count: number): Date[] {
  const cron = compile(pattern, timezone);
  const out: Date[] = [];
  let from = after;
  while (out.length < count) {
    const batch = cron.nextRuns(Math.max(count, 64), from);
    if (batch.length === 0) break;
    for (const t of batch) {
      if (!isRepeatedWallClock(t, timezone)) out.push(t);
      if (out.length === count) break;
    }
    from = batch[batch.length - 1]!;
  }
  return out;
}

/** The latest export run instant of `pattern` at or before `at` (one per wall-clock slot), if any. */
export function latestExportRun(pattern: string, timezone: string, at: Date): Date | undefined {
  const cron = compile(pattern, timezone);
  let ref = new Date(at.getTime() + 1);
  // A repeated hour holds at most 3600 ticks of a six-field (seconds) pattern; 64 per batch, bounded.
  for (let guard = 0; guard < 100; guard++) {
    const batch = cron.previousRuns(64, ref);
    if (batch.length === 0) return undefined;
    for (const t of batch) if (t.getTime() <= at.getTime() && !isRepeatedWallClock(t, timezone)) return t;
    ref = batch[batch.length - 1]!;
  }
  return undefined;
}

/** Whether a run was missed while Wharf was down, and the one run to make up for it. */
export interface CatchUp {
  /** True when at least one scheduled run fell after the last run and at or before now. */
  missed: boolean;
  /** The scheduled time of the one catch-up run: the latest missed tick (set when `missed`). */
  at?: Date;
}

/**
 * Decides the catch-up run of an export schedule after downtime. Given the scheduled time of the
 * last run that happened (`last`, or undefined when the export never ran) and `now`: when some tick
 * t with last < t <= now exists (one per wall-clock slot), the export missed it, and exactly ONE
 * catch-up run is due, at the scheduled time of the LATEST such tick (a stock export only needs the
 * newest state; the file name is evaluated at that time). Never one run per missed tick. With no
 * `last` nothing counts as missed: a new export first runs at its next tick. Pure: no clock is read.
 * Throws CONFIG_INVALID for a bad pattern.
 */
export function catchUp(pattern: string, timezone: string, last: Date | undefined, now: Date): CatchUp {
  if (last === undefined) {
    compile(pattern, timezone);
    return { missed: false };
  }
  const latest = latestExportRun(pattern, timezone, now);
  if (latest === undefined || latest.getTime() <= last.getTime()) return { missed: false };
  return { missed: true, at: latest };
}
