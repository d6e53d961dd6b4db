import { describe, expect, it } from 'vitest';
import { channelCheck, exportCheck, ledgerCheck } from '../../src/observe/readiness.js';
import type { JobActivity } from '../../src/daemon/activity.js';

const start = Date.parse('2026-03-02T08:00:00Z');
const at = (iso: string) => new Date(iso);

describe('readiness rules', () => {
  const poll: JobActivity = { key: 'demo/dropbox', merchant: 'demo', channel: 'dropbox', job: 'poll', intervalMs: 10_000 };

  it('a channel job is silent after N intervals without success, counted from the start when it never succeeded', () => {
    expect(channelCheck(poll, start, at('2026-03-02T08:00:30Z'), 3)).toMatchObject({ ok: true, lastOkAt: null, limitSeconds: 30 });
    const silent = channelCheck(poll, start, at('2026-03-02T08:00:31Z'), 3);
    expect(silent).toMatchObject({ ok: false, reason: 'demo/dropbox: no successful look at the channel for 31 s since the start (limit 3 × 10 s)' });
    const failing = { ...poll, lastOkAt: start + 5000, lastErrorAt: start + 40_000, lastError: 'SFTP connection refused' };
    expect(channelCheck(failing, start, at('2026-03-02T08:00:45Z'), 3).reason).toBe('demo/dropbox: no successful look at the channel for 40 s (limit 3 × 10 s); last error 5.0 s ago: SFTP connection refused');
    // Busy with a (long) file in intake: alive.
    expect(channelCheck({ ...failing, busySince: start + 6000 }, start, at('2026-03-02T08:05:00Z'), 3).ok).toBe(true);
  });

  it("a webshop job's interval is the gap between its next two scheduled runs", () => {
    const orders: JobActivity = { key: 'acme/woo', merchant: 'acme', channel: 'woo', job: 'orders', schedule: '*/5 * * * *', timezone: 'Europe/Amsterdam', lastOkAt: start };
    expect(channelCheck(orders, start, at('2026-03-02T08:15:00Z'), 3)).toMatchObject({ ok: true, limitSeconds: 900 });
    expect(channelCheck(orders, start, at('2026-03-02T08:15:01Z'), 3)).toMatchObject({ ok: false, reason: expect.stringMatching(/^acme\/woo: no successful orders pull for 901 s \(limit 3 × 300 s\)$/) });
  });

  it('an export is overdue when its run for the latest time before now − grace is missing, failed or unfinished', () => {
    const e = { key: 'demo/stock', schedule: '0 6 * * *', timezone: 'UTC' };
    const grace = 600_000;
    const daemonStart = Date.parse('2026-03-01T12:00:00Z');
    const now = at('2026-03-02T06:10:01Z');
    const run = (scheduledAt: string, status: 'done' | 'failed' | 'claimed', error: string | null = null) => ({ scheduledAt, status, error });
    expect(exportCheck(e, run('2026-03-02T06:00:00.000Z', 'done'), daemonStart, now, grace).ok).toBe(true);
    expect(exportCheck(e, run('2026-03-02T06:00:00.000Z', 'done'), daemonStart, at('2026-03-02T06:09:59Z'), grace).ok).toBe(true);
    expect(exportCheck(e, run('2026-03-01T06:00:00.000Z', 'done'), daemonStart, at('2026-03-02T06:09:59Z'), grace).ok).toBe(true); // within the grace
    expect(exportCheck(e, run('2026-03-01T06:00:00.000Z', 'done'), daemonStart, now, grace)).toMatchObject({ ok: false, reason: 'export demo/stock is overdue: no run yet, 601 s after its scheduled time 2026-03-02T06:00:00.000Z' });
    expect(exportCheck(e, undefined, daemonStart, now, grace).ok).toBe(false);
    expect(exportCheck(e, run('2026-03-02T06:00:00.000Z', 'failed', 'disk full'), daemonStart, now, grace).reason).toMatch(/the run of 2026-03-02T06:00:00.000Z failed \(disk full\)/);
    expect(exportCheck(e, run('2026-03-02T06:00:00.000Z', 'claimed'), daemonStart, now, grace).reason).toMatch(/is not finished/);
    // A time before the start: an export that never ran is owed nothing; one that ran has the grace after the start for its catch-up.
    const lateStart = Date.parse('2026-03-02T07:00:00Z');
    expect(exportCheck(e, undefined, lateStart, at('2026-03-02T08:00:00Z'), grace).ok).toBe(true);
    expect(exportCheck(e, run('2026-03-01T06:00:00.000Z', 'done'), lateStart, at('2026-03-02T07:05:00Z'), grace).ok).toBe(true);
    expect(exportCheck(e, run('2026-03-01T06:00:00.000Z', 'done'), lateStart, at('2026-03-02T07:10:01Z'), grace).ok).toBe(false);
  });

  it('the ledger check fails with the reason when the ledger throws or does not answer in time', async () => {
    expect(await ledgerCheck({ getCursor: async () => undefined }, 1000)).toEqual({ check: 'ledger', ok: true });
    expect(await ledgerCheck({ getCursor: async () => { throw new Error('connection refused'); } }, 1000)).toMatchObject({ ok: false, reason: expect.stringMatching(/not reachable: .*connection refused/) });
    expect(await ledgerCheck({ getCursor: () => new Promise(() => undefined) }, 50)).toMatchObject({ ok: false, reason: 'the ledger did not answer within 0.05 s' });
  });
});
