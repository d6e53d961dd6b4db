/**
 * The return-flow config (issue 8): warehouse.reports and merchants.<id>.exports, through the real
 * loader on real files: what the loader hands on, and a clear CONFIG error naming the key otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { exportFileName } from '../../src/exports/file-name.js';
import { errorOf } from '../helpers/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-return-flow-'));
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

const HOST_KEY = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

/** A config with a folder channel for merchant demo (and acme), `reports` under warehouse and `exports` under demo. */
async function write(reports: string, exports = '', top = ''): Promise<string> {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await fs.writeFile(file, `${top}warehouse:
  orders: { path: out }
${reports ? `  reports:\n${reports}` : ''}merchants:
  demo:
    channels:
      drop: { type: folder, path: in, files: [{ pattern: "*.csv", mapping: m }] }
${exports ? `    exports:\n${exports}` : ''}  acme:
    channels:
      drop: { type: folder, path: in2, files: [{ pattern: "*.csv", mapping: m }] }
`);
  return file;
}


const FOLDER_REPORT = `    main:
      type: folder
      path: ../var/warehouse/reports
      files:
        - { pattern: "stock*.csv", mapping: warehouse-stock-csv }
        - { pattern: "shipments*.csv", mapping: warehouse-shipments-csv }
`;

describe('warehouse.reports', () => {
  it('become report sources shaped like channels: merchant @warehouse, absolute paths, defaults applied', async () => {
    const sftp = `    remote:
      type: sftp
      host: wms.example
      username: wharf
      password: "\${WMS_PW}"
      hostKey: ${HOST_KEY}
      paths: [/reports]
      files: [{ pattern: "*.csv", mapping: warehouse-stock-csv }]
      merchant: demo
      stock: { mode: full, unknownSku: report }
`;
    const cfg = loadConfig(await write(FOLDER_REPORT + sftp), { WMS_PW: 'secret-pw' });
    expect(cfg.reportSources).toHaveLength(2);
    const [main, remote] = cfg.reportSources;
    expect(main).toMatchObject({
      merchant: '@warehouse', channel: 'main', key: '@warehouse/main', onInvalid: 'rejectFile', maxFileSize: 1073741824,
      quarantineDir: path.resolve(dir, '../var/warehouse/reports/quarantine'),
      stock: { mode: 'delta', absent: 'zero', unknownSku: 'accept' },
    });
    expect(main!.reportMerchant).toBeUndefined();
    expect(main!.config).toMatchObject({ type: 'folder', path: path.resolve(dir, '../var/warehouse/reports'), archiveDir: path.resolve(dir, '../var/warehouse/reports/archive') });
    expect(main!.config).not.toHaveProperty('stock');
    expect(remote).toMatchObject({
      key: '@warehouse/remote', reportMerchant: 'demo', quarantineDir: path.join(cfg.dataDir, 'quarantine', '@warehouse', 'remote'),
      stock: { mode: 'full', absent: 'zero', unknownSku: 'report' },
      config: { type: 'sftp', host: 'wms.example', password: 'secret-pw', paths: ['/reports'] },
    });
    expect(remote!.config).not.toHaveProperty('merchant');
    // Report sources are not merchant channels.
    expect(cfg.channels.map((c) => c.key)).toEqual(['demo/drop', 'acme/drop']);
  });

  it('a fixed merchant that is not configured is a config error naming the key', async () => {
    const file = await write(`${FOLDER_REPORT}      merchant: nobody\n`);
    const err = errorOf(() => loadConfig(file));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('warehouse.reports.main.merchant names merchant "nobody", which is not configured');
    expect(err.details.field).toBe('warehouse.reports.main.merchant');
    expect(err.details.hint).toContain('demo, acme');
  });

  it('stock.absent without mode full, an unknown field, a wrong policy value: config errors naming the key', async () => {
    const absent = errorOf(() => loadConfig(file1));
    expect(absent.message).toContain('warehouse.reports.main.stock.absent applies only to full stock reports, but stock.mode is delta');
    const unknown = errorOf(() => loadConfig(file2));
    expect(unknown.message).toContain('warehouse.reports.main.stok: is not a known field');
    const policy = errorOf(() => loadConfig(file3));
    expect(policy.message).toContain('warehouse.reports.main.stock.unknownSku: must be one of "accept", "report"');
    const merchantId = errorOf(() => loadConfig(file4));
    expect(merchantId.message).toContain('warehouse.reports.main.merchant');
  });

  it('a literal secret in an SFTP report source is refused, naming the key and not the value', async () => {
    const file = await write(`    remote: { type: sftp, host: h, username: u, password: hunter2-literal, hostKey: ${HOST_KEY}, paths: [/r], files: [{ pattern: "*", mapping: m }] }\n`);
    const err = errorOf(() => loadConfig(file));
    expect(err.code).toBe('CONFIG_SECRET');
    expect(err.details.where).toBe('warehouse.reports.remote.password');
    expect(`${err.message} ${err.details.hint}`).not.toContain('hunter2-literal');
  });
});

