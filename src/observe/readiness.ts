import { describeError } from '../errors.js';
import type { ReadinessSettings } from '../config/http.js';
import type { ExportEntry } from '../config/load.js';
import type { ExportRun, Store } from '../ledger/store.js';
import type { JobActivity } from '../daemon/activity.js';
import { scheduleGapMs } from '../schedule/cron.js';
import { latestExportRun } from '../schedule/catch-up.js';

/**
 * The readiness of `wharf run` (GET /readyz, docs/operations.md "Readiness"): the ledger answers, no
 * channel job is silent, no export is overdue. Each check says why it failed, in plain words.
 */

/** One check of /readyz. */
export interface ReadinessCheck {
  check: 'ledger' | 'channel' | 'export';
  /** `merchant/channel` (channel checks) or `merchant/kind` (export checks). */
  name?: string;
  /** Channel checks: `poll` (folder/SFTP, report sources), `orders` or `products` (webshops). */
  job?: string;
  ok: boolean;
  /** Why not ready (only when `ok` is false). */
  reason?: string;
  /** Channel checks: the last success (UTC ISO 8601), null when none since the start. */
  lastOkAt?: string | null;
  /** Channel checks: how old the last success may be, seconds. */
  limitSeconds?: number;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

export interface ReadinessInput {
  store: Pick<Store, 'getCursor' | 'lastExportRuns'>;
  /** The gateway's channel jobs (Gateway.activity.list()) and its start (epoch ms). */
  jobs: JobActivity[];
  startedAt: number;
  exports: readonly ExportEntry[];
  settings: ReadinessSettings;
  now?: Date;
  /** How long the ledger may take to answer, ms (default 5000). */
  ledgerTimeoutMs?: number;
}

/** Runs every check. Never throws: a check that cannot be made fails with the reason. */
export async function readiness(input: ReadinessInput): Promise<Readiness> {
  const now = input.now ?? new Date();
  const checks: ReadinessCheck[] = [];
  const ledger = await ledgerCheck(input.store, input.ledgerTimeoutMs ?? 5000);
  checks.push(ledger);
  for (const job of input.jobs) checks.push(channelCheck(job, input.startedAt, now, input.settings.silentAfter));
  if (input.exports.length > 0) {
    let last: ExportRun[] | undefined;
    try {
      last = ledger.ok ? await input.store.lastExportRuns(input.exports.map((e) => e.key)) : undefined;
    } catch (err) {
      checks.push({ check: 'export', ok: false, reason: `cannot read the export runs from the ledger: ${describeError(err)}` });
    }
    if (last) {
      for (const e of input.exports) checks.push(exportCheck(e, last.find((r) => r.export === e.key), input.startedAt, now, input.settings.exportGraceMs));
    }
  }
  return { ready: checks.every((c) => c.ok), checks };
}

/** The ledger answers a primary-key read within `timeoutMs`. */
export async function ledgerCheck(store: Pick<Store, 'getCursor'>, timeoutMs: number): Promise<ReadinessCheck> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const r = await Promise.race([store.getCursor('wharf:readyz'), timeout]);
    if (r === 'timeout') return { check: 'ledger', ok: false, reason: `the ledger did not answer within ${timeoutMs / 1000} s` };
    return { check: 'ledger', ok: true };
  } catch (err) {
    return { check: 'ledger', ok: false, reason: `the ledger is not reachable: ${describeError(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A channel job is ready when its last success (a look at the folder/server, a pulled page, a
 * finished pull; the start when none yet) is at most `silentAfter` intervals old, or when it is busy
 * with a batch in intake (local work, the transport part done). Intervals: a file channel's
 * pollInterval; a webshop job's gap between the next two runs of its schedule.
 */
export function channelCheck(job: JobActivity, startedAt: number, now: Date, silentAfter: number): ReadinessCheck {
  const base: ReadinessCheck = { check: 'channel', name: job.key, job: job.job, ok: true, lastOkAt: job.lastOkAt === undefined ? null : new Date(job.lastOkAt).toISOString() };
  const interval = intervalOf(job, now);
  if (interval === undefined) return base;
  const limit = silentAfter * interval;
  const age = now.getTime() - (job.lastOkAt ?? startedAt);
  base.limitSeconds = limit / 1000;
  if (age <= limit || job.busySince !== undefined) return base;
  const what = job.job === 'poll' ? 'successful look at the channel' : `successful ${job.job} pull`;
  const since = job.lastOkAt === undefined ? ' since the start' : '';
  const error = job.lastError !== undefined && job.lastErrorAt !== undefined ? `; last error ${seconds(now.getTime() - job.lastErrorAt)} ago: ${job.lastError}` : '';
  return { ...base, ok: false, reason: `${job.key}: no ${what} for ${seconds(age)}${since} (limit ${silentAfter} × ${seconds(interval)})${error}` };
}

function intervalOf(job: JobActivity, now: Date): number | undefined {
  if (job.intervalMs !== undefined) return job.intervalMs;
  if (!job.schedule) return undefined;
  return scheduleGapMs(job.schedule, job.timezone ?? 'UTC', now);
}

/**
 * An export is overdue when its latest scheduled time at least `graceMs` ago has no finished run:
 * no run for it (or a later time), or its run failed or is still going. A time before the daemon's
 * start counts from the start (the catch-up run then has `graceMs`); an export that never ran is not
 * owed a run for a time before the start (`wharf run` waits for its next time).
 */
export function exportCheck(entry: Pick<ExportEntry, 'key' | 'schedule' | 'timezone'>, last: Pick<ExportRun, 'scheduledAt' | 'status' | 'error'> | undefined, startedAt: number, now: Date, graceMs: number): ReadinessCheck {
  const ok: ReadinessCheck = { check: 'export', name: entry.key, ok: true };
  const due = latestExportRun(entry.schedule, entry.timezone, new Date(now.getTime() - graceMs));
  if (!due) return ok;
  const dueIso = due.toISOString();
  if (due.getTime() < startedAt) {
    if (!last) return ok;
    if (now.getTime() - startedAt < graceMs) return ok;
  }
  const late = `${seconds(now.getTime() - due.getTime())} after its scheduled time ${dueIso}`;
  if (!last || last.scheduledAt < dueIso) return { ...ok, ok: false, reason: `export ${entry.key} is overdue: no run yet, ${late}` };
  if (last.scheduledAt > dueIso || last.status === 'done') return ok;
  if (last.status === 'failed') return { ...ok, ok: false, reason: `export ${entry.key} is overdue: the run of ${dueIso} failed (${last.error ?? 'no message'}); it is tried again at its next time` };
  return { ...ok, ok: false, reason: `export ${entry.key} is overdue: the run of ${dueIso} is not finished, ${late}` };
}

/** 1234 → "1.2 s", 90_000 → "90 s". */
function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}
