/**
 * `wharf run` with a merchant export as a child process: the run missed while Wharf was down is made
 * once, right after start (catch-up), and SIGTERM stops the daemon and its export timers cleanly.
 */
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { stringify as toYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { MERCHANT, createWorkspace, killAllDaemons, waitFor, type Workspace } from '../helpers/e2e.js';
import { SqliteStore } from '../../src/ledger/sqlite.js';

let ws: Workspace | undefined;
afterEach(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

describe('wharf run: export schedule', () => {
  it('an every-minute export whose last run is 2 hours old catches up once at start; SIGTERM stops cleanly', async () => {
    ws = await createWorkspace();
    const outbox = path.join(ws.root, 'outbox');
    const config = ws.configObject() as { merchants: Record<string, Record<string, unknown>>; ledger: { path: string } };
    config.merchants[MERCHANT]!.exports = {
      stock: {
        schedule: '* * * * *', timezone: 'UTC', destination: { type: 'folder', path: outbox },
        mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd-HHmm}.csv', writeEmpty: true,
      },
    };
    await fs.writeFile(ws.configPath, toYaml(config));

    // The export's last run, finished two hours ago (120 ticks missed).
    const lastAt = DateTime.utc().startOf('minute').minus({ hours: 2 }).toJSDate();
    const store = new SqliteStore(config.ledger.path);
    const { run } = await store.claimExportRun({ export: `${MERCHANT}/stock`, scheduledAt: lastAt.toISOString(), fileName: 'old.csv' }, { kind: 'stock', merchant: MERCHANT, mode: 'full' });
    expect(await store.finishExportRun(run.id)).toBe(true);
    await store.close();

    const started = new Date();
    const daemon = ws.start();
    await daemon.ready();
    const catchUp = await waitFor(() => daemon.logs().find((l) => /catching up the run missed/.test(l.msg)), { timeoutMs: 20_000, what: 'the catch-up log line', daemon });
    // The catch-up is for the latest tick at or before the start, and its file appears.
    const at = new Date(String((catchUp as unknown as { scheduledAt: string }).scheduledAt));
    expect(at.getTime()).toBeLessThanOrEqual(started.getTime() + 60_000);
    expect(at.getTime()).toBeGreaterThan(started.getTime() - 120_000);
    const file = `stock-${DateTime.fromJSDate(at, { zone: 'UTC' }).toFormat('yyyyMMdd-HHmm')}.csv`;
    await waitFor(() => existsSync(path.join(outbox, file)), { timeoutMs: 20_000, what: `${file} in the outbox`, daemon });

    const exit = await daemon.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(daemon.logs().some((l) => /wharf stopped cleanly/.test(l.msg))).toBe(true);
    // One catch-up run, not one per missed tick: every file is for a tick at or after the catch-up tick.
    expect(daemon.logs().filter((l) => /catching up/.test(l.msg))).toHaveLength(1);
    const files = readdirSync(outbox).filter((n) => !n.startsWith('.'));
    expect(files.length).toBeLessThanOrEqual(3);
    expect(files).toContain(file);

    const after = new SqliteStore(config.ledger.path);
    const [last] = await after.lastExportRuns([`${MERCHANT}/stock`]);
    await after.close();
    expect(last?.status).toBe('done');
    expect(new Date(last!.scheduledAt).getTime()).toBeGreaterThanOrEqual(at.getTime());
  }, 90_000);

  it('wharf once after the schedule time writes the due export (also the first time), and not again for the same tick', async () => {
    ws = await createWorkspace();
    const outbox = path.join(ws.root, 'outbox');
    const config = ws.configObject() as { merchants: Record<string, Record<string, unknown>> };
    // Daily at 00:00 UTC: the latest tick is today's midnight, whatever the time of the test.
    config.merchants[MERCHANT]!.exports = {
      stock: {
        schedule: '0 0 * * *', timezone: 'UTC', destination: { type: 'folder', path: outbox },
        mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd-HHmm}.csv', writeEmpty: true,
      },
    };
    await fs.writeFile(ws.configPath, toYaml(config));
    const expected = `stock-${DateTime.utc().startOf('day').toFormat('yyyyMMdd-HHmm')}.csv`;
    const first = await ws.once();
    expect(first.code, first.stderr.slice(-2000)).toBe(0);
    expect(readdirSync(outbox)).toEqual([expected]);
    const second = await ws.once();
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    expect(readdirSync(outbox)).toEqual([expected]);
    expect(second.stderr).not.toMatch(/running the due run|catching up/);
  }, 90_000);
});