describe('secrets of warehouse.orders.sftp and export SFTP destinations are references only', () => {
  const sftp = (password: string) => `{ host: h, username: u, password: ${password}, hostKey: ${HOST_KEY} }`;

  it('a literal password in warehouse.orders.sftp is a config error naming the key and an env name, not the value', async () => {
    const file = await write('');
    const text = (await fs.readFile(file, 'utf8')).replace('orders: { path: out }', `orders: { type: sftp, path: /in, sftp: ${sftp('hunter2-orders')} }`);
    await fs.writeFile(file, text);
    const err = errorOf(() => loadConfig(file));
    expect(err.code).toBe('CONFIG_SECRET');
    expect(err.details.where).toBe('warehouse.orders.sftp.password');
    expect(err.details.hint).toContain('password: ${WAREHOUSE_ORDERS_SFTP_PASSWORD}');
    expect(`${err.message} ${err.details.hint}`).not.toContain('hunter2-orders');
    // The reference loads.
    await fs.writeFile(file, text.replace('hunter2-orders', '"${WMS_ORDERS_PW}"'));
    expect((loadConfig(file, { WMS_ORDERS_PW: 'pw' }).raw.warehouse.orders.sftp as { password?: string }).password).toBe('pw');
  });

  it('a literal passphrase in an export SFTP destination is refused too', async () => {
    const file = await write('', STOCK().replace('destination: { type: folder, path: ../var/merchants/demo/outbox }', `destination: { type: sftp, path: /in, sftp: { host: h, username: u, privateKey: "file:key", passphrase: open-sesame, hostKey: ${HOST_KEY} } }`));
    const err = errorOf(() => loadConfig(file));
    expect(err.code).toBe('CONFIG_SECRET');
    expect(err.details.where).toBe('merchants.demo.exports.stock.destination.sftp.passphrase');
    expect(err.details.hint).toContain('${DEMO_STOCK_SFTP_PASSPHRASE}');
  });
});

/** Configs with one bad report source each (written before the tests run). */
let file1: string, file2: string, file3: string, file4: string;
beforeAll(async () => {
  file1 = await write(`${FOLDER_REPORT}      stock: { absent: keep }\n`);
  file2 = await write(`${FOLDER_REPORT}      stok: { mode: full }\n`);
  file3 = await write(`${FOLDER_REPORT}      stock: { unknownSku: reject }\n`);
  file4 = await write(`${FOLDER_REPORT}      merchant: "@warehouse"\n`);
});

const STOCK = (over = '') => `      stock:
        schedule: "0 * * * *"
        destination: { type: folder, path: ../var/merchants/demo/outbox }
        mapping: merchant-stock-csv
        fileName: "stock-{merchant}-{yyyyMMdd-HHmm}.csv"
${over}`;

