import { promises as fs } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { REPO, wharf } from '../helpers/cli.js';
import { listDir, tempDir } from './fixture.js';

/**
 * A warehouse report source of type sftp (`warehouse.reports.main`) through the real CLI against a
 * real OpenSSH server: `wharf once` pulls the stock report, the levels land in the SQLite ledger
 * under the source's merchant, and status lists the source as `@warehouse/main`.
 */
describe('SFTP report source through the CLI', () => {
  let sshd: Sshd;
  let work: string;
  let config: string;
  let remote: string;

  beforeAll(async () => {
    sshd = await startSshd();
    work = await tempDir('wharf-sftp-reports-');
    remote = path.join(sshd.root, 'warehouse', 'reports');
    await fs.mkdir(remote, { recursive: true });
    await fs.writeFile(path.join(work, 'client_key'), sshd.clientKey, { mode: 0o600 });
    config = path.join(work, 'wharf.yaml');
    await fs.writeFile(config, `ledger: { path: ${work}/wharf.sqlite }
mappings: ${path.join(REPO, 'mappings')}
dataDir: ${work}/var
warehouse:
  orders: { path: ${work}/warehouse }
  reports:
    main:
      type: sftp
      host: 127.0.0.1
      port: ${sshd.port}
      username: ${sshd.username}
      privateKey: file:${path.join(work, 'client_key')}
      hostKey: "${sshd.hostKeyFingerprint}"
      paths: [${remote}]
      files: [{ pattern: "stock*.csv", mapping: warehouse-stock-csv }]
      minAge: 0
      connectTimeout: 5
      merchant: demo
      stock: { mode: full }
merchants:
  demo:
    channels:
      dropbox: { type: folder, path: ${work}/inbox, create: true, files: [{ pattern: "*.csv", mapping: demo-orders-csv }] }
`);
  });
  afterAll(async () => {
    await sshd?.cleanup();
  });

  it('pulls the stock report into the ledger as the source merchant\'s levels', async () => {
    await fs.copyFile(path.join(REPO, 'samples', 'warehouse', 'stock.csv'), path.join(remote, 'stock-20261127.csv'));
    const r = await wharf(['once', '--config', config]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).not.toContain('BEGIN OPENSSH PRIVATE KEY');

    const db = new Database(path.join(work, 'wharf.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT merchant, sku, location, quantity FROM stock ORDER BY sku').all();
      expect(rows).toEqual([
        { merchant: 'demo', sku: 'INFUSER-STEEL', location: 'AMS-01', quantity: 212 },
        { merchant: 'demo', sku: 'MUG-STONE-WHITE', location: 'AMS-01', quantity: 37 },
        { merchant: 'demo', sku: 'SPOON-BRASS', location: 'AMS-01', quantity: 9 },
        { merchant: 'demo', sku: 'TEA-EARLGREY-100', location: 'AMS-01', quantity: 148 },
        { merchant: 'demo', sku: 'TEA-ROOIBOS-100', location: 'AMS-01', quantity: 0 },
      ]);
      const files = db.prepare('SELECT merchant, channel, name, status FROM files').all();
      expect(files).toEqual([{ merchant: '@warehouse', channel: 'main', name: 'stock-20261127.csv', status: 'imported' }]);
    } finally {
      db.close();
    }
    // Taken once: the report is no longer offered in the remote folder.
    expect((await listDir(remote)).filter((n) => n.endsWith('.csv'))).toEqual([]);

    const status = await wharf(['status', '--json', '--config', config]);
    expect(status.code).toBe(0);
    const main = (JSON.parse(status.stdout) as { channels: { merchant: string; channel: string; type: string; files: { imported: number } }[] }).channels
      .find((c) => c.merchant === '@warehouse' && c.channel === 'main');
    expect(main).toMatchObject({ type: 'sftp', files: { imported: 1 } });
  });

  it('trust-host and sync name the report source @warehouse/main; syncing a merchant channel leaves reports alone', async () => {
    const trust = await wharf(['trust-host', '@warehouse/main', '--config', config]);
    expect(trust.code, trust.stderr).toBe(0);
    expect(trust.stdout).toContain(`hostKey: "${sshd.hostKeyFingerprint}"`);

    // A full report (stock.mode: full) listing one SKU: the others at its location become 0.
    await fs.writeFile(path.join(remote, 'stock-20261128.csv'), 'ARTICLE;EAN;AVAILABLE;LOCATION;TIMESTAMP\nTEA-EARLGREY-100;0871234567890;100;AMS-01;2026-11-28 06:00:00\n');
    const merchantOnly = await wharf(['sync', 'demo/dropbox', '--config', config]);
    expect(merchantOnly.code, merchantOnly.stderr.slice(-2000)).toBe(0);
    expect(await listDir(remote)).toContain('stock-20261128.csv');

    const r = await wharf(['sync', '@warehouse/main', '--config', config]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/^@warehouse\/main: 1 file\(s\): 1 imported/);
    const db = new Database(path.join(work, 'wharf.sqlite'), { readonly: true, fileMustExist: true });
    try {
      expect(db.prepare('SELECT sku, quantity FROM stock ORDER BY sku').all()).toEqual([
        { sku: 'INFUSER-STEEL', quantity: 0 },
        { sku: 'MUG-STONE-WHITE', quantity: 0 },
        { sku: 'SPOON-BRASS', quantity: 0 },
        { sku: 'TEA-EARLGREY-100', quantity: 100 },
        { sku: 'TEA-ROOIBOS-100', quantity: 0 },
      ]);
    } finally {
      db.close();
    }
  });
});
