import { describe, expect, it } from 'vitest';
import { JobRunner, SingleFlight, type JobState } from '../../src/daemon/jobs.js';

/** A promise with its resolve/reject at hand, to end a job when the test says so. */
function gate<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('JobRunner ("sync now" jobs)', () => {
  it('runs one job per target and kind at a time, reports progress to listeners, then the end', async () => {
    const runner = new JobRunner();
    const g = gate<Record<string, unknown>>();
    let report!: (p: { done: number }) => void;
    const a = runner.start('demo/woo', 'orders', 'records', async (r) => ((report = r), g.promise));
    expect(a).toMatchObject({ created: true, job: { state: 'running', target: 'demo/woo', job: 'orders', progress: { done: 0, total: null, unit: 'records' } } });
    expect(a.job.id).toMatch(/^j-[0-9a-f]{12}$/);
    // Same target and kind while it runs: that job. Another kind or target: a job of its own.
    expect(runner.start('demo/woo', 'orders', 'records', async () => ({}))).toEqual({ job: a.job, created: false });
    const other = runner.start('demo/woo', 'products', 'records', async () => ({ n: 1 }));
    expect(other.created).toBe(true);

    const seen: JobState[] = [];
    runner.subscribe(a.job.id, (j) => seen.push(structuredClone(j)));
    report({ done: 40 });
    g.resolve({ records: 40 });
    await new Promise((r) => setImmediate(r));
    expect(seen.map((j) => [j.state, j.progress.done, j.progress.total])).toEqual([['running', 40, null], ['done', 40, 40]]);
    expect(runner.get(a.job.id)).toMatchObject({ state: 'done', result: { records: 40 }, error: null });
    expect(runner.get(a.job.id)!.finishedAt).not.toBeNull();
    // Ended: the next start is a new job.
    const again = runner.start('demo/woo', 'orders', 'records', async () => Promise.reject(new Error('shop down')));
    expect(again.created).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(runner.get(again.job.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('shop down') });
    expect(runner.list().map((j) => j.id)[0]).toBe(again.job.id);
  });
});

describe('SingleFlight (the webshop pulls: schedule and sync now)', () => {
  it('joins a run in flight (same promise, its progress) and starts anew after it', async () => {
    const flights = new SingleFlight<string, number>();
    const g = gate<string>();
    let calls = 0;
    let progress!: (p: number) => void;
    const first = flights.run('k', async (p) => (calls++, (progress = p), g.promise));
    const heard: number[] = [];
    const second = flights.run('k', async () => (calls++, 'never'), (p) => heard.push(p));
    expect(second.joined).toBe(true);
    expect(second.promise).toBe(first.promise);
    progress(3);
    g.resolve('done');
    expect(await second.promise).toBe('done');
    expect(heard).toEqual([3]);
    expect(calls).toBe(1);
    const third = flights.run('k', async () => (calls++, 'again'));
    expect(third.joined).toBe(false);
    expect(await third.promise).toBe('again');
  });
});
