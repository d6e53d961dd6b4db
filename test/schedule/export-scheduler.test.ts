import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExportScheduler, plannedRuns, startupRuns } from '../../src/daemon/exports.js';
import type { ExportEntry } from '../../src/config/return-flow.js';
import type { ExportRun } from '../../src/ledger/store.js';
import { silentLogger } from '../../src/log.js';

// Every date here is fixed; the timer tests run on vitest's fake clock (no wall-clock waits).
const AMS = 'Europe/Amsterdam';
const utc = (iso: string) => new Date(iso);
const wall = (d: Date) => DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-MM-dd HH:mm');
const local = (d: Date) => DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-MM-dd HH:mm ZZ');

function entry(schedule: string, key = 'demo/stock'): ExportEntry {
  return {
    kind: 'stock', mode: 'full', merchant: 'demo', key, schedule, timezone: AMS, destination: { type: 'folder', path: '/nonexistent' },
    mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd-HHmm}.csv', writeEmpty: false,
  };
}

function lastRun(scheduledAt: string, status: ExportRun['status'], key = 'demo/stock'): ExportRun {
  return { id: 1, export: key, scheduledAt, fileName: 'x', status, items: 0, error: null, startedAt: scheduledAt, finishedAt: null };
}

/** Wall-clock slots of the day's local times: every one appears exactly once. */
function expectOnePerSlot(runs: Date[]): void {
  const slots = runs.map(wall);
  expect(new Set(slots).size).toBe(slots.length);
}

describe('plannedRuns across the 2026 DST changes in Europe/Amsterdam', () => {
  it('every minute, 29 March: 1380 runs (23-hour day), one per existing minute, none lost', () => {
    const runs = plannedRuns(entry('* * * * *'), utc('2026-03-28T22:59:00Z'), utc('2026-03-29T21:59:00Z'));
    expect(runs).toHaveLength(23 * 60);
    expectOnePerSlot(runs);
    // Consecutive runs are one minute apart: no minute that exists is skipped.
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.getTime() - runs[i - 1]!.getTime()).toBe(60_000);
    expect(runs.map(wall)).not.toContain('2026-03-29 02:30');
  });

  it('every minute, 25 October: 1440 runs (a 25-hour day with one repeated hour), one per wall-clock minute', () => {
    const runs = plannedRuns(entry('* * * * *'), utc('2026-10-24T21:59:00Z'), utc('2026-10-25T22:59:00Z'));
    expect(runs).toHaveLength(24 * 60);
    expectOnePerSlot(runs);
    // 02:59 CEST is followed by 03:00 CET, an hour later: the repeated 02:xx CET are not run again.
    expect(runs.map(local)).toContain('2026-10-25 02:59 +02:00');
    expect(runs.map(local)).not.toContain('2026-10-25 02:00 +01:00');
  });

  it('every 30 minutes across both changes: 46 and 48 runs, one per wall-clock slot', () => {
    const march = plannedRuns(entry('*/30 * * * *'), utc('2026-03-28T22:59:00Z'), utc('2026-03-29T21:59:00Z'));
    expect(march).toHaveLength(46);
    expectOnePerSlot(march);
    const october = plannedRuns(entry('*/30 * * * *'), utc('2026-10-24T21:59:00Z'), utc('2026-10-25T22:59:00Z'));
    expect(october).toHaveLength(48);
    expectOnePerSlot(october);
  });

  it('daily 02:30: runs on each day, at 03:00 CEST in the March gap and only at the first 02:30 in October', () => {
    expect(plannedRuns(entry('30 2 * * *'), utc('2026-03-27T00:00:00Z'), utc('2026-03-31T00:00:00Z')).map(local)).toEqual([
      '2026-03-27 02:30 +01:00', '2026-03-28 02:30 +01:00', '2026-03-29 03:00 +02:00', '2026-03-30 02:30 +02:00',
    ]);
    expect(plannedRuns(entry('30 2 * * *'), utc('2026-10-23T00:00:00Z'), utc('2026-10-27T00:00:00Z')).map(local)).toEqual([
      '2026-10-23 02:30 +02:00', '2026-10-24 02:30 +02:00', '2026-10-25 02:30 +02:00', '2026-10-26 02:30 +01:00',
    ]);
  });
});

describe('startupRuns: catch-up and resume', () => {
  const e = entry('*/5 * * * *');

  it('after a 3-hour downtime: one run, for the latest missed tick (not 36)', () => {
    const runs = startupRuns(e, lastRun('2026-06-01T09:00:00.000Z', 'done'), utc('2026-06-01T12:02:30Z'), 'run');
    expect(runs).toEqual([{ at: utc('2026-06-01T12:00:00Z'), reason: 'catch-up' }]);
  });

  it('a run claimed but never finished (crash) is resumed first, then the missed tick', () => {
    const runs = startupRuns(e, lastRun('2026-06-01T09:00:00.000Z', 'claimed'), utc('2026-06-01T12:02:30Z'), 'run');
    expect(runs).toEqual([{ at: utc('2026-06-01T09:00:00Z'), reason: 'resume' }, { at: utc('2026-06-01T12:00:00Z'), reason: 'catch-up' }]);
  });

  it('nothing missed: no run; a failed last run waits for its next tick', () => {
    expect(startupRuns(e, lastRun('2026-06-01T12:00:00.000Z', 'done'), utc('2026-06-01T12:04:59Z'), 'run')).toEqual([]);
    expect(startupRuns(e, lastRun('2026-06-01T12:00:00.000Z', 'failed'), utc('2026-06-01T12:04:59Z'), 'run')).toEqual([]);
  });

  it('never ran: `run` waits for the next tick, `once` runs the latest tick due', () => {
    expect(startupRuns(e, undefined, utc('2026-06-01T12:02:30Z'), 'run')).toEqual([]);
    expect(startupRuns(e, undefined, utc('2026-06-01T12:02:30Z'), 'once')).toEqual([{ at: utc('2026-06-01T12:00:00Z'), reason: 'first' }]);
  });

  it('a downtime over the repeated October hour catches up the latest slot once', () => {
    // Last run 02:30 CEST; now is 02:45 CET (the repeated hour): the latest slot is still 02:30 CEST, already done.
    expect(startupRuns(entry('*/30 * * * *'), lastRun('2026-10-25T00:30:00.000Z', 'done'), utc('2026-10-25T01:45:00Z'), 'run')).toEqual([]);
  });
});

