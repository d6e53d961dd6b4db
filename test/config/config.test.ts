import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configDefaults } from '../../src/config/types.js';
import { loadSchema } from '../../src/schemas.js';
import { errorOf } from '../helpers/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-config-'));
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

async function write(yaml: string): Promise<string> {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await fs.writeFile(file, yaml);
  return file;
}

const base = (channel: string) => `warehouse:
  orders: { path: out }
merchants:
  demo:
    channels:
      drop:
${channel}`;


describe('config', () => {
  it('reads the folder channel and top-level defaults from the schemas', () => {
    expect(configDefaults.folder).toEqual({
      create: false, afterImport: 'archive', onInvalid: 'rejectFile', minAge: 2, pollInterval: 10, watch: true, doneFiles: false,
      maxFilesPerPoll: 500, maxFileSize: 1073741824, doneFileSuffix: '.done',
    });
    expect(configDefaults).toMatchObject({
      ledger: { driver: 'sqlite', path: '../var/wharf.sqlite' }, mappings: '../mappings', dataDir: '../var', logLevel: 'info',
      delivery: { interval: 5, maxBackoff: 600 }, shutdownTimeout: 10, timezone: 'UTC',
    });
  });

  it('resolves paths against the config file and applies defaults', async () => {
    const file = await write(base('        { type: folder, path: in, files: [{ pattern: "*.csv", mapping: m }] }\n'));
    const cfg = loadConfig(file);
    expect(cfg.ledger).toEqual({ driver: 'sqlite', path: path.resolve(dir, '../var/wharf.sqlite') });
    expect(cfg.warehouseOrders.path).toBe(path.join(dir, 'out'));
    expect(cfg.warehouseProducts.path).toBe(path.join(dir, 'products'));
    const ch = cfg.channels[0]!;
    expect(ch.key).toBe('demo/drop');
    expect(ch.onInvalid).toBe('rejectFile');
    expect(ch.quarantineDir).toBe(path.join(dir, 'in', 'quarantine'));
  });

  it('names the key path of an unknown key and of a wrong type', async () => {
    const file = await write(base('        { type: folder, path: in, afterImprt: archive, minAge: soon, files: [{ pattern: "*.csv", mapping: m }] }\n'));
    const err = errorOf(() => loadConfig(file));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('merchants.demo.channels.drop.afterImprt: is not a known field');
    expect(err.message).toContain('merchants.demo.channels.drop.minAge: must be number');
  });

  it('an unknown channel type is named', async () => {
    const file = await write(base('        { type: ftp, path: in }\n'));
    expect(errorOf(() => loadConfig(file)).message).toContain('merchants.demo.channels.drop.type: "ftp" is not a known type');
  });

  it('resolves ${ENV} and file: secrets, and a missing one is an error that names the key, not the value', async () => {
    const keyFile = path.join(dir, 'pw');
    await fs.writeFile(keyFile, 's3cret-from-file\n');
    const yaml = `ledger: { driver: postgres, url: "postgres://wharf:\${PGPASS}@db/wharf" }
${base(`        type: sftp
        host: sftp.example
        username: u
        password: file:${keyFile}
        hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        paths: [/out]
        files: [{ pattern: "*.xml", mapping: m }]
`)}`;
    const file = await write(yaml);
    const cfg = loadConfig(file, { PGPASS: 'pg-pass' });
    expect(cfg.ledger).toEqual({ driver: 'postgres', url: 'postgres://wharf:pg-pass@db/wharf' });
    expect((cfg.channels[0]!.config as { password: string }).password).toBe('s3cret-from-file');
    const err = errorOf(() => loadConfig(file, {}));
    expect(err.code).toBe('CONFIG_SECRET');
    expect(err.message).toBe('environment variable PGPASS is not set (used by ledger.url)');
  });

  it('refuses an invalid cron schedule and an unknown time zone', async () => {
    process.env.WHARF_TEST_WOO_KEY = 'ck_1111111111111111111111111111111111111111';
    process.env.WHARF_TEST_WOO_SECRET = 'cs_2222222222222222222222222222222222222222';
    const woo = `        { type: woocommerce, url: https://shop.example, consumerKey: "\${WHARF_TEST_WOO_KEY}", consumerSecret: "\${WHARF_TEST_WOO_SECRET}", schedules: { orders: "every five minutes" } }\n`;
    const bad = await write(base(woo));
    const err = errorOf(() => loadConfig(bad));
    expect(err.message).toContain('not a valid cron expression');
    expect(err.details.where).toBe('merchants.demo.channels.drop.schedules.orders');
    const tz = await write(`schedule: { timezone: Mars/Olympus }\n${base('        { type: folder, path: in, files: [{ pattern: "*", mapping: m }] }\n')}`);
    expect(errorOf(() => loadConfig(tz)).message).toContain('schedule.timezone "Mars/Olympus" is not an IANA time zone');
  });
});

describe('credentials are references only, for every channel type', () => {
  // Each channel type's secret fields, as its schema marks them; a literal value in any of them is refused.
  const types = ['sftp', 'woocommerce', 'shopify', 'lightspeed', 'bol', 'retailcrm'];
  const secretFields = (type: string) =>
    Object.entries((loadSchema(`channel-${type}.schema.json`) as { properties: Record<string, { 'x-secret'?: unknown }> }).properties)
      .filter(([, v]) => v['x-secret'] !== undefined)
      .map(([k, v]) => ({ field: k, mark: v['x-secret'] }));

  it.each(types)('%s: every secret field is marked reference-only, and a literal value is a config error naming the key, not the value', async (type) => {
    const fields = secretFields(type);
    expect(fields.length).toBeGreaterThan(0);
    for (const { field, mark } of fields) {
      expect(mark, `${type}.${field}`).toBe('reference');
      const literal = 'literal-s3cret-value-123';
      const file = await write(base(`        { type: ${type}, ${field}: ${literal} }\n`));
      const err = errorOf(() => loadConfig(file));
      expect(err.code, `${type}.${field}: ${err.message}`).toBe('CONFIG_SECRET');
      expect(err.details.where).toBe(`merchants.demo.channels.drop.${field}`);
      expect(`${err.message} ${err.details.hint ?? ''}`).not.toContain(literal);
    }
  });
});
