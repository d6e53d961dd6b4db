import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { catchUp, exportRuns, isRepeatedWallClock, latestExportRun } from '../../src/schedule/catch-up.js';

const AMS = 'Europe/Amsterdam';
const utc = (iso: string) => new Date(iso);
const local = (d: Date) => DateTime.fromJSDate(d, { zone: AMS }).toFormat('yyyy-MM-dd HH:mm ZZ');

describe('export ticks across the 2026 DST changes in Europe/Amsterdam', () => {
  it('29 March (02:00 → 03:00): a daily 02:30 export runs once, at 03:00 CEST; no day lost', () => {
    const runs = exportRuns('30 2 * * *', AMS, utc('2026-03-27T00:00:00Z'), 4).map(local);
    expect(runs).toEqual(['2026-03-27 02:30 +01:00', '2026-03-28 02:30 +01:00', '2026-03-29 03:00 +02:00', '2026-03-30 02:30 +02:00']);
  });

  it('25 October (03:00 → 02:00): a daily 02:30 export runs once, at the first 02:30', () => {
    const runs = exportRuns('30 2 * * *', AMS, utc('2026-10-24T00:00:00Z'), 3).map(local);
    expect(runs).toEqual(['2026-10-24 02:30 +02:00', '2026-10-25 02:30 +02:00', '2026-10-26 02:30 +01:00']);
  });

  it('25 October: a */30 export ticks once per wall-clock slot (no second 02:00 or 02:30)', () => {
    const runs = exportRuns('*/30 * * * *', AMS, utc('2026-10-24T23:15:00Z'), 6).map(local);
    expect(runs).toEqual([
      '2026-10-25 01:30 +02:00', '2026-10-25 02:00 +02:00', '2026-10-25 02:30 +02:00',
      '2026-10-25 03:00 +01:00', '2026-10-25 03:30 +01:00', '2026-10-25 04:00 +01:00',
    ]);
    const slots = runs.map((r) => r.slice(0, 16));
    expect(new Set(slots).size).toBe(slots.length);
  });

  it('29 March: a */30 export skips only the times that do not exist', () => {
    const runs = exportRuns('*/30 * * * *', AMS, utc('2026-03-29T00:15:00Z'), 4).map(local);
    expect(runs).toEqual(['2026-03-29 01:30 +01:00', '2026-03-29 03:00 +02:00', '2026-03-29 03:30 +02:00', '2026-03-29 04:00 +02:00']);
  });

  it('isRepeatedWallClock marks the second 02:30 only', () => {
    expect(isRepeatedWallClock(utc('2026-10-25T00:30:00Z'), AMS)).toBe(false); // 02:30 CEST
    expect(isRepeatedWallClock(utc('2026-10-25T01:30:00Z'), AMS)).toBe(true); // 02:30 CET
    expect(isRepeatedWallClock(utc('2026-10-25T02:00:00Z'), AMS)).toBe(false); // 03:00 CET
    expect(isRepeatedWallClock(utc('2026-03-29T01:00:00Z'), AMS)).toBe(false);
    expect(isRepeatedWallClock(utc('2026-10-25T01:30:00Z'), 'UTC')).toBe(false);
  });
});

describe('catch-up after downtime: exactly one run, at the latest missed tick', () => {
  it('down for three hours of a */5 schedule: one catch-up at the last tick before now', () => {
    const c = catchUp('*/5 * * * *', AMS, utc('2026-06-01T08:00:00Z'), utc('2026-06-01T11:02:30Z'));
    expect(c).toEqual({ missed: true, at: utc('2026-06-01T11:00:00Z') });
  });

  it('nothing missed: the last run was the latest tick, or now is before the next', () => {
    expect(catchUp('*/5 * * * *', AMS, utc('2026-06-01T11:00:00Z'), utc('2026-06-01T11:04:59Z'))).toEqual({ missed: false });
    expect(catchUp('0 6 * * *', AMS, utc('2026-06-01T04:00:00Z'), utc('2026-06-02T03:59:00Z'))).toEqual({ missed: false });
  });

  it('a tick exactly at now counts as due', () => {
    expect(catchUp('0 6 * * *', AMS, utc('2026-06-01T04:00:00Z'), utc('2026-06-02T04:00:00Z'))).toEqual({ missed: true, at: utc('2026-06-02T04:00:00Z') });
  });

  it('never ran: no catch-up (the first run is the next tick)', () => {
    expect(catchUp('*/5 * * * *', AMS, undefined, utc('2026-06-01T11:02:30Z'))).toEqual({ missed: false });
  });

  it('down over the spring gap: the moved 02:30 run (03:00 CEST) is the catch-up', () => {
    const c = catchUp('30 2 * * *', AMS, utc('2026-03-28T01:30:00Z'), utc('2026-03-29T05:00:00Z'));
    expect(c.missed).toBe(true);
    expect(local(c.at!)).toBe('2026-03-29 03:00 +02:00');
  });

  it('down across the repeated hour: the catch-up is the first 02:30, never the repeat', () => {
    const c = catchUp('*/30 * * * *', AMS, utc('2026-10-25T00:00:00Z'), utc('2026-10-25T01:45:00Z'));
    expect(local(c.at!)).toBe('2026-10-25 02:30 +02:00');
    // The run at 02:30 CEST happened; at 02:45 CET nothing new is due.
    expect(catchUp('*/30 * * * *', AMS, utc('2026-10-25T00:30:00Z'), utc('2026-10-25T01:45:00Z'))).toEqual({ missed: false });
    expect(latestExportRun('*/30 * * * *', AMS, utc('2026-10-25T02:10:00Z'))).toEqual(utc('2026-10-25T02:00:00Z'));
  });

  it('a bad pattern is a config error', () => {
    expect(() => catchUp('61 * * * *', AMS, undefined, new Date(0))).toThrow(/is not a valid cron expression/);
  });
});