describe('ExportScheduler timers (fake clock, fixed dates)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A scheduler whose runner records its calls; `hold` makes runs wait until released. */
  function setup(e: ExportEntry[], last: ExportRun[] = [], hold = false) {
    const calls: { key: string; at: string }[] = [];
    let release: () => void = () => undefined;
    let gate = Promise.resolve();
    if (hold) gate = new Promise<void>((r) => (release = r));
    const s = new ExportScheduler(e, {
      store: { lastExportRuns: async () => last },
      logger: silentLogger(),
      run: async (x, at) => {
        calls.push({ key: x.key, at: at.toISOString() });
        await gate;
      },
    });
    return { s, calls, release: () => release() };
  }

  it('every 30 minutes through 25 October: one run per wall-clock slot, no second 02:00/02:30', async () => {
    vi.useFakeTimers({ now: utc('2026-10-24T21:50:00Z') });
    const { s, calls } = setup([entry('*/30 * * * *')]);
    await s.start();
    await vi.advanceTimersByTimeAsync(25 * 3600_000);
    await s.stop();
    const runs = calls.map((c) => new Date(c.at));
    expect(runs).toHaveLength(48);
    expectOnePerSlot(runs);
    expect(runs).toEqual(plannedRuns(entry('*/30 * * * *'), utc('2026-10-24T21:50:00Z'), utc('2026-10-25T22:50:00Z')));
  });

  it('daily 02:30 through 29 March: the run in the gap happens at 03:00 CEST', async () => {
    vi.useFakeTimers({ now: utc('2026-03-27T12:00:00Z') });
    const { s, calls } = setup([entry('30 2 * * *')]);
    await s.start();
    await vi.advanceTimersByTimeAsync(4 * 24 * 3600_000);
    await s.stop();
    expect(calls.map((c) => local(new Date(c.at)))).toEqual(['2026-03-28 02:30 +01:00', '2026-03-29 03:00 +02:00', '2026-03-30 02:30 +02:00', '2026-03-31 02:30 +02:00']);
  });

  it('catch-up at start after 3 hours down: one run at the latest missed tick, then the schedule goes on', async () => {
    vi.useFakeTimers({ now: utc('2026-06-01T12:02:30Z') });
    const { s, calls } = setup([entry('*/5 * * * *')], [lastRun('2026-06-01T09:00:00.000Z', 'done')]);
    await s.start();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await s.stop();
    expect(calls.map((c) => c.at)).toEqual(['2026-06-01T12:00:00.000Z', '2026-06-01T12:05:00.000Z']);
  });

  it('overlap guard: ticks while the previous run of the same export is still going are skipped, not queued', async () => {
    vi.useFakeTimers({ now: utc('2026-06-01T12:00:30Z') });
    const { s, calls, release } = setup([entry('* * * * *')], [], true);
    await s.start();
    await vi.advanceTimersByTimeAsync(3 * 60_000); // ticks 12:01, 12:02, 12:03: the first holds the run
    expect(calls.map((c) => c.at)).toEqual(['2026-06-01T12:01:00.000Z']);
    expect(s.fire(s.exports[0]!, utc('2026-06-01T12:03:00Z'))).toBe(false);
    release();
    await vi.advanceTimersByTimeAsync(60_000); // 12:04: free again, runs at its own time
    await s.stop();
    expect(calls.map((c) => c.at)).toEqual(['2026-06-01T12:01:00.000Z', '2026-06-01T12:04:00.000Z']);
  });

  it('a failed run does not stop the schedule: the next tick runs', async () => {
    vi.useFakeTimers({ now: utc('2026-06-01T12:00:30Z') });
    const seen: string[] = [];
    const s = new ExportScheduler([entry('* * * * *')], {
      store: { lastExportRuns: async () => [] },
      logger: silentLogger(),
      run: async (_x, at) => {
        seen.push(at.toISOString());
        if (seen.length === 1) throw new Error('destination down');
      },
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    await s.stop();
    expect(seen).toEqual(['2026-06-01T12:01:00.000Z', '2026-06-01T12:02:00.000Z']);
  });

  it('stop() clears every timer and waits for the run in flight', async () => {
    vi.useFakeTimers({ now: utc('2026-06-01T12:00:30Z') });
    const { s, calls, release } = setup([entry('* * * * *'), entry('*/2 * * * *', 'demo/shipments')], [], true);
    await s.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(calls).toHaveLength(1);
  });

  it('`wharf once` (runDue): resumes a claimed run, catches up once, and arms no timer', async () => {
    vi.useFakeTimers({ now: utc('2026-06-01T12:02:30Z') });
    const { s, calls } = setup([entry('*/5 * * * *')], [lastRun('2026-06-01T09:00:00.000Z', 'claimed')]);
    expect(await s.runDue()).toBe(2);
    expect(calls.map((c) => c.at)).toEqual(['2026-06-01T09:00:00.000Z', '2026-06-01T12:00:00.000Z']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
