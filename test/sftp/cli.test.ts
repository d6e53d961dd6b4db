import { promises as fs } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { REPO, wharf } from '../helpers/cli.js';
import { tempDir, writeSftpCliConfig } from './fixture.js';

/**
 * The SFTP channel end to end through the real CLI: a real OpenSSH server, the compiled `wharf`
 * binary, a real SQLite ledger and real folders.
 */
describe('SFTP channel through the CLI', () => {
  let sshd: Sshd;
  let work: string;
  let config: string;
  let inbox: string;

  /** A config with one SFTP channel on the test server; `suffix` keeps ledgers and folders apart. */
  const writeConfig = (o: { hostKey: string; suffix?: string; merchant?: string; dir?: string; files?: string; extra?: string }) =>
    writeSftpCliConfig(sshd, { ...o, work, inbox: o.dir ?? inbox });

  beforeAll(async () => {
    sshd = await startSshd();
    work = await tempDir('wharf-sftp-cli-');
    inbox = path.join(sshd.root, 'acme', 'out');
    await fs.mkdir(inbox, { recursive: true });
    await fs.writeFile(path.join(work, 'client_key'), sshd.clientKey, { mode: 0o600 });
    config = path.join(work, 'wharf.yaml');
  });
  afterAll(async () => {
    await sshd?.cleanup();
  });

  it('refuses a server whose host key does not match the pin, transferring nothing', async () => {
    await writeConfig({ hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    await fs.copyFile(path.join(REPO, 'samples/orders-semicolon.csv'), path.join(inbox, 'orders.csv'));
    const r = await wharf(['once', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(sshd.hostKeyFingerprint); // the offered key is shown to the user
    expect(r.stdout).toMatch(/trust-host/);
    expect(await fs.readdir(inbox)).toEqual(['orders.csv']);
    expect(await fs.readdir(path.join(work, 'warehouse')).catch(() => [])).toEqual([]);
  });

  it('trust-host prints the fingerprint ssh-keygen shows', async () => {
    const r = await wharf(['trust-host', 'acme/sftp', '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`hostKey: "${sshd.hostKeyFingerprint}"`);
    expect(r.stdout).toContain('does NOT match');
  });

  it('pulls order files into canonical warehouse files and archives them on the server', async () => {
    await writeConfig({ hostKey: sshd.hostKeyFingerprint });
    const tc = await wharf(['test-connection', 'sftp', '--config', config]);
    expect(tc.stdout).toContain('acme/sftp: connection ok');
    expect(tc.code).toBe(0);

    const r = await wharf(['once', '--config', config]);
    expect(r.stderr).not.toContain('BEGIN OPENSSH PRIVATE KEY'); // secrets never logged
    expect(r.code).toBe(0);
    const files = (await fs.readdir(path.join(work, 'warehouse'))).sort();
    expect(files).toEqual(['acme-sftp-WEB-10421.json', 'acme-sftp-WEB-10422.json', 'acme-sftp-WEB-10423.json', 'acme-sftp-WEB-10424.json', 'acme-sftp-WEB-10425.json']);
    const order = JSON.parse(await fs.readFile(path.join(work, 'warehouse', 'acme-sftp-WEB-10423.json'), 'utf8')) as { id: string; source: { type: string }; lines: unknown[] };
    expect(order.id).toBe('acme:sftp:WEB-10423');
    expect(order.source.type).toBe('sftp');
    expect(order.lines).toHaveLength(3);
    expect(await fs.readdir(inbox)).toEqual(['archive']);
    expect(await fs.readdir(path.join(inbox, 'archive'))).toEqual(['orders.csv']);

    // The same content uploaded again under another name: recognised, nothing sent twice.
    await fs.copyFile(path.join(REPO, 'samples/orders-semicolon.csv'), path.join(inbox, 'orders-again.csv'));
    const again = await wharf(['once', '--config', config]);
    expect(again.stdout).toContain('1 duplicate');
    expect((await fs.readdir(path.join(work, 'warehouse'))).length).toBe(5);

    const status = JSON.parse((await wharf(['status', '--json', '--config', config])).stdout) as { channels: { channel: string; type: string; lastOkAt: string | null; files: { imported: number; duplicate: number } }[] };
    const ch = status.channels.find((c) => c.channel === 'sftp')!;
    expect(ch.type).toBe('sftp');
    expect(ch.lastOkAt).not.toBeNull();
    expect(ch.files).toMatchObject({ imported: 1, duplicate: 1 });
  });

  it('quarantines a bad remote file locally with its report and moves it to the remote error folder', async () => {
    await fs.copyFile(path.join(REPO, 'samples/broken/orders-broken.csv'), path.join(inbox, 'broken.csv'));
    const r = await wharf(['once', '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 quarantined');
    const q = path.join(work, 'var', 'quarantine', 'acme', 'sftp');
    expect((await fs.readdir(q)).sort()).toEqual(['broken.csv', 'broken.csv.errors.json']);
    const report = JSON.parse(await fs.readFile(path.join(q, 'broken.csv.errors.json'), 'utf8')) as { errors: { field?: string }[] };
    expect(report.errors.some((e) => e.field === 'lines[0].quantity')).toBe(true);
    expect(await fs.readdir(path.join(inbox, 'error'))).toEqual(['broken.csv']);
  });

  it('delivers canonical orders to a warehouse SFTP directory atomically', async () => {
    const warehouseDir = path.join(sshd.root, 'wms', 'inbound');
    const cfg2 = path.join(work, 'wharf-sftp-wms.yaml');
    const dropDir = path.join(work, 'drop');
    await fs.mkdir(dropDir, { recursive: true });
    await fs.writeFile(
      cfg2,
      `ledger: { path: ${work}/wharf-wms.sqlite }
mappings: ${path.join(REPO, 'mappings')}
warehouse:
  orders:
    type: sftp
    path: ${warehouseDir}
    sftp: { host: 127.0.0.1, port: ${sshd.port}, username: ${sshd.username}, privateKey: "file:${work}/client_key", hostKey: "${sshd.hostKeyFingerprint}" }
merchants:
  shop:
    channels:
      drop: { type: folder, path: ${dropDir}, files: [{ pattern: "*.json", mapping: demo-orders-json }], minAge: 0, watch: false }
`,
    );
    await fs.copyFile(path.join(REPO, 'samples/orders.json'), path.join(dropDir, 'orders.json'));
    const r = await wharf(['once', '--config', cfg2]);
    expect(r.code).toBe(0);
    const names = (await fs.readdir(warehouseDir)).sort();
    // An order that arrives already cancelled was never sent, so it has nothing to deliver.
    const expected = (JSON.parse(await fs.readFile(path.join(REPO, 'test/expected/orders.json.records.json'), 'utf8')) as { externalId: string; status: string }[])
      .filter((o) => o.status === 'open')
      .map((o) => `shop-drop-${o.externalId}.json`)
      .sort();
    expect(names).toEqual(expected); // no temporary dot-files left behind
    const first = JSON.parse(await fs.readFile(path.join(warehouseDir, names[0]!), 'utf8')) as { merchant: string };
    expect(first.merchant).toBe('shop');
  });

  it('a read-only account with afterImport keep: imported once, and a second pass neither re-imports nor waits', async () => {
    const keepDir = path.join(sshd.root, 'keep', 'out');
    await fs.mkdir(keepDir, { recursive: true });
    await fs.copyFile(path.join(REPO, 'samples/orders.xml'), path.join(keepDir, 'orders.xml'));
    const cfg = await writeConfig({
      hostKey: sshd.hostKeyFingerprint, suffix: '-keep', merchant: 'ro', dir: keepDir,
      files: '{ pattern: "*.xml", mapping: demo-orders-xml }', extra: '        afterImport: keep\n',
    });
    const first = await wharf(['once', '--config', cfg]);
    expect(first.code).toBe(0);
    const delivered = await fs.readdir(path.join(work, 'warehouse-keep'));
    expect(delivered.length).toBeGreaterThan(0);
    const second = await wharf(['once', '--config', cfg], { timeoutMs: 20_000 });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('files: 0');
    expect(await fs.readdir(path.join(work, 'warehouse-keep'))).toEqual(delivered);
    expect(await fs.readdir(keepDir)).toEqual(['orders.xml']);
  });
  it('downloads several files at once (concurrency 4) but commits them in arrival order, and archives every one', async () => {
    const dir = path.join(sshd.root, 'many', 'out');
    await fs.mkdir(dir, { recursive: true });
    const [header, ...rows] = (await fs.readFile(path.join(REPO, 'samples/orders-semicolon.csv'), 'utf8')).split('\n').filter(Boolean);
    const orders = [...new Set(rows.map((r) => r.split(';')[0]!))];
    // One order per file; the oldest file has the last name, so arrival order is not name order.
    const names: string[] = [];
    for (const [i, id] of orders.entries()) {
      const name = `drop-${String(orders.length - i).padStart(2, '0')}.csv`;
      names.push(name);
      await fs.writeFile(path.join(dir, name), `${[header, ...rows.filter((r) => r.startsWith(`${id};`))].join('\n')}\n`);
      const t = new Date(Date.UTC(2026, 10, 1, 12, i));
      await fs.utimes(path.join(dir, name), t, t);
    }
    const cfg = await writeConfig({ hostKey: sshd.hostKeyFingerprint, suffix: '-many', merchant: 'many', dir, extra: '        concurrency: 4\n' });
    const r = await wharf(['once', '--config', cfg]);
    expect(r.code).toBe(0);
    expect((await fs.readdir(path.join(work, 'warehouse-many'))).length).toBe(orders.length);
    expect(await fs.readdir(dir)).toEqual(['archive']);
    expect((await fs.readdir(path.join(dir, 'archive'))).sort()).toEqual([...names].sort());
    const db = new Database(path.join(work, 'wharf-many.sqlite'), { readonly: true });
    try {
      const committed = db.prepare('SELECT name, status FROM files ORDER BY id').all() as { name: string; status: string }[];
      expect(committed).toEqual(names.map((name) => ({ name, status: 'imported' })));
    } finally {
      db.close();
    }
  });
});
