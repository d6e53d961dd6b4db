import { randomBytes } from 'node:crypto';
import { describeError } from '../errors.js';

/** What a "sync now" job runs (issue 11 §4): a channel job, or a merchant export. */
export type JobKind = 'orders' | 'products' | 'stock' | 'shipments' | 'export';

/** How far a job is. `total` null while unknown (a pull does not know its page count ahead). */
export interface JobProgress {
  done: number;
  total: number | null;
  /** What `done` counts: files, records, SKUs, shipments, items. */
  unit: string;
  /**
   * One line for people: while running what the job is doing ("page 3, 250 records"), once ended what
   * it did ("3 file(s) taken", "wrote stock-….csv: 12 item(s), 12 row(s)", `failed: <error>`); never
   * left at "starting".
   */
  text: string;
}

/** A job as the API shows it (GET /api/jobs/:id). */
export interface JobState {
  /** Random, e.g. `j-3f9a1c2b7d`. */
  id: string;
  /** The channel key (`merchant/channel`, `@warehouse/<name>`) or the export key (`merchant/stock`). */
  target: string;
  job: JobKind;
  state: 'running' | 'done' | 'failed';
  /** UTC ISO 8601. */
  startedAt: string;
  finishedAt: string | null;
  progress: JobProgress;
  /** What the job did (counts; no records, no secrets), once done. */
  result: Record<string, unknown> | null;
  /** Why it failed (describeError: no secrets), once failed. */
  error: string | null;
}

/** Runs the work of one job: reports progress, resolves with its result (rejects with its error). */
export type JobWork = (report: (p: Partial<JobProgress>) => void) => Promise<Record<string, unknown>>;

/** A job's progress text until its work reports. */
const STARTING = 'starting';

/** `files 0, imported 0` from a result's numbers and words (nested values left out). */
function resultText(r: Record<string, unknown>): string {
  const parts = Object.entries(r).filter(([, v]) => typeof v === 'number' || typeof v === 'string').map(([k, v]) => `${k} ${String(v)}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing to report';
}

/** How many finished jobs are remembered (oldest forgotten first). */
const KEEP_FINISHED = 200;

/**
 * The daemon's "sync now" jobs: one job per target and kind at a time (a second start while one runs
 * returns that one), each with its progress, result or error, and listeners for live progress (the
 * API's server-sent events). In memory only: a restart forgets them (the ledger keeps what they did).
 * Whether the work itself may run now (a scheduled run of the same job, another process) is the
 * work's business: see Gateway.syncNow.
 */
export class JobRunner {
  private readonly jobs = new Map<string, JobState>();
  private readonly running = new Map<string, JobState>();
  private readonly listeners = new Map<string, Set<(j: JobState) => void>>();

  /** Starts `work` as the job (target, kind), unless one runs: then returns that one (`created` false). */
  start(target: string, job: JobKind, unit: string, work: JobWork): { job: JobState; created: boolean } {
    const key = `${target}\u0000${job}`;
    const busy = this.running.get(key);
    if (busy) return { job: busy, created: false };
    const state: JobState = {
      id: `j-${randomBytes(6).toString('hex')}`, target, job, state: 'running', startedAt: new Date().toISOString(), finishedAt: null,
      progress: { done: 0, total: null, unit, text: STARTING }, result: null, error: null,
    };
    this.jobs.set(state.id, state);
    this.running.set(key, state);
    const report = (p: Partial<JobProgress>) => {
      if (state.state !== 'running') return;
      state.progress = { ...state.progress, ...p };
      this.emit(state);
    };
    void (async () => {
      try {
        state.result = await work(report);
        state.state = 'done';
        if (state.progress.total === null) state.progress = { ...state.progress, total: state.progress.done };
        // A work that never said what it did still ends with words for people, not "starting".
        if (state.progress.text === STARTING) state.progress = { ...state.progress, text: `done: ${resultText(state.result)}` };
      } catch (err) {
        state.error = describeError(err);
        state.state = 'failed';
        state.progress = { ...state.progress, text: `failed: ${state.error}` };
      }
      state.finishedAt = new Date().toISOString();
      this.running.delete(key);
      this.emit(state);
      this.listeners.delete(state.id);
      this.forgetOld();
    })();
    return { job: state, created: true };
  }

  /** The job with this id (running or remembered), if any. */
  get(id: string): JobState | undefined {
    return this.jobs.get(id);
  }

  /** Jobs, newest first (at most `limit`). */
  list(limit = 50): JobState[] {
    return [...this.jobs.values()].reverse().slice(0, limit);
  }

  /**
   * Calls `fn` with the job's state at each change until it ends (the last call has state done or
   * failed). Returns the function that stops listening. A finished job gets no call.
   */
  subscribe(id: string, fn: (j: JobState) => void): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit(state: JobState): void {
    for (const fn of this.listeners.get(state.id) ?? []) {
      try {
        fn(state);
      } catch {
        // A listener (an HTTP client gone away) never stops the job.
      }
    }
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.id);
  }
}

/**
 * One run of a keyed job at a time: `run(key, fn)` starts `fn` unless it runs already for `key`; then
 * the caller joins that run (same promise) and its progress. For the webshop pulls, which both the
 * schedule and "sync now" start.
 */
export class SingleFlight<T, P> {
  private readonly flights = new Map<string, { promise: Promise<T>; listeners: Set<(p: P) => void> }>();

  run(key: string, fn: (progress: (p: P) => void) => Promise<T>, onProgress?: (p: P) => void): { promise: Promise<T>; joined: boolean } {
    const flight = this.flights.get(key);
    if (flight) {
      if (onProgress) flight.listeners.add(onProgress);
      return { promise: flight.promise, joined: true };
    }
    const listeners = new Set<(p: P) => void>(onProgress ? [onProgress] : []);
    const promise = fn((p) => listeners.forEach((l) => l(p))).finally(() => this.flights.delete(key));
    this.flights.set(key, { promise, listeners });
    return { promise, joined: false };
  }
}
