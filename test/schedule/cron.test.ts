/**
 * Schedules across DST, on fixed dates (never the wall clock): the EU changes of 2026 in
 * Europe/Amsterdam are 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z) and 2026-10-25 03:00 CEST -> 02:00 CET
 * (01:00Z). The first half checks the run times the scheduler computes; the second half runs the real
 * Scheduler under fake timers across both changes and counts the runs that actually fire.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Scheduler, assertCron, nextRuns } from '../../src/schedule/cron.js';
import { silentLogger } from '../../src/log.js';

const TZ = 'Europe/Amsterdam';
const MIN = 60_000;

function gaps(runs: Date[]): number[] {
  return runs.slice(1).map((d, i) => (d.getTime() - runs[i]!.getTime()) / MIN);
}

describe('run times across DST (Europe/Amsterdam, 2026)', () => {
  it('*/5 keeps a five-minute pace through the autumn change (no 65-minute pause)', () => {
    // From 02:40 CEST (00:40Z) for three hours: the repeated hour 02:00-03:00 runs twice.
    const runs = nextRuns('*/5 * * * *', TZ, new Date('2026-10-25T00:40:00Z'), 36);
    expect(runs[0]!.toISOString()).toBe('2026-10-25T00:45:00.000Z');
    expect(new Set(gaps(runs))).toEqual(new Set([5]));
    expect(runs.at(-1)!.toISOString()).toBe('2026-10-25T03:40:00.000Z');
  });

  it('*/5 keeps a five-minute pace through the spring change (the missing hour has no runs)', () => {
    const runs = nextRuns('*/5 * * * *', TZ, new Date('2026-03-29T00:30:00Z'), 24);
    expect(new Set(gaps(runs))).toEqual(new Set([5]));
    // 01:55 CET is followed by 03:00 CEST, five minutes later.
    expect(runs.map((d) => d.toISOString())).toContain('2026-03-29T01:00:00.000Z');
  });

  it('a daily 30 2 * * * runs once on the spring-change day, at the first valid time after the gap', () => {
    const runs = nextRuns('30 2 * * *', TZ, new Date('2026-03-27T12:00:00Z'), 4);
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST, the first time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('a daily 30 2 * * * runs once on the autumn-change day, not on both 02:30s', () => {
    const runs = nextRuns('30 2 * * *', TZ, new Date('2026-10-24T12:00:00Z'), 3);
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST)
      '2026-10-26T01:30:00.000Z', // 02:30 CET the next day
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('a list of fixed times (0 2,14 * * *) is a fixed-time job too', () => {
    const runs = nextRuns('0 2,14 * * *', TZ, new Date('2026-10-24T22:00:00Z'), 3);
    expect(runs.map((d) => d.toISOString())).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T13:00:00.000Z', '2026-10-26T01:00:00.000Z']);
  });

  it('an invalid expression is a config error naming the key', () => {
    expect(() => assertCron('*/5 * * *', 'merchants.m.channels.c.schedules.orders')).toThrow(/not a valid cron expression/);
    expect(() => assertCron('61 * * * *', 'x')).toThrow(/not a valid cron expression/);
    expect(() => assertCron('0 */15 * * * *', 'x')).not.toThrow();
  });
});

describe('the Scheduler fires across DST (fake timers on fixed dates)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs a Scheduler with `expression` from `start` for `hours`, returning the instants the job ran. */
  async function fire(expression: string, start: string, hours: number, jobMs = 0): Promise<{ runs: string[]; started: number }> {
    vi.useFakeTimers({ now: new Date(start) });
    const s = new Scheduler(TZ, silentLogger());
    const runs: string[] = [];
    let started = 0;
    s.add('test', expression, async () => {
      started++;
      runs.push(new Date().toISOString());
      if (jobMs > 0) await new Promise((r) => setTimeout(r, jobMs));
    });
    // Step a minute at a time so every timer croner sets fires at its own instant.
    for (let i = 0; i < hours * 60; i++) await vi.advanceTimersByTimeAsync(MIN);
    // stop() waits for a run in progress: let its (fake) time pass.
    const stopped = s.stop();
    await vi.advanceTimersByTimeAsync(jobMs);
    await stopped;
    return { runs, started };
  }

  it('*/5 fires every five minutes through the autumn change', async () => {
    const { runs } = await fire('*/5 * * * *', '2026-10-25T00:02:00Z', 2);
    expect(runs).toHaveLength(24);
    expect(new Set(gaps(runs.map((r) => new Date(r))))).toEqual(new Set([5]));
  });

  it('30 2 * * * fires once on each change day', async () => {
    const spring = await fire('30 2 * * *', '2026-03-28T23:00:00Z', 4);
    expect(spring.runs.map((r) => r.slice(0, 19))).toEqual(['2026-03-29T01:00:00']);
    const autumn = await fire('30 2 * * *', '2026-10-24T23:00:00Z', 4);
    expect(autumn.runs.map((r) => r.slice(0, 19))).toEqual(['2026-10-25T00:30:00']);
  });

  it('never overlaps itself: a run that takes 12 minutes makes the due runs in between skips', async () => {
    const { runs } = await fire('*/5 * * * *', '2026-10-25T00:02:00Z', 1, 12 * MIN);
    // Runs start at :05, then the first due time after it finished (:20), then :35, :50.
    expect(runs.map((r) => r.slice(11, 16))).toEqual(['00:05', '00:20', '00:35', '00:50']);
  });
});
