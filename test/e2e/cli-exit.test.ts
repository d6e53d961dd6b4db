/**
 * The command line tells the truth, through the real CLI: one exit-code rule for every verb
 * (0 success, 1 the input or check failed, 2 usage or config error), --version, --help of every verb,
 * and mappings that do not exist or do not fit their channel refused before anything is read.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { ROOT, SAMPLES, createWorkspace, killAllDaemons, wharf, type Workspace } from '../helpers/e2e.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await createWorkspace();
});
afterAll(async () => {
  await killAllDaemons();
  await ws?.dispose();
});

/** Writes a variant of the workspace config and returns its path. */
async function variant(name: string, edit: (cfg: Record<string, any>) => void): Promise<string> {
  const cfg = ws.configObject() as Record<string, any>;
  edit(cfg);
  const file = path.join(ws.root, name);
  await fs.writeFile(file, toYaml(cfg));
  return file;
}

const VERBS = ['run', 'once', 'validate', 'map', 'check', 'status', 'retry', 'test-connection', 'trust-host', 'sync'];

describe('--version and --help', () => {
  it('--version prints the package version, exit 0', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await wharf(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each(VERBS)('wharf %s --help lists the shared options --config and -v, exit 0', async (verb) => {
    const r = await wharf([verb, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('--config <file>');
    expect(r.stdout).toMatch(/-v, --verbose/);
  });

  it('the shared options work after the verb too', async () => {
    const r = await wharf(['check', '-v', '--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('usage errors exit 2', () => {
  it('a missing --mapping', async () => {
    const r = await wharf(['validate', path.join(SAMPLES, 'orders.xml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '-m, --mapping <name>' not specified");
  });

  it('an unknown verb and an unknown option', async () => {
    expect((await wharf(['frobnicate'])).code).toBe(2);
    expect((await wharf(['status', '--jsn', '--config', ws.configPath])).code).toBe(2);
  });

  it('validate DIR says it wants a file', async () => {
    const r = await wharf(['validate', SAMPLES, '--mapping', 'demo-orders-csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a folder; validate and map take one file/);
  });

  it.each(['test-connection', 'trust-host', 'sync'])('%s with an unknown channel', async (verb) => {
    const r = await ws.wharf([verb, 'no-such-channel']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no channel named no-such-channel');
    expect(r.stderr).toContain('demo/dropbox');
  });
});

describe('a failed connection exits 1', () => {
  it.each(['trust-host', 'test-connection'])('%s on an SFTP server that does not answer', async (verb) => {
    const file = await variant(`closed-port-${verb}.yaml`, (c) => {
      c.merchants.demo.channels.sftp = {
        type: 'sftp', host: '127.0.0.1', port: 1, username: 'wharf', password: '${WHARF_TEST_SFTP_PASSWORD}', connectTimeout: 2,
        paths: ['/out'], files: [{ pattern: '*.csv', mapping: 'demo-orders-csv' }],
      };
    });
    const r = await wharf([verb, 'demo/sftp', '--config', file], { env: { WHARF_TEST_SFTP_PASSWORD: 'x' } });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/refused/);
  });
});

describe('config errors exit 2, for check as for every verb', () => {
  it('check on an unknown key: 2, naming the key path', async () => {
    const file = await variant('bad-key.yaml', (c) => {
      c.merchants.demo.channels.dropbox.pollIntervall = 5;
    });
    const r = await wharf(['check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('merchants.demo.channels.dropbox.pollIntervall');
  });

  it('a mapping name that does not exist: a config error for check and once alike (2), nothing read', async () => {
    const file = await variant('missing-mapping.yaml', (c) => {
      c.merchants.demo.channels.dropbox.files = [{ pattern: '*.csv', mapping: 'no-such-mapping' }];
    });
    await ws.drop('orders-semicolon.csv');
    const check = await wharf(['check', '--config', file]);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain('mapping no-such-mapping: ERROR');
    for (const verb of [['once'], ['run'], ['sync', 'dropbox']]) {
      const r = await wharf([...verb, '--config', file]);
      expect(r.code, `${verb.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('no-such-mapping');
      expect(r.stderr).toContain('merchants.demo.channels.dropbox.files[0].mapping');
    }
    // Nothing was read: the file is still in the inbox, nothing quarantined.
    expect(ws.inboxFiles()).toEqual(['orders-semicolon.csv']);
    expect(ws.quarantineFiles()).toEqual([]);
    await fs.rm(path.join(ws.inbox, 'orders-semicolon.csv'));
  });

  it('a stock mapping on an order channel is refused by check and once alike (2), not imported and forgotten', async () => {
    const file = await variant('stock-on-orders.yaml', (c) => {
      c.merchants.demo.channels.dropbox.files = [{ pattern: '*.csv', mapping: 'warehouse-stock-csv' }];
    });
    await ws.drop('warehouse/stock.csv');
    const check = await wharf(['check', '--config', file]);
    expect(check.code).toBe(2);
    expect(check.stdout).toMatch(/mapping warehouse-stock-csv: ERROR is an input stock mapping, but merchants\.demo\.channels\.dropbox\.files\[0\]\.mapping needs an input order mapping/);
    const once = await wharf(['once', '--config', file]);
    expect(once.code).toBe(2);
    expect(once.stderr).toContain('warehouse-stock-csv');
    expect(ws.inboxFiles()).toEqual(['stock.csv']);
    expect(ws.archived()).toEqual([]);
    await fs.rm(path.join(ws.inbox, 'stock.csv'));
  });

  it('an output mapping as warehouse.orders.mapping that is an input mapping is refused', async () => {
    const file = await variant('input-as-output.yaml', (c) => {
      c.warehouse.orders.mapping = 'demo-orders-csv';
    });
    const check = await wharf(['check', '--config', file]);
    expect(check.code).toBe(2);
    expect(check.stdout).toContain('warehouse.orders.mapping needs an output order mapping');
  });
});

describe('return-flow mappings must fit their use (exit 2 from check)', () => {
  it('a report source file rule naming an order mapping, and a stock export naming a shipment mapping', async () => {
    const file = await variant('return-flow-kinds.yaml', (c) => {
      c.warehouse.reports = {
        main: { type: 'folder', path: 'reports', create: true, files: [{ pattern: 'stock*.csv', mapping: 'demo-orders-csv' }, { pattern: 'shipments*.csv', mapping: 'warehouse-shipments-csv' }] },
      };
      c.merchants.demo.exports = {
        stock: { schedule: '0 * * * *', destination: { path: 'outbox' }, mapping: 'merchant-shipments-csv', fileName: 'stock-{yyyyMMdd-HHmm}.csv' },
      };
    });
    const check = await wharf(['check', '--config', file]);
    expect(check.code, check.stderr).toBe(2);
    expect(check.stdout).toContain('mapping demo-orders-csv: ERROR is an input order mapping, but warehouse.reports.main.files[0].mapping needs an input stock or shipment mapping');
    expect(check.stdout).toContain('mapping merchant-shipments-csv: ERROR is an output shipment mapping, but merchants.demo.exports.stock.mapping needs an output stock mapping');
    expect(check.stdout).toMatch(/mapping warehouse-shipments-csv: ok/);
  });

  it('fitting report and export mappings pass check (0)', async () => {
    const file = await variant('return-flow-ok.yaml', (c) => {
      c.warehouse.reports = { main: { type: 'folder', path: 'reports', create: true, files: [{ pattern: 'stock*.csv', mapping: 'warehouse-stock-csv' }] } };
      c.merchants.demo.exports = {
        stock: { schedule: '0 * * * *', destination: { path: 'outbox' }, mapping: 'merchant-stock-csv', fileName: 'stock-{yyyyMMdd-HHmm}.csv' },
        shipments: { schedule: '*/5 * * * *', destination: { path: 'outbox' }, mapping: 'merchant-shipments-csv', fileName: 'shipments-{yyyyMMdd-HHmm}.csv' },
      };
    });
    const check = await wharf(['check', '--config', file]);
    expect(check.code, `${check.stdout}\n${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/mapping merchant-stock-csv: ok \(output stock/);
  });
});
