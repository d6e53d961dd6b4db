/**
 * What the running gateway did lately, per channel job, in memory: when each file channel last looked
 * at its folder/server successfully, when each webshop job (orders, products) last pulled a page or
 * finished, the last error, and whether intake is busy with a batch right now. Read by /readyz
 * (src/observe/readiness.ts) and the metrics; updated by the gateway at a handful of points per
 * look or page (never per record). Only this process's work counts: another instance on the same
 * PostgreSQL ledger has its own.
 */

/** One job of one channel: `poll` for folder/SFTP channels and report sources, `orders`/`products` for webshops. */
export interface JobActivity {
  /** `merchant/channel`. */
  key: string;
  merchant: string;
  channel: string;
  job: 'poll' | 'orders' | 'products';
  /** Poll jobs: ms between looks. */
  intervalMs?: number;
  /** Webshop jobs: the cron expression of the job (in `timezone`). */
  schedule?: string;
  timezone?: string;
  /** Epoch ms of the last successful look, pulled page or finished pull (undefined: none since start). */
  lastOkAt?: number;
  /** Epoch ms and message of the last failure. */
  lastErrorAt?: number;
  lastError?: string;
  /** Epoch ms since when a batch of this job is in intake (local work: the transport part is done). */
  busySince?: number;
}

export class GatewayActivity {
  /** Epoch ms when the gateway was built: a job that never ran counts as silent from here. */
  readonly startedAt = Date.now();
  private readonly jobs = new Map<string, JobActivity>();

  /** Registers a job (idempotent). */
  add(job: Omit<JobActivity, 'lastOkAt' | 'lastErrorAt' | 'lastError' | 'busySince'>): void {
    const id = `${job.key} ${job.job}`;
    if (!this.jobs.has(id)) this.jobs.set(id, { ...job });
  }

  /** A successful look, page or pull of `key`'s `job`, now. */
  ok(key: string, job: JobActivity['job']): void {
    const j = this.jobs.get(`${key} ${job}`);
    if (j) j.lastOkAt = Date.now();
  }

  /** A failed look or pull (the message as logged: describeError, no secrets). */
  failed(key: string, job: JobActivity['job'], error: string): void {
    const j = this.jobs.get(`${key} ${job}`);
    if (!j) return;
    j.lastErrorAt = Date.now();
    j.lastError = error;
  }

  /** Marks a batch of `key`'s `job` in intake (true) or done (false). */
  busy(key: string, job: JobActivity['job'], on: boolean): void {
    const j = this.jobs.get(`${key} ${job}`);
    if (j) j.busySince = on ? (j.busySince ?? Date.now()) : undefined;
  }

  /** Copies of every job's record, in registration order. */
  list(): JobActivity[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }
}
