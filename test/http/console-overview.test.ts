/**
 * The overview's channel state after a restart: a last look from before this process started is the
 * previous run's (labelled so), never the current state — the same as /readyz counts only this
 * process's looks.
 */
import { describe, expect, it } from 'vitest';
import { channelState, type ChannelOverview } from '../../src/daemon/status.js';
import { overviewBody } from '../../src/http/console/overview.js';

const base = {
  merchant: 'acme', channel: 'woo', inFlight: 0, records: 0, duplicateRecords: 0, notices: 0,
  files: { imported: 0, partial: 0, duplicate: 0, quarantined: 0, retried: 0, dismissed: 0 },
};
const failed = { ...base, lastPollAt: '2026-03-02T06:46:48.000Z', lastOkAt: '2026-03-02T06:00:00.000Z', lastError: 'connection refused', lastErrorAt: '2026-03-02T06:46:48.000Z' };
const cron = { kind: 'cron', schedule: '*/5 * * * *' } as const;

describe('overview channel state after a restart', () => {
  it('shows a failure from before the start as the previous run\'s, the channel as not run yet', () => {
    const started = Date.parse('2026-03-02T07:00:00Z');
    const now = new Date('2026-03-02T07:01:00Z');
    expect(channelState(failed, cron, 'UTC', now, 3, started)).toEqual({
      state: 'waiting', previousRun: { failing: true, error: 'connection refused', at: '2026-03-02T06:46:48.000Z' },
    });
    // The same failure made by this process is the current state.
    expect(channelState(failed, cron, 'UTC', now, 3, Date.parse('2026-03-02T06:30:00Z'))).toEqual({ state: 'failing', previousRun: null });
    // Running longer than the silence limit without a look of its own: silent, still with the previous run's outcome.
    expect(channelState(failed, cron, 'UTC', new Date('2026-03-02T07:30:00Z'), 3, started).state).toBe('silent');
    const ok = { ...base, lastPollAt: '2026-03-02T06:55:00.000Z', lastOkAt: '2026-03-02T06:55:00.000Z', lastError: null, lastErrorAt: null };
    expect(channelState(ok, cron, 'UTC', now, 3, started)).toEqual({ state: 'waiting', previousRun: { failing: false, error: null, at: '2026-03-02T06:55:00.000Z' } });

    const row: ChannelOverview = {
      ...failed, type: 'woocommerce', key: 'acme/woo', cadence: cron, nextRunAt: null, filesToday: 0, ordersToday: 0, quarantinedNow: 0, pushes: null,
      ...channelState(failed, cron, 'UTC', now, 3, started),
    };
    const page = overviewBody({ at: now.toISOString(), todayFrom: '2026-03-02T00:00:00.000Z', timezone: 'UTC', merchants: [], channels: [row], exports: [], pushes: [], outbox: { pending: 0, failed: 0, delivered: 0 }, quarantined: 0 }).text;
    expect(page).toContain('not run yet');
    expect(page).toMatch(/previous run: failing: <span class="err">connection refused<\/span> since/);
    expect(page).toContain('none failing');
    expect(page).not.toContain('state-failing');
  });
});
