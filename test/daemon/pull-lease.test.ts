/**
 * One pull of a webshop channel at a time across processes (src/schedule/lease.ts): the running
 * daemon's pull holds the channel's ledger lease, `wharf sync CHANNEL orders` in another process
 * says who pulls it and exits non-zero without touching the shop or the cursor, and a lease left by a
 * killed process (kill -9) is taken over at once. Real processes, a real WooCommerce test server; the
 * lease rules themselves on both ledgers (SQLite and PostgreSQL) below.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllDaemons, waitFor, wharf, workspacesPerTest } from '../helpers/e2e.js';
import { startHttpDaemon } from '../helpers/http.js';
import { backends, ledgerPerTest } from '../helpers/ledgers.js';
import { wooShopWithOrders } from '../helpers/webshops/woocommerce.js';
import { LEASE_MS, describeHolder, setLeaseRole, takeLease } from '../../src/schedule/lease.js';

const KEY = 'ck_2222222222222222222222222222222222222222';
const SECRET = 'cs_2222222222222222222222222222222222222222';
const workspace = workspacesPerTest();
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllDaemons();
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('pull lease across processes', () => {
  it('wharf sync refuses while the daemon pulls the channel, naming it; after the daemon is killed (-9) it pulls at once', async () => {
    const { server, channel } = await wooShopWithOrders(150, KEY, SECRET);
    cleanup.push(() => server.stop());
    const ws = await workspace();
    const env = { WOO_KEY: KEY, WOO_SECRET: SECRET };
    const h = await startHttpDaemon(ws, {}, env, { extraChannels: { woo: channel } });

    // The daemon's pull (Sync now in the console) waits on its first page: it holds the lease.
    server.holdAnswerNext(1, { pathIncludes: '/orders' });
    const started = await h.get('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'demo/woo', job: 'orders' }) });
    expect(started.status).toBeLessThan(300);
    await waitFor(() => server.hits('/orders').length === 1, { what: 'the daemon\'s first page request' });

    const busy = await wharf(['sync', 'demo/woo', 'orders', '--config', ws.configPath], { env });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(new RegExp(`channel demo/woo is being pulled \\(orders\\) by the running daemon \\(pid ${h.daemon.proc.pid}\\) since \\d{4}-\\d\\d-\\d\\dT[^;]+; try again in a moment or use the console's Sync now`));
    expect(server.hits('/orders')).toHaveLength(1); // the CLI asked the shop nothing

    // kill -9 mid-pull: its lease is still running in the ledger, but its process is gone.
    await h.daemon.kill();
    const after = await wharf(['sync', 'demo/woo', 'orders', '--config', ws.configPath], { env });
    expect(after.stderr).not.toMatch(/being pulled/);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/demo\/woo orders: 150 record\(s\) in \d+ page\(s\): 150 new/);
  });
});

describe.each(backends)('pull lease rules ($name)', (backend) => {
  const ledger = ledgerPerTest(backend);

  it('one holder at a time; named with its verb and pid; a dead process of this host is taken over, another host only once its lease ran out', async () => {
    const other = await ledger.harness.open(); // a second process's connection to the same ledger
    try {
      setLeaseRole('run');
      const held = await takeLease(ledger.store, 'pull:acme/woo:orders');
      setLeaseRole('sync');
      const refused = await takeLease(other, 'pull:acme/woo:orders');
      if (!('busy' in refused) || !('lease' in held)) throw new Error('the second take should be refused');
      expect(refused.busy).toMatchObject({ host: os.hostname(), pid: process.pid, role: 'run' });
      expect(describeHolder(refused.busy)).toMatch(new RegExp(`^the running daemon \\(pid ${process.pid}\\) since \\d{4}-`));
      await held.lease.release();
      const second = await takeLease(other, 'pull:acme/woo:orders');
      expect('lease' in second).toBe(true);
      if ('lease' in second) await second.lease.release();

      // A holder of this host whose process is gone: taken over although its lease still runs.
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      const now = Date.now();
      expect(await other.takeLease('pull:acme/woo:orders', `${os.hostname()}:${gone}:ab:run@2026-11-30T10:00:00.000Z`, new Date(now + LEASE_MS).toISOString(), new Date(now).toISOString())).toEqual({ ok: true });
      const taken = await takeLease(ledger.store, 'pull:acme/woo:orders');
      expect('lease' in taken).toBe(true);
      if ('lease' in taken) await taken.lease.release();

      // Another host's holder: waited for while its lease runs, taken once it ran out.
      expect(await other.takeLease('pull:acme/woo:orders', 'host-b:4711:cd:run@2026-11-30T10:00:00.000Z', new Date(now + LEASE_MS).toISOString(), new Date(now).toISOString())).toEqual({ ok: true });
      const waiting = await takeLease(ledger.store, 'pull:acme/woo:orders');
      if (!('busy' in waiting)) throw new Error('a running lease of another host was taken');
      expect(describeHolder(waiting.busy)).toBe('the running daemon (pid 4711 on host-b) since 2026-11-30T10:00:00.000Z');
      const later = Date.now() + LEASE_MS + 1;
      expect('lease' in (await takeLease(ledger.store, 'pull:acme/woo:orders', () => later))).toBe(true);
    } finally {
      setLeaseRole('wharf');
      await other.close();
    }
  });
});