describe('merchants.<id>.exports', () => {
  it('become export entries: key merchant/kind, time zone resolved, folder made absolute, defaults applied', async () => {
    const shipments = `      shipments:
        schedule: "*/5 * * * *"
        timezone: America/New_York
        destination: { type: sftp, path: /in, sftp: { host: sftp.demo.example, username: wharf, privateKey: "file:key", hostKey: ${HOST_KEY} } }
        mapping: merchant-shipments-csv
        fileName: "shipments-{yyyyMMdd-HHmm}.csv"
        writeEmpty: true
`;
    await fs.writeFile(path.join(dir, 'key'), 'PRIVATE KEY TEXT\n');
    const cfg = loadConfig(await write('', STOCK() + shipments, 'schedule: { timezone: Europe/Amsterdam }\n'));
    expect(cfg.exports).toEqual([
      {
        merchant: 'demo', kind: 'stock', key: 'demo/stock', schedule: '0 * * * *', timezone: 'Europe/Amsterdam',
        destination: { type: 'folder', path: path.resolve(dir, '../var/merchants/demo/outbox') },
        mapping: 'merchant-stock-csv', fileName: 'stock-{merchant}-{yyyyMMdd-HHmm}.csv', mode: 'full', writeEmpty: false,
      },
      {
        merchant: 'demo', kind: 'shipments', key: 'demo/shipments', schedule: '*/5 * * * *', timezone: 'America/New_York',
        destination: { type: 'sftp', path: '/in', sftp: { host: 'sftp.demo.example', username: 'wharf', privateKey: 'PRIVATE KEY TEXT', hostKey: HOST_KEY } },
        mapping: 'merchant-shipments-csv', fileName: 'shipments-{yyyyMMdd-HHmm}.csv', writeEmpty: true,
      },
    ]);
    expect(cfg.reportSources).toEqual([]);
  });

  it('file names: {merchant} and luxon formats at the scheduled time in the export time zone', () => {
    const at = new Date('2026-03-01T13:00:00Z');
    expect(exportFileName('stock-{merchant}-{yyyyMMdd-HHmm}.csv', { merchant: 'demo', at, timezone: 'Europe/Amsterdam' })).toBe('stock-demo-20260301-1400.csv');
    expect(exportFileName('s.csv', { merchant: 'demo', at, timezone: 'UTC' })).toBe('s.csv');
  });

  it.each([
    ['a schedule that is not cron', '        schedule: "every hour"\n', 'merchants.demo.exports.stock.schedule', 'not a valid cron expression'],
    ['a time zone that is not IANA', '        timezone: Mars/Olympus\n', 'merchants.demo.exports.stock.timezone', '"Mars/Olympus" is not an IANA time zone'],
    ['a file name with a folder in it', '        fileName: "out/{yyyy}.csv"\n', 'merchants.demo.exports.stock.fileName', 'which is no safe file name: the name contains a path separator'],
    ['a file name with an open brace', '        fileName: "stock-{yyyy.csv"\n', 'merchants.demo.exports.stock.fileName', '"{" at position 7 is not closed'],
    ['a mode that is not full or changes', '        mode: delta\n', 'merchants.demo.exports.stock.mode', 'must be one of "full", "changes"'],
    ['an sftp destination without its connection', '        destination: { type: sftp, path: /in }\n', 'merchants.demo.exports.stock.destination.sftp', 'is required but missing'],
  ])('%s is a config error naming the key', async (_what, line, key, message) => {
    const err = errorOf(() => loadConfig(filesByLine.get(line)!));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(`${err.details.where ?? ''} ${err.details.field ?? ''} ${err.message}`).toContain(key);
    expect(err.message).toContain(message);
  });
});

/** One config per bad line: STOCK with that line in place of its own key (YAML refuses duplicate keys). */
const filesByLine = new Map<string, string>();
beforeAll(async () => {
  for (const line of [
    '        schedule: "every hour"\n', '        timezone: Mars/Olympus\n', '        fileName: "out/{yyyy}.csv"\n', '        fileName: "stock-{yyyy.csv"\n',
    '        mode: delta\n', '        destination: { type: sftp, path: /in }\n',
  ]) {
    const field = line.trim().split(':')[0]!;
    const stock = STOCK().split('\n').filter((l) => !l.trim().startsWith(`${field}:`)).join('\n') + line;
    filesByLine.set(line, await write('', stock));
  }
});
