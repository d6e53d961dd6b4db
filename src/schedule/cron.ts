import { Cron, type CronOptions } from 'croner';
import type { Logger } from '../log.js';
import { WharfError } from '../errors.js';

/**
 * The cron options every Wharf schedule uses (croner, https://croner.56k.guru/usage/configuration/).
 * - five or six fields (seconds first), like classic cron and like the config docs say;
 * - `fixedTimeRule: 'no-wildcard'`: a job whose minute and hour fields name fixed times (`30 2 * * *`,
 *   `0 6,18 * * *`) runs once per day across DST: in the spring gap at the first valid time after it,
 *   on the autumn repeat only at the first occurrence. A job with a wildcard or step (`*\/5 * * * *`)
 *   runs by elapsed time: it skips times that do not exist and runs on both occurrences of a repeated
 *   hour, so it never pauses for an hour. Vixie cron classifies jobs the same way.
 */
function cronOptions(timezone: string): CronOptions {
  return { timezone, mode: '5-or-6-parts', fixedTimeRule: 'no-wildcard' };
}

/**
 * The next `count` run instants of `expression` in `timezone` strictly after `from` — what the
 * Scheduler fires on (both use the same croner options). Throws CONFIG_INVALID on a bad expression.
 */
export function nextRuns(expression: string, timezone: string, from: Date, count: number): Date[] {
  return compile(expression, timezone, 'schedule').nextRuns(count, from);
}

/**
 * The gap between the next two runs of `expression` after `from`, in ms (a schedule's interval, as
 * the console's "silent" and /readyz use it); undefined when it has fewer than two runs ahead.
 */
export function scheduleGapMs(expression: string, timezone: string, from: Date): number | undefined {
  const [a, b] = nextRuns(expression, timezone, from, 2);
  return a && b ? b.getTime() - a.getTime() : undefined;
}

function compile(expression: string, timezone: string, where: string): Cron {
  try {
    // A job-less Cron only evaluates the pattern: it schedules nothing.
    return new Cron(expression, cronOptions(timezone));
  } catch (err) {
    throw new WharfError('CONFIG_INVALID', `${JSON.stringify(expression)} is not a valid cron expression: ${(err as Error).message}`, {
      where,
      hint: 'five fields (minute hour day-of-month month day-of-week), or six with seconds first, e.g. "*/5 * * * *" for every five minutes',
    });
  }
}

/**
 * Cron jobs with an IANA time zone that never overlap themselves (DESIGN rule 9): a run still busy
 * when the next one is due makes that next one a logged skip, not a second concurrent run. Runs are
 * computed in the zone and are correct across DST changes (see `cronOptions`).
 */
export class Scheduler {
  private readonly tasks: Cron[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly timezone: string, private readonly logger: Logger) {}

  add(name: string, expression: string, job: () => Promise<unknown>): void {
    const log = this.logger.child({ job: name });
    let busy = false;
    // Our own guard rather than croner's `protect`, which runs a blocked run late, as soon as the
    // previous one ends: here a due time that finds the job busy is skipped, and the next run is at
    // its own scheduled time.
    const task = compile(expression, this.timezone, name).schedule(() => {
      if (busy) {
        log.warn('the previous run is still going; this run is skipped');
        return;
      }
      busy = true;
      const run = job()
        .catch((err: unknown) => log.error({ err: String(err) }, 'scheduled job failed; it runs again at its next time'))
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    });
    this.tasks.push(task);
    log.info({ schedule: expression, timezone: this.timezone, next: task.nextRun()?.toISOString() }, `scheduled ${name}`);
  }

  /** Stops every task and waits for the runs in progress. */
  async stop(): Promise<void> {
    for (const t of this.tasks) t.stop();
    await Promise.allSettled([...this.running]);
  }
}

/** Checks a cron expression at config time, naming the key that holds it. Throws CONFIG_INVALID. */
export function assertCron(expression: string, where: string): void {
  compile(expression, 'UTC', where);
}
