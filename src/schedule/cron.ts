import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import { WharfError } from '../errors.js';

/**
 * Cron jobs with an IANA time zone that never overlap themselves (DESIGN rule 9): a run still busy
 * when the next one is due makes that next one a logged skip, not a second concurrent run. node-cron
 * computes the next run in the zone, so a DST change moves a job by the wall clock, not by an hour.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly timezone: string, private readonly logger: Logger) {}

  add(name: string, expression: string, job: () => Promise<unknown>): void {
    const log = this.logger.child({ job: name });
    const task = cron.schedule(
      expression,
      async () => {
        const run = job().catch((err: unknown) => log.error({ err: String(err) }, 'scheduled job failed; it runs again at its next time'));
        this.running.add(run);
        try {
          await run;
        } finally {
          this.running.delete(run);
        }
      },
      {
        name,
        timezone: this.timezone,
        noOverlap: true,
        logger: {
          info: (m) => log.debug(m),
          warn: (m) => log.warn(m),
          error: (m) => log.error(String(m)),
          debug: (m) => log.debug(String(m)),
        },
      },
    );
    this.tasks.push(task);
    log.info({ schedule: expression, timezone: this.timezone, next: task.getNextRun()?.toISOString() }, `scheduled ${name}`);
  }

  /** Stops every task and waits for the runs in progress. */
  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.stop()));
    await Promise.allSettled([...this.running]);
  }
}

/** Checks a cron expression at config time, naming the key that holds it. */
export function assertCron(expression: string, where: string): void {
  if (!cron.validate(expression)) {
    throw new WharfError('CONFIG_INVALID', `${JSON.stringify(expression)} is not a valid cron expression`, { where, hint: 'five or six fields, e.g. "*/5 * * * *" for every five minutes' });
  }
}
